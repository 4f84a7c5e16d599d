//! The club's reports: the overview (`GET /api/reports/overview`) and the
//! daily series behind the dashboard's charts (`GET /api/reports/daily`),
//! read from the counters written when each fact happened
//! (`vafa_spin::stats`): a few batch reads, never a scan of members.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::stats::DAILY;
use vafa_core::zone::{Day, day_of};
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::stats;
use vafa_core::staff::Right;

/// The longest series one call reads.
const MAX_DAYS: i32 = 366;
/// The series when no range is given: the last 90 days.
const DEFAULT_DAYS: i32 = 90;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| route(&req, segs, method))
}

fn route(req: &Request, segs: &[&str], method: &Method) -> Result<Response> {
    let handler = match segs {
        ["api", "reports", "overview"] => overview,
        ["api", "reports", "daily"] => daily,
        _ => return Err(no_route()),
    };
    match method {
        Method::Get => handler(req, &Ctx::new()?),
        _ => not_allowed(&["GET"]),
    }
}

fn overview(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Reports)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    Ok(http::json(200, &stats::overview(&ctx.kv, &settings, ctx.now)?))
}

/// `?from=&to=` (dates in the club's zone, `YYYY-MM-DD`, at most 366 days;
/// the last 90 days by default).
fn daily(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Reports)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let today = settings.timezone.day(ctx.now);
    let day = |name: &str| -> Result<Option<Day>> {
        match http::query_param(req, name) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d").map(|d| Some(day_of(d))).map_err(|_| Error::field(name, "expected a date, YYYY-MM-DD")),
        }
    };
    let to = day("to")?.unwrap_or(today);
    let from = day("from")?.unwrap_or(to - DEFAULT_DAYS + 1);
    if from > to || to - from >= MAX_DAYS {
        return Err(Error::field("from", "expected a date on or before `to`, at most 366 days before it"));
    }
    let days: Vec<Value> = stats::daily(&ctx.kv, from, to)?
        .into_iter()
        .map(|(d, values)| {
            let mut row = Map::new();
            row.insert("date".into(), date_of(d).into());
            for (name, v) in DAILY.iter().zip(values) {
                row.insert((*name).into(), v.into());
            }
            Value::Object(row)
        })
        .collect();
    Ok(http::json(200, &json!({"zone": settings.timezone.name(), "from": date_of(from), "to": date_of(to), "days": days})))
}

fn date_of(d: Day) -> String {
    (NaiveDate::default() + chrono::Duration::days(d.into())).format("%Y-%m-%d").to_string()
}
