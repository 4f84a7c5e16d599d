//! The rewards component: the club's catalog of rewards (`GET
//! /api/rewards`, public: the active ones; `GET|PUT /api/rewards/{id}`,
//! `PUT` by the owner under `If-Match`).

mod rewards;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_spin::http::{self, no_route, not_allowed};

pub use vafa_spin::http::Ctx;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["api", "rewards"] => match method {
            Method::Get => rewards::list(&Ctx::new()?),
            _ => not_allowed(&["GET"]),
        },
        ["api", "rewards", id] => match method {
            Method::Get => rewards::get(&req, &Ctx::new()?, id),
            Method::Put => rewards::put(&req, &Ctx::new()?, id),
            _ => not_allowed(&["GET", "PUT"]),
        },
        _ => Err(no_route()),
    })
}
