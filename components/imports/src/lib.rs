//! The imports component: members brought in from a CSV file (admin).
//! `POST /api/imports` reads and checks the file and records its rows for
//! the imports tick; `GET /api/imports` and `GET /api/imports/{id}` show
//! the progress and each refused row by line. Apart from the other HTTP
//! components so that each links only what it uses.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::import::{self, Import};
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::{clock, imports};
use vafa_core::staff::Right;

/// A file of 100,000 rows, with room to spare.
const MAX_FILE: usize = 16 * 1024 * 1024;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["api", "imports"] => match method {
            Method::Post => create(&req, &Ctx::new()?),
            Method::Get => list(&req, &Ctx::new()?),
            _ => not_allowed(&["GET", "POST"]),
        },
        ["api", "imports", id] => match method {
            Method::Get => get(&req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        _ => Err(no_route()),
    })
}

fn create(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let csv = req.header("content-type").and_then(|v| v.as_str()).is_some_and(|t| t.starts_with("text/csv") || t.starts_with("application/csv"));
    if !csv {
        return Err(Error::Unprocessable { code: "invalid_csv", message: "send the file as text/csv".into() });
    }
    let table = import::read(http::body_up_to(req, MAX_FILE)?)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let id = format!("im_{}", clock::random::<8>()?.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let (import, chunks) = Import::new(&id, &table, &settings, ctx.now)?;
    imports::start(&ctx.kv, &import, &chunks, ctx.now)?;
    vafa_spin::audit::made(&import.view());
    let mut response = http::json(202, &import.view());
    response.set_header("location", format!("/api/imports/{id}"));
    Ok(response)
}

fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let views: Vec<serde_json::Value> = imports::latest(&ctx.kv)?
        .iter()
        .map(|i| {
            let mut v = i.view();
            v.as_object_mut().map(|o| o.remove("refused"));
            v
        })
        .collect();
    Ok(http::json(200, &serde_json::json!({ "imports": views })))
}

fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    Ok(http::json(200, &imports::get(&ctx.kv, id)?.view()))
}
