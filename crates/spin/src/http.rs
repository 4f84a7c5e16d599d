//! HTTP at the edge: reading a request (size limit, JSON, query), knowing
//! who calls (admin, store, panel callback), and answering, including the
//! one mapping from domain errors to status codes and Vafa's JSON error shape.

use crate::kv::Kv;
use crate::{config, keys, log};
use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::secret;
use vafa_core::staff::{self, Actor, Right};

/// Bodies above this are refused before they are parsed (README "HTTP API": 413 `body_too_large`).
pub const MAX_BODY: usize = 64 * 1024;

/// A request's context: the store and the time, read once.
pub struct Ctx {
    pub kv: Kv,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Ctx {
    pub fn new() -> Result<Ctx> {
        Ok(Ctx { kv: Kv::open()?, now: crate::clock::now() })
    }
}

/// A routed request's answer: its response, or its error through the one
/// mapping.
pub fn answer(result: Result<Response>) -> Response {
    result.unwrap_or_else(|err| error_response(&err))
}

/// A component's front door: its route table gets the path's segments
/// (`/api/members/m_1` → `["api", "members", "m_1"]`) and the method, and
/// what it returns, answer or error, becomes the response.
///
/// A write answered with success by one of the club's people is recorded
/// in the audit log here (`crate::audit`).
pub fn serve(req: &Request, routes: impl FnOnce(&[&str], &spin_sdk::http::Method) -> Result<Response>) -> Response {
    let segs = segments(req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    crate::audit::reset();
    let response = answer(routes(&segs, req.method()));
    crate::audit::finish(&req.method().to_string(), req.path(), *response.status());
    response
}

/// 405, naming the methods the route accepts.
pub fn not_allowed(allow: &'static [&'static str]) -> Result<Response> {
    Err(Error::MethodNotAllowed(allow))
}

/// 404 for a path no route claims.
pub fn no_route() -> Error {
    Error::NotFound("route".into())
}

/// A JSON answer.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}

pub fn no_content() -> Response {
    Response::new(204, ())
}

/// The one place an error becomes a response. Exhaustive on purpose: a new
/// variant does not compile until it has a status and a code.
pub fn error_response(err: &Error) -> Response {
    let (status, code, field): (u16, String, Option<&str>) = match err {
        Error::MalformedJson(_) => (400, "malformed_json".into(), None),
        Error::Unauthorized => (401, "unauthorized".into(), None),
        Error::Forbidden => (403, "forbidden".into(), None),
        Error::Denied { code, .. } => (403, (*code).into(), None),
        Error::NotFound(_) => (404, "not_found".into(), None),
        Error::MethodNotAllowed(_) => (405, "method_not_allowed".into(), None),
        Error::Conflict { code, .. } => (409, (*code).into(), None),
        Error::InsufficientCredit { .. } => (409, "insufficient_credit".into(), None),
        Error::Gone { code, .. } => (410, (*code).into(), None),
        Error::PreconditionFailed { .. } => (412, "precondition_failed".into(), None),
        Error::BodyTooLarge { .. } => (413, "body_too_large".into(), None),
        Error::InvalidField { field, .. } => (422, format!("invalid_{field}"), Some(field.as_str())),
        Error::Unprocessable { code, .. } => (422, (*code).into(), None),
        Error::RateLimited(_) => (429, "rate_limited".into(), None),
        Error::Internal(detail) => {
            log::error(&format!("internal error: {detail}"));
            (500, "internal".into(), None)
        }
        Error::Corrupt { detail, .. } => {
            log::error(&format!("damaged record: {detail}"));
            (500, "store_corrupt".into(), None)
        }
        Error::Unavailable(detail) => {
            log::error(&format!("store unavailable: {detail}"));
            (503, "store_unavailable".into(), None)
        }
    };
    let message = match err {
        Error::Internal(_) => "something went wrong on our side; the request can be retried".to_string(),
        other => other.to_string(),
    };
    let mut body = serde_json::json!({"error": {"code": code, "message": message}});
    if let Some(f) = field {
        body["error"]["field"] = f.into();
    }
    if let Error::Conflict { member_id: Some(id), .. } = err {
        body["error"]["member_id"] = id.as_str().into();
        body["member_id"] = id.as_str().into();
    }
    if let Error::InsufficientCredit { needed, available } = err {
        body["error"]["needed"] = (*needed).into();
        body["error"]["available"] = (*available).into();
    }
    let mut response = match err {
        // `current` is JSON already: spliced in as the body's last member.
        Error::PreconditionFailed { current: Some(current), .. } => {
            let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
            bytes.pop();
            bytes.extend_from_slice(b",\"current\":");
            bytes.extend_from_slice(current.as_bytes());
            bytes.push(b'}');
            Response::builder().status(status).header("content-type", "application/json").body(bytes).build()
        }
        _ => json(status, &body),
    };
    if let Error::PreconditionFailed { etag: Some(tag), .. } = err {
        response.set_header("etag", tag);
    }
    if let Error::MethodNotAllowed(allow) = err {
        response.set_header("allow", allow.join(", "));
    }
    match err {
        Error::RateLimited(_) => response.set_header("retry-after", "60"),
        Error::Unavailable(_) => response.set_header("retry-after", "5"),
        _ => {}
    }
    response
}

/// A JSON answer with the `ETag` of what it shows (`vafa_core::precondition`).
pub fn tagged<T: Serialize>(status: u16, body: &T) -> Response {
    let mut response = json(status, body);
    response.set_header("etag", vafa_core::precondition::etag(body));
    response
}

/// The request's `If-Match`, if it has one.
pub fn if_match(req: &Request) -> Option<vafa_core::precondition::IfMatch> {
    vafa_core::precondition::IfMatch::parse(req.header("if-match").and_then(|v| v.as_str()))
}

/// The body, refused when over [`MAX_BODY`] (by its declared length first,
/// so a huge upload is refused without reading it into a parser).
pub fn body(req: &Request) -> Result<&[u8]> {
    body_up_to(req, MAX_BODY)
}

/// The body, refused when over `limit` (a file upload's own limit).
pub fn body_up_to(req: &Request, limit: usize) -> Result<&[u8]> {
    let declared = req.header("content-length").and_then(|v| v.as_str()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) || req.body().len() > limit {
        return Err(Error::BodyTooLarge { limit });
    }
    Ok(req.body())
}

/// Parses a JSON body into `T`. Not a JSON object → 400; an object of the
/// wrong shape → 422 naming the top-level field at fault.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T> {
    vafa_core::json::parse(body(req)?)
}

