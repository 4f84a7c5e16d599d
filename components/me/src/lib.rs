//! A member's own page (`/me`): sign in with a code by SMS, see the points,
//! the pending points, the tier and the next one, the codes still to use,
//! and opt out of the club's marketing or back in.
//!
//! - `POST /api/me/code` `{"phone"}` → 202: a sign-in code by SMS. The same
//!   answer, and the same work, whether or not the phone is a member's.
//! - `POST /api/me/session` `{"phone", "code"}` → 201 the page, with the
//!   session cookie; a phone that is no member's (known only to whoever
//!   holds it, by the code) → 403 `not_a_member`.
//! - `GET /api/me` → the page; `POST /api/me/consent` `{"marketing"}` → the
//!   page; `DELETE /api/me/session` → 204, the session ended for good.
//!
//! The session is a random id in an `HttpOnly`, `SameSite=Strict` cookie
//! signed with a key derived from the admin token, and a record under the
//! id (`vafa_core::session`). Nothing else of it is stored.

use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::consent::Source;
use vafa_core::error::{Error, Result};
use vafa_core::member;
use vafa_core::otp::{self, CodeFor, Details};
use vafa_core::session::{self, Session};
use vafa_core::settings::Settings;
use vafa_core::wallet::Wallet;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::members::{self, Found};
use vafa_spin::{clock, codes, config, join, keys};

/// What a member agrees to, or withdraws, on their page.
const CONSENT_TEXT: &str = "دریافت پیامک‌های تبلیغاتی باشگاه مشتریان (از صفحهٔ عضو)";

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| route(&req, segs, method))
}

