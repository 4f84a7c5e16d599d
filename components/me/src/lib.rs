//! A member's own page (`/me`): sign in with a code by SMS, see the points,
//! the pending points, the tier and the next one, the codes still to use,
//! and opt out of the club's marketing or back in.
//!
//! - `POST /api/me/code` `{"phone"}` → 202: a sign-in code by SMS. The same
//!   answer, and the same work, whether or not the phone is a member's.
//! - `POST /api/me/session` `{"phone", "code"}` → 201 the page, with the
//!   session cookie; a phone that is no member's (known only to whoever
//!   holds it, by the code) → 403 `not_a_member`.
//! - `GET /api/me` → the page (with the rewards the member can choose
//!   from and their referral link); `POST /api/me/consent` `{"marketing"}`
//!   → the page; `DELETE /api/me/session` → 204, the session ended for good.
//! - `GET /api/me/history?limit=&before=` → the member's points history,
//!   newest first (the journal's entries).
//! - `POST /api/me/redemptions` is the `me-redemptions` component's.
//! - `POST /api/me/birthday` `{"birthday", "calendar"}` → the page, once:
//!   a birthday already given → 409 `birthday_already_set`.
//! - `POST /api/me/forget/code` → 202: a fresh code by SMS to the member's
//!   phone; `POST /api/me/forget` `{"code"}` → 204: the member is erased,
//!   as the owner's `DELETE /api/members/{id}` erases, and the session ends.
//!
//! The session is a random id in an `HttpOnly`, `SameSite=Strict` cookie
//! signed with a key derived from the admin token, and a record under the
//! id (`vafa_core::session`, read by `vafa_spin::sessions`). Nothing else
//! of it is stored.