/// A query parameter, percent-decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query().as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The path without the query, split into segments (`/api/members/m_1` →
/// `["api", "members", "m_1"]`).
pub fn segments(req: &Request) -> Vec<String> {
    req.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default())
        .collect()
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The owner (the admin token) or a credential's holder.
    Staff(Actor),
    Store(String),
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.header("authorization")?.as_str()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn is_admin_token(token: &str) -> Result<bool> {
    let admin = config::admin_token()?;
    // An empty or missing admin token never matches anything.
    Ok(!admin.is_empty() && secret::constant_time_eq(admin.as_bytes(), token.as_bytes()))
}

/// Admin routes: someone of the club whose role has `right` (403
/// otherwise, and for a store key). Their writes go in the audit log.
pub fn require(req: &Request, kv: &Kv, right: Right) -> Result<Actor> {
    match caller(req, kv, right)? {
        Caller::Staff(actor) => Ok(actor),
        Caller::Store(_) => Err(Error::Forbidden),
    }
}

/// Routes open to the club's people (with `right`) and to stores.
pub fn caller(req: &Request, kv: &Kv, right: Right) -> Result<Caller> {
    let token = bearer(req).ok_or(Error::Unauthorized)?;
    if let Some(caller) = known(kv, token)? {
        if let Caller::Staff(actor) = caller {
            let actor = actor.allowed(right)?;
            crate::audit::begin(&actor, right);
            return Ok(Caller::Staff(actor));
        }
        return Ok(caller);
    }
    // The one write of a refused request: the count that stops guessing.
    if let Some(client) = client(req) {
        let minute = crate::clock::now().timestamp().div_euclid(60);
        if kv.increment(&keys::rate_auth(client, minute), 1)? > staff::MAX_WRONG_TOKENS_PER_MINUTE {
            return Err(Error::RateLimited(format!("more than {} wrong tokens in a minute", staff::MAX_WRONG_TOKENS_PER_MINUTE)));
        }
    }
    Err(Error::Unauthorized)
}

fn known(kv: &Kv, token: &str) -> Result<Option<Caller>> {
    if is_admin_token(token)? {
        return Ok(Some(Caller::Staff(Actor::owner())));
    }
    if token.starts_with("vfs_") {
        let key: Option<Vec<u8>> = kv.get_raw(&keys::store_key(&secret::hash(token)))?;
        return Ok(key.and_then(|v| String::from_utf8(v).ok()).map(Caller::Store));
    }
    if token.starts_with("vfc_") {
        return Ok(kv.get::<Actor>(&keys::credential_key(&secret::hash(token)))?.map(Caller::Staff));
    }
    Ok(None)
}

/// The client's address as Spin saw it (`spin-client-addr`, without the
/// port). Behind a proxy it is the proxy's.
fn client(req: &Request) -> Option<&str> {
    let addr = req.header("spin-client-addr")?.as_str()?;
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    Some(host.trim_start_matches('[').trim_end_matches(']')).filter(|h| !h.is_empty())
}

/// Panel callbacks carry `?token=` (the `callback_token` secret); an empty
/// secret disables the callbacks.
pub fn require_callback_token(req: &Request) -> Result<()> {
    let expected = config::callback_token()?;
    let given = query_param(req, "token").unwrap_or_default();
    if !expected.is_empty() && secret::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(Error::Unauthorized)
    }
}

/// `?limit=` (1-100, default 20) and `?before=` (a cursor from the last page).
pub fn paging(req: &Request) -> Result<(usize, Option<u64>)> {
    paging_up_to(req, 20, 100)
}

/// [`paging`] with its own default and largest page (a file's pages).
pub fn paging_up_to(req: &Request, default: usize, max: usize) -> Result<(usize, Option<u64>)> {
    let limit = match query_param(req, "limit") {
        None => default,
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=max).contains(l)).ok_or_else(|| Error::field("limit", format!("expected 1-{max}")))?,
    };
    let before = match query_param(req, "before") {
        None => None,
        Some(b) => Some(b.parse::<u64>().map_err(|_| Error::field("before", "expected the next_before of the previous page"))?),
    };
    Ok((limit, before))
}
