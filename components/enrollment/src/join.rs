//! Public double opt-in (the API contract "Public double opt-in"): a six-digit code by
//! transactional SMS, then its confirmation creates or opts in the member.

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::consent::Source;
use vafa_core::error::{Error, Result};
use vafa_core::member::{self, Draft};
use vafa_core::message::{Kind, Purpose};
use vafa_core::otp::{self, JoinInput, Pending, Verdict, VerifyInput};
use vafa_core::phone::Phone;
use vafa_core::secret;
use vafa_core::settings::Settings;
use vafa_spin::members::{self as store};
use vafa_spin::outbox::{Outbox, Recipient};
use vafa_spin::{clock, http, keys};

/// The exact words a member agrees to by confirming the code.
const CONSENT_TEXT: &str = "عضویت در باشگاه مشتریان و دریافت پیامک‌های آن با تأیید کد پیامکی";

pub fn start(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: JoinInput = http::parse_json(req)?;
    let settings = http::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    let name = input.name.as_deref().map(member::validate_name).transpose()?.flatten();
    if let Some(s) = &input.store_id {
        vafa_core::shop::validate_id(s)?;
    }
    let referral = input.referral_code.as_deref().map(member::normalize_referral_code).transpose()?;
    send_code(ctx, &settings, &phone, &input, name, referral)?;
    Ok(http::json(202, &serde_json::json!({"expires_in": otp::TTL.num_seconds()})))
}

/// Rate limits, then a fresh code (replacing any earlier one) by SMS. Also
/// used when `عضویت` arrives by SMS from an unknown number.
pub fn send_code(ctx: &Ctx, settings: &Settings, phone: &Phone, input: &JoinInput, name: Option<String>, referral: Option<String>) -> Result<()> {
    let kv = &ctx.kv;
    let per_phone = keys::rate_join_phone(phone.as_str(), ctx.now.timestamp().div_euclid(3600));
    if kv.increment(&per_phone, 1)? > otp::MAX_REQUESTS_PER_HOUR {
        kv.increment(&per_phone, -1)?;
        return Err(Error::RateLimited(format!("at most {} codes an hour for one phone", otp::MAX_REQUESTS_PER_HOUR)));
    }
    let all = keys::rate_join_all(ctx.now.timestamp().div_euclid(60));
    if kv.increment(&all, 1)? > otp::MAX_REQUESTS_PER_MINUTE {
        kv.increment(&all, -1)?;
        kv.increment(&per_phone, -1)?;
        return Err(Error::RateLimited("too many sign-ups right now; try again in a minute".into()));
    }
    let code = loop {
        if let Some(code) = secret::six_digits(clock::random()?) {
            break code;
        }
    };
    kv.put(&keys::otp(phone.as_str()), &Pending::new(phone.as_str(), &code, ctx.now, input, name, referral))?;
    let existing = store::by_phone(kv, phone)?;
    let recipient = existing.as_ref().map(|f| Recipient { number: f.number, member: &f.member });
    Outbox::new(kv)?.send(recipient, phone, otp::code_text(&code, &settings.sender_signature), Kind::Transactional, Purpose::JoinCode, ctx.now)?;
    vafa_spin::log::info(&format!("join code sent to {phone}"));
    Ok(())
}

pub fn verify(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: VerifyInput = http::parse_json(req)?;
    let settings = http::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    if input.code.trim().is_empty() || input.code.chars().count() > 12 {
        return Err(Error::field("code", "expected the 6-digit code from the SMS"));
    }
    let expired = || Error::Gone { code: "code_expired", message: "the code has expired or was tried too often; ask for a new one".into() };
    let pending: Pending = ctx.kv.get(&keys::otp(phone.as_str()))?.ok_or_else(expired)?;
    let issued = pending.issued_at.timestamp();
    let fail_key = keys::otp_fail(phone.as_str(), issued);
    let failures = ctx.kv.counter(&fail_key)?;
    match otp::check(&pending, phone.as_str(), &input.code, failures, ctx.now) {
        Verdict::Expired => return Err(expired()),
        Verdict::Wrong => {
            let failures = ctx.kv.increment(&fail_key, 1)?;
            if failures >= otp::MAX_ATTEMPTS {
                return Err(expired());
            }
            return Err(Error::Unprocessable {
                code: "invalid_code",
                message: format!("wrong code; {} tries left", otp::MAX_ATTEMPTS - failures),
            });
        }
        Verdict::Correct => {}
    }
    let (status, found) = match store::by_phone(&ctx.kv, &phone)? {
        Some(found) => (200, opt_in(ctx, &settings, found)?),
        None => {
            let draft = Draft {
                phone: phone.clone(),
                name: pending.name.clone(),
                birthday: None,
                tags: Vec::new(),
                consent: Some((true, Source::Web, Some(CONSENT_TEXT.into()))),
                referral_code: pending.referral_code.clone(),
                store_id: pending.store_id.clone(),
            };
            match store::create(&ctx.kv, &settings, draft, ctx.now) {
                Ok(found) => (201, found),
                // Confirmed twice at once: the other request made the member.
                Err(Error::Conflict { member_id: Some(id), .. }) => (200, opt_in(ctx, &settings, store::by_id(&ctx.kv, &id)?)?),
                Err(e) => return Err(e),
            }
        }
    };
    ctx.kv.delete(&keys::otp(phone.as_str()))?;
    Ok(http::json(status, &found.view()))
}

fn opt_in(ctx: &Ctx, settings: &Settings, mut found: store::Found) -> Result<store::Found> {
    if !found.member.accepts_marketing() {
        found.member.record_consent(true, Source::Web, Some(CONSENT_TEXT.into()), ctx.now);
        store::save_consent(&ctx.kv, settings, &found, ctx.now)?;
    }
    Ok(found)
}
