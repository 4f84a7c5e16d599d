//! Public double opt-in (README "Public double opt-in"): a six-digit code by
//! transactional SMS, then its confirmation creates or opts in the member
//! (a new member with the birthday the sign-up gave, if any).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::consent::Source;
use vafa_core::error::{Error, Result};
use vafa_core::member::{self, Draft};
use vafa_core::otp::{self, CodeFor, Details, JoinInput, VerifyInput};
use vafa_core::settings::{Calendar, Settings};
use vafa_spin::members::{self as store};
use vafa_spin::{http, join};

/// The exact words a member agrees to by confirming the code.
const CONSENT_TEXT: &str = "عضویت در باشگاه مشتریان و دریافت پیامک‌های آن با تأیید کد پیامکی";

pub fn start(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: JoinInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    let name = input.name.as_deref().map(member::validate_name).transpose()?.flatten();
    if let Some(s) = &input.store_id {
        vafa_core::shop::validate_id(s)?;
    }
    let referral_code = input.referral_code.as_deref().map(member::normalize_referral_code).transpose()?;
    let calendar = input.calendar.unwrap_or(Calendar::Jalali);
    let birthday = input.birthday.as_deref().map(|b| member::parse_birthday(b, calendar, member::today(&settings, ctx.now))).transpose()?;
    let details = Details { name, store_id: input.store_id, referral_code, birthday };
    join::send_code(&ctx.kv, &settings, &phone, CodeFor::Join, details, ctx.now)?;
    Ok(http::json(202, &serde_json::json!({"expires_in": otp::TTL.num_seconds()})))
}

pub fn verify(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: VerifyInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    let pending = join::confirm(&ctx.kv, &phone, CodeFor::Join, &input.code, ctx.now)?;
    let (status, found) = match store::by_phone(&ctx.kv, &phone)? {
        Some(found) => (200, opt_in(ctx, &settings, found)?),
        None => {
            let draft = Draft {
                phone: phone.clone(),
                name: pending.name.clone(),
                birthday: pending.birthday,
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
    join::forget(&ctx.kv, &phone, CodeFor::Join)?;
    Ok(http::json(status, &found.view()))
}

fn opt_in(ctx: &Ctx, settings: &Settings, mut found: store::Found) -> Result<store::Found> {
    if !found.member.accepts_marketing() {
        found.member.record_consent(true, Source::Web, Some(CONSENT_TEXT.into()), ctx.now);
        store::save_consent(&ctx.kv, settings, &found, ctx.now)?;
    }
    Ok(found)
}
