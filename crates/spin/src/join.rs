//! The first step of double opt-in: a six-digit code by transactional SMS,
//! for `POST /api/join` and for `عضویت` texted by an unknown number.

use crate::kv::Kv;
use crate::members;
use crate::outbox::{Outbox, Recipient};
use crate::{clock, keys};
use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};
use vafa_core::message::{Kind, Purpose};
use vafa_core::otp::{self, JoinInput, Pending};
use vafa_core::phone::Phone;
use vafa_core::secret;
use vafa_core::settings::Settings;

/// Rate limits, then a fresh code (replacing any earlier one) by SMS.
pub fn send_code(kv: &Kv, settings: &Settings, phone: &Phone, input: &JoinInput, name: Option<String>, referral: Option<String>, now: DateTime<Utc>) -> Result<()> {
    let per_phone = keys::rate_join_phone(phone.as_str(), now.timestamp().div_euclid(3600));
    if kv.increment(&per_phone, 1)? > otp::MAX_REQUESTS_PER_HOUR {
        kv.increment(&per_phone, -1)?;
        return Err(Error::RateLimited(format!("at most {} codes an hour for one phone", otp::MAX_REQUESTS_PER_HOUR)));
    }
    let all = keys::rate_join_all(now.timestamp().div_euclid(60));
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
    kv.put(&keys::otp(phone.as_str()), &Pending::new(phone.as_str(), &code, now, input, name, referral))?;
    let existing = members::by_phone(kv, phone)?;
    let recipient = existing.as_ref().map(|f| Recipient { number: f.number, member: &f.member });
    Outbox::new(kv)?.send(recipient, phone, otp::code_text(&code, &settings.sender_signature), Kind::Transactional, Purpose::JoinCode, now)?;
    crate::log::info(&format!("join code sent to {phone}"));
    Ok(())
}