use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::consent::Source;
use vafa_core::error::{Error, Result};
use vafa_core::member;
use vafa_core::reward::Catalog;
use vafa_core::settings::Calendar;
use vafa_core::otp::{self, CodeFor, Details};
use vafa_core::session::{self, Session};
use vafa_core::settings::Settings;
use vafa_core::wallet::Wallet;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::members::{self, Found};
use vafa_spin::sessions::{cookie_id, place, signed_in, signing_key};
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
        (["api", "me", "history"], Get) => history(req, &Ctx::new()?),
        (["api", "me", "history"], _) => not_allowed(&["GET"]),
        (["api", "me", "birthday"], Post) => birthday(req, &Ctx::new()?),
        (["api", "me", "birthday"], _) => not_allowed(&["POST"]),
        (["api", "me", "forget", "code"], Post) => erasure_code(req, &Ctx::new()?),
        (["api", "me", "forget", "code"], _) => not_allowed(&["POST"]),
        (["api", "me", "forget"], Post) => forget(req, &Ctx::new()?),
        (["api", "me", "forget"], _) => not_allowed(&["POST"]),
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
struct ForgetInput {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentInput {
    marketing: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BirthdayInput {
    birthday: String,
    calendar: Option<Calendar>,
}

fn send_code(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: CodeInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    join::send_code(&ctx.kv, &settings, &phone, CodeFor::SignIn, Details::default(), ctx.now)?;
    Ok(http::json(202, &json!({"expires_in": otp::TTL.num_seconds()})))
}

fn sign_in(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: SignInInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
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
    response.set_header("set-cookie", session::set_cookie(&signing_key()?, &id, place(req)));
    Ok(response)
}

fn page(req: &Request, ctx: &Ctx) -> Result<Response> {
    let (record, found, wallet) = signed_in(req, ctx)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    Ok(http::json(200, &view(ctx, &settings, &found, &wallet, &record)?))
}

fn consent(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: ConsentInput = http::parse_json(req)?;
    let (record, mut found, wallet) = signed_in(req, ctx)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    if found.member.accepts_marketing() != input.marketing {
        found.member.record_consent(input.marketing, Source::Web, Some(CONSENT_TEXT.into()), ctx.now);
        members::save_consent(&ctx.kv, &settings, &found, ctx.now)?;
    }
    Ok(http::json(200, &view(ctx, &settings, &found, &wallet, &record)?))
}

fn history(req: &Request, ctx: &Ctx) -> Result<Response> {
    let (limit, before) = http::paging(req)?;
    let (_, found, _) = signed_in(req, ctx)?;
    let (entries, next) = vafa_spin::wallet::ledger(&ctx.kv, found.number, limit, before)?;
    Ok(http::json(200, &json!({"entries": entries, "next_before": next})))
}

fn birthday(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: BirthdayInput = http::parse_json(req)?;
    let (record, mut found, wallet) = signed_in(req, ctx)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let calendar = input.calendar.unwrap_or(Calendar::Jalali);
    let b = found.member.give_birthday(&input.birthday, calendar, member::today(&settings, ctx.now), ctx.now)?;
    members::index_birthday(&ctx.kv, found.number, &b)?;
    members::save(&ctx.kv, &found)?;
    Ok(http::json(200, &view(ctx, &settings, &found, &wallet, &record)?))
}

/// The code that confirms an erasure goes to the member's own phone, under
/// the same limits as every code.
fn erasure_code(req: &Request, ctx: &Ctx) -> Result<Response> {
    let (_, found, _) = signed_in(req, ctx)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let phone = found.member.phone.as_ref().ok_or(Error::Unauthorized)?;
    join::send_code(&ctx.kv, &settings, phone, CodeFor::Erasure, Details::default(), ctx.now)?;
    Ok(http::json(202, &json!({"expires_in": otp::TTL.num_seconds()})))
}

/// The owner's erasure, asked for by the member and confirmed by the code;
/// the session, like every other the member has, opens nothing after it.
fn forget(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: ForgetInput = http::parse_json(req)?;
    let (_, mut found, _) = signed_in(req, ctx)?;
    let phone = found.member.phone.clone().ok_or(Error::Unauthorized)?;
    join::confirm(&ctx.kv, &phone, CodeFor::Erasure, &input.code, ctx.now)?;
    members::erase(&ctx.kv, &mut found, ctx.now)?;
    vafa_spin::log::info(&format!("member {} erased at their own request", found.member.id));
    sign_out(req, ctx)
}

/// Ends the session for good: its record goes, so the cookie, even kept
/// by someone, opens nothing. Signing out twice is no error.
fn sign_out(req: &Request, ctx: &Ctx) -> Result<Response> {
    if let Some(id) = cookie_id(req)? {
        ctx.kv.delete(&keys::session(&id))?;
    }
    let mut response = http::no_content();
    response.set_header("set-cookie", session::clear_cookie(place(req)));
    Ok(response)
}

/// The page: what the member may see of themselves. The phone is masked
/// (a page left open on a shared screen shows little).
fn view(ctx: &Ctx, settings: &Settings, found: &Found, wallet: &Wallet, record: &Session) -> Result<Value> {
    let m = &found.member;
    let live = codes::live_for(&ctx.kv, found.number, ctx.now)?;
    let catalog: Catalog = ctx.kv.get(keys::REWARDS)?.unwrap_or_default();
    let rank = wallet.tier_rank(settings);
    let rewards: Vec<Value> = catalog
        .rewards
        .iter()
        .filter(|r| r.active && r.allows_tier(rank, settings))
        .map(|r| {
            let mut v = r.member_view();
            v["affordable"] = json!(found.standing.points >= r.cost as i64);
            v
        })
        .collect();
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
            "referral_link": format!("{}/join?ref={}", config::public_base_url()?, m.referral_code),
            "birthday": m.birthday.map(|b| b.view()),
        },
        "codes": codes,
        "rewards": rewards,
        "club": {"name": settings.sender_signature, "timezone": settings.timezone},
        "session": {"expires_at": vafa_core::time::format(&record.expires_at)},
    }))
}
