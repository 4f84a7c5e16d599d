//! The club on a store's own pages (`docs/widget.md`): the frame that the
//! store's `widget.js` tag opens.
//!
//! - `GET /embed?store={id}&origin=` → the member's page (`/me`'s script);
//! - `GET /embed/join?store={id}&origin=` → the join page (`/join`'s).
//!
//! Each is the dashboard's page for members, marked `data-embed` (its calls
//! then ask for a session cookie that works in a frame,
//! `vafa_core::session::Place::Embedded`), under the dashboard's content
//! security policy with one change: `frame-ancestors` names the store's
//! origins (`'none'` while it names none), so no other site can frame it.
//! `origin` is the store page's own origin, to which the frame reports its
//! height. A store that does not exist → 404 `not_found`.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::shop::Shop;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::keys;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match (segs, method) {
        (["embed"], Method::Get | Method::Head) => page(&req, "me"),
        (["embed", "join"], Method::Get | Method::Head) => page(&req, "join"),
        (["embed"] | ["embed", "join"], _) => not_allowed(&["GET", "HEAD"]),
        _ => Err(no_route()),
    })
}

fn page(req: &Request, script: &str) -> Result<Response> {
    let id = http::query_param(req, "store").ok_or_else(|| {
        Error::field(
            "store",
            "required: the store's id, as in the widget's data-store",
        )
    })?;
    let ctx = Ctx::new()?;
    let shop: Shop = ctx
        .kv
        .get(&keys::store(&id))?
        .ok_or_else(|| Error::NotFound(format!("store {id:?}")))?;
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {}",
        shop.frame_ancestors()
    );
    let body = format!(
        "<!doctype html>\n<html lang=\"fa\" dir=\"rtl\" data-embed>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>باشگاه مشتریان</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\n<script type=\"module\" src=\"/assets/embed.js\"></script>\n\
         <script type=\"module\" src=\"/assets/{script}.js\"></script>\n</head>\n<body>\n<header class=\"bar\">\n  \
         <strong id=\"title\"></strong>\n  <span class=\"grow\"></span>\n  <button id=\"lang\" type=\"button\"></button>\n\
         </header>\n<main id=\"main\"></main>\n</body>\n</html>\n"
    );
    let mut res = Response::builder();
    res.status(200)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("content-security-policy", csp)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer");
    if *req.method() == Method::Head {
        return Ok(res
            .header("content-length", body.len().to_string())
            .body(())
            .build());
    }
    Ok(res.body(body).build())
}