fn route(req: &Request, segs: &[&str], method: &Method) -> Result<Response> {
    use Method::*;
    match (segs, method) {
        (["api", "me"], Get) => page(req, &Ctx::new()?),
        (["api", "me"], _) => not_allowed(&["GET"]),
        (["api", "me", "code"], Post) => send_code(req, &Ctx::new()?),
        (["api", "me", "code"], _) => not_allowed(&["POST"]),
        (["api", "me", "session"], Post) => sign_in(req, &Ctx::new()?),
        (["api", "me", "session"], Delete) => sign_out(req, &Ctx::new()?),
        (["api", "me", "session"], _) => not_allowed(&["POST", "DELETE"]),
        (["api", "me", "consent"], Post) => consent(req, &Ctx::new()?),
        (["api", "me", "consent"], _) => not_allowed(&["POST"]),
        _ => Err(no_route()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeInput {
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInInput {
    phone: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentInput {
    marketing: bool,
}

fn send_code(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: CodeInput = http::parse_json(req)?;
    let settings = http::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    join::send_code(&ctx.kv, &settings, &phone, CodeFor::SignIn, Details::default(), ctx.now)?;
    Ok(http::json(202, &json!({"expires_in": otp::TTL.num_seconds()})))
}

fn sign_in(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: SignInInput = http::parse_json(req)?;
    let settings = http::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    join::confirm(&ctx.kv, &phone, CodeFor::SignIn, &input.code, ctx.now)?;
    let found = members::by_phone(&ctx.kv, &phone)?;
    join::forget(&ctx.kv, &phone, CodeFor::SignIn)?;
    let found = found.ok_or_else(|| Error::Denied { code: "not_a_member", message: "this phone is not in the club; join first".into() })?;
    let wallet = vafa_spin::wallet::read(&ctx.kv, found.number)?;
    let id = session::new_id(&clock::random()?);
    let record = Session::new(&found.member.id, ctx.now);
    ctx.kv.put(&keys::session(&id), &record)?;
    let body = view(ctx, &settings, &found, &wallet, &record)?;
    let mut response = http::json(201, &body);
    response.set_header("set-cookie", session::set_cookie(&signing_key()?, &id, secure(req)));
    Ok(response)
}

fn page(req: &Request, ctx: &Ctx) -> Result<Response> {
    let (record, found, wallet) = signed_in(req, ctx)?;
    let settings = http::settings(&ctx.kv)?;
    Ok(http::json(200, &view(ctx, &settings, &found, &wallet, &record)?))
}

fn consent(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: ConsentInput = http::parse_json(req)?;
    let (record, mut found, wallet) = signed_in(req, ctx)?;
    let settings = http::settings(&ctx.kv)?;
    if found.member.accepts_marketing() != input.marketing {
        found.member.record_consent(input.marketing, Source::Web, Some(CONSENT_TEXT.into()), ctx.now);
        members::save_consent(&ctx.kv, &settings, &found, ctx.now)?;
    }
    Ok(http::json(200, &view(ctx, &settings, &found, &wallet, &record)?))
}

/// Ends the session for good: its record goes, so the cookie, even kept
/// by someone, opens nothing. Signing out twice is no error.
fn sign_out(req: &Request, ctx: &Ctx) -> Result<Response> {
    if let Some(id) = cookie_id(req)? {
        ctx.kv.delete(&keys::session(&id))?;
    }
    let mut response = http::no_content();
    response.set_header("set-cookie", session::clear_cookie(secure(req)));
    Ok(response)
}

/// The session the cookie names, live, and its member (not erased) with
/// their wallet; otherwise 401. An expired session's record is deleted.
fn signed_in(req: &Request, ctx: &Ctx) -> Result<(Session, Found, Wallet)> {
    let id = cookie_id(req)?.ok_or(Error::Unauthorized)?;
    let key = keys::session(&id);
    let record: Session = ctx.kv.get(&key)?.ok_or(Error::Unauthorized)?;
    let member = keys::member_number(&record.member_id).filter(|_| record.is_live(ctx.now)).map(|n| members::load_with_wallet(&ctx.kv, n)).transpose()?.flatten();
    match member {
        Some((found, wallet)) if !found.member.is_erased() => Ok((record, found, wallet)),
        _ => {
            ctx.kv.delete(&key)?;
            Err(Error::Unauthorized)
        }
    }
}

fn cookie_id(req: &Request) -> Result<Option<String>> {
    let key = signing_key()?;
    Ok(req.header("cookie").and_then(|v| v.as_str()).and_then(|header| session::id_from_cookie(&key, header)))
}

fn signing_key() -> Result<[u8; 32]> {
    Ok(session::signing_key(&config::admin_token()?))
}

/// `Secure` unless the browser reached us on loopback, as the URL Spin
/// saw says (`spin-full-url`; the guest never sees a `host` header).
fn secure(req: &Request) -> bool {
    let url = req.header("spin-full-url").and_then(|v| v.as_str()).unwrap_or("");
    let host = url.strip_prefix("http://").map(|rest| rest.split('/').next().unwrap_or(""));
    !host.is_some_and(session::is_loopback)
}

/// The page: what the member may see of themselves. The phone is masked
/// (a page left open on a shared screen shows little).
fn view(ctx: &Ctx, settings: &Settings, found: &Found, wallet: &Wallet, record: &Session) -> Result<Value> {
    let m = &found.member;
    let live = codes::live_for(&ctx.kv, found.number, ctx.now)?;
    let codes: Vec<Value> = live
        .iter()
        .map(|r| json!({"code": r.code, "reward": r.reward.name, "kind": r.reward.kind, "value": r.reward.value, "min_order": r.reward.min_order, "expires_at": vafa_core::time::format(&r.expires_at)}))
        .collect();
    Ok(json!({
        "member": {
            "name": m.name,
            "phone": m.phone.as_ref().map(|p| p.masked()),
            "joined_at": vafa_core::time::format(&m.joined_at),
            "points": found.standing.points,
            "pending_points": found.standing.pending_points,
            "tier": m.tier,
            "next_tier": wallet.next_tier(settings, ctx.now),
            "marketing": m.accepts_marketing(),
            "referral_code": m.referral_code,
        },
        "codes": codes,
        "club": {"name": settings.sender_signature, "timezone": settings.timezone},
        "session": {"expires_at": vafa_core::time::format(&record.expires_at)},
    }))
}
