//! The exports component: the club's members and their ledgers as CSV
//! files for spreadsheets (admin), a page at a time so that no call holds
//! more than a page of members: `GET /api/exports/members.csv` and
//! `GET /api/exports/ledger.csv`, `?limit=` and `?before=` as the members
//! list pages, the next page named by `x-next-before` and a `link` header.
//! Every page is a whole file (the mark and the header first).

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::Result;
use vafa_core::export;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::{members, wallet};
use vafa_core::staff::Right;

/// Ledger entries read per call for one member.
const ENTRIES: usize = 100;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match (segs, method) {
        (["api", "exports", "members.csv"], Method::Get) => members_csv(&req, &Ctx::new()?),
        (["api", "exports", "ledger.csv"], Method::Get) => ledger_csv(&req, &Ctx::new()?),
        (["api", "exports", "members.csv" | "ledger.csv"], _) => not_allowed(&["GET"]),
        _ => Err(no_route()),
    })
}

fn members_csv(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let (limit, before) = http::paging_up_to(req, 1000, 1000)?;
    let (page, next) = members::page(&ctx.kv, limit, before)?;
    let mut out = export::header(&export::MEMBER_COLUMNS);
    for f in &page {
        export::member(&mut out, &f.member, &f.standing);
    }
    Ok(file("members.csv", out, next))
}

fn ledger_csv(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let (limit, before) = http::paging_up_to(req, 100, 200)?;
    let (page, next) = members::page(&ctx.kv, limit, before)?;
    let mut out = export::header(&export::LEDGER_COLUMNS);
    for f in &page {
        let mut slot = None;
        loop {
            let (entries, more) = wallet::ledger(&ctx.kv, f.number, ENTRIES, slot)?;
            for e in &entries {
                export::entry(&mut out, &f.member.id, e);
            }
            match more {
                Some(k) if !entries.is_empty() => slot = Some(k),
                _ => break,
            }
        }
    }
    Ok(file("ledger.csv", out, next))
}

fn file(name: &str, body: String, next: Option<u64>) -> Response {
    let mut builder = Response::builder();
    builder
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{name}\""));
    if let Some(n) = next {
        builder.header("x-next-before", n.to_string()).header("link", format!("</api/exports/{name}?before={n}>; rel=\"next\""));
    }
    builder.body(body.into_bytes()).build()
}
