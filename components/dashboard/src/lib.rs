//! The dashboard: the store owner's admin app under `/admin/` and the
//! members' pages at `/join` and `/me`, served from files embedded at build time
//! (`build.rs`). Every answer carries its content type, an `etag` (304 when
//! the browser has it), a cache policy and a content security policy that
//! allows scripts, styles, fonts and calls from this origin only; files are
//! sent gzipped to a browser that accepts it. The pages call the JSON API
//! like any client: this component reads no store and holds no secret.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

/// One embedded file.
pub struct Asset {
    /// Its path under the component (`app/admin.html`, `vendor/…`).
    pub path: &'static str,
    pub content_type: &'static str,
    pub etag: &'static str,
    pub body: &'static [u8],
    /// A gzip copy, when it is smaller.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[http_component]
fn handle(req: Request) -> Response {
    let path = req.path().to_string();
    if !matches!(req.method(), Method::Get | Method::Head) {
        return error(405, "method_not_allowed", "method not allowed; allowed: GET, HEAD").header("allow", "GET, HEAD").build();
    }
    let file = match path.as_str() {
        "/admin" => return Response::builder().status(301).header("location", "/admin/").body(()).build(),
        "/admin/" => "app/admin.html".to_string(),
        "/join" => "app/join.html".to_string(),
        "/me" => "app/me.html".to_string(),
        "/widget.js" => "app/widget.js".to_string(),
        other => match other.strip_prefix("/assets/") {
            Some(rest) if rest.starts_with("vendor/") => rest.to_string(),
            Some(rest) => format!("app/{rest}"),
            None => String::new(),
        },
    };
    match ASSETS.iter().find(|a| a.path == file) {
        Some(asset) => serve(&req, asset),
        None => error(404, "not_found", "route not found").build(),
    }
}

fn serve(req: &Request, asset: &Asset) -> Response {
    let cache = if asset.content_type.starts_with("text/html") { "no-cache" } else { "public, max-age=300" };
    let mut res = Response::builder();
    res.header("content-type", asset.content_type)
        .header("etag", asset.etag)
        .header("cache-control", cache)
        .header("vary", "accept-encoding")
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer");
    let seen = req.header("if-none-match").and_then(|h| h.as_str()).is_some_and(|h| h.split(',').any(|t| t.trim() == asset.etag));
    if seen {
        return res.status(304).body(()).build();
    }
    let gzip_ok = req.header("accept-encoding").and_then(|h| h.as_str()).is_some_and(accepts_gzip);
    let body = match asset.gzip.filter(|_| gzip_ok) {
        Some(gz) => {
            res.header("content-encoding", "gzip");
            gz
        }
        None => asset.body,
    };
    res.status(200);
    if *req.method() == Method::Head {
        return res.header("content-length", body.len().to_string()).body(()).build();
    }
    res.body(body.to_vec()).build()
}

/// `gzip` listed without `q=0`.
fn accepts_gzip(header: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';').map(str::trim);
        it.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip")) && !it.any(|p| p.replace(' ', "") == "q=0")
    })
}

fn error(status: u16, code: &str, message: &str) -> spin_sdk::http::ResponseBuilder {
    let mut res = Response::builder();
    res.status(status)
        .header("content-type", "application/json")
        .body(format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#));
    res
}
