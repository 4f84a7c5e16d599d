//! The settings component: the club's settings (`/api/settings`, admin):
//! `GET` with an `ETag`, `PUT` (the whole object) and `PATCH` (a JSON merge
//! patch), both under `If-Match`. Apart from `admin` because reading a
//! merge patch links serde_json's whole `Value` (every component stays
//! under 600 KiB).

mod edit;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["api", "settings"] => match method {
            Method::Get => edit::get(&req, &Ctx::new()?),
            Method::Put => edit::put(&req, &Ctx::new()?),
            Method::Patch => edit::patch(&req, &Ctx::new()?),
            _ => not_allowed(&["GET", "PUT", "PATCH"]),
        },
        _ => Err(no_route()),
    })
}
