//! A six-digit code by transactional SMS and its confirmation: the double
//! opt-in of `POST /api/join` (and of `عضویت` texted by an unknown number),
//! and a member's sign-in to `/me`.

use crate::kv::Kv;
use crate::members;
use crate::outbox::{Outbox, Recipient};
use crate::{clock, keys};
use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};
use vafa_core::otp::{self, CodeFor, Details, Pending, Verdict};
use vafa_core::phone::Phone;
use vafa_core::secret;
use vafa_core::settings::Settings;

/// Rate limits, then a fresh code (replacing any earlier one of its kind)
/// by SMS. The same work whether or not the phone is a member's, so the
/// answer tells nobody which it is.
pub fn send_code(kv: &Kv, settings: &Settings, phone: &Phone, code_for: CodeFor, details: Details, now: DateTime<Utc>) -> Result<()> {
    let per_phone = keys::rate_join_phone(phone.as_str(), now.timestamp().div_euclid(3600));
    if kv.increment(&per_phone, 1)? > otp::MAX_REQUESTS_PER_HOUR {
        kv.increment(&per_phone, -1)?;
        return Err(Error::RateLimited(format!("at most {} codes an hour for one phone", otp::MAX_REQUESTS_PER_HOUR)));
    }
    let all = keys::rate_join_all(now.timestamp().div_euclid(60));
    if kv.increment(&all, 1)? > otp::MAX_REQUESTS_PER_MINUTE {
        kv.increment(&all, -1)?;
        kv.increment(&per_phone, -1)?;
        return Err(Error::RateLimited("too many codes asked for right now; try again in a minute".into()));
    }
    let code = loop {
        if let Some(code) = secret::six_digits(clock::random()?) {
            break code;
        }
    };
    kv.put(&keys::otp(code_for, phone.as_str()), &Pending::new(phone.as_str(), &code, now, details))?;
    let existing = members::by_phone(kv, phone)?;
    let recipient = existing.as_ref().map(|f| Recipient { number: f.number, member: &f.member });
    Outbox::new(kv)?.send_code(recipient, phone, code_for.text(&code, &settings.sender_signature), &code, code_for.purpose(), now)?;
    crate::log::info(&format!("{code_for:?} code sent to {phone}"));
    Ok(())
}

/// The second step: the code a phone was sent for `code_for`, checked
/// (five tries, five minutes). `Ok` gives the confirmed sign-up's details;
/// the pending code stays until the caller has done its work and calls
/// [`forget`].
pub fn confirm(kv: &Kv, phone: &Phone, code_for: CodeFor, code: &str, now: DateTime<Utc>) -> Result<Pending> {
    if code.trim().is_empty() || code.chars().count() > 12 {
        return Err(Error::field("code", "expected the 6-digit code from the SMS"));
    }
    let expired = || Error::Gone { code: "code_expired", message: "the code has expired or was tried too often; ask for a new one".into() };
    let pending: Pending = kv.get(&keys::otp(code_for, phone.as_str()))?.ok_or_else(expired)?;
    let fail_key = keys::otp_fail(phone.as_str(), pending.issued_at.timestamp());
    let failures = kv.counter(&fail_key)?;
    match otp::check(&pending, phone.as_str(), code, failures, now) {
        Verdict::Expired => Err(expired()),
        Verdict::Wrong => {
            let failures = kv.increment(&fail_key, 1)?;
            if failures >= otp::MAX_ATTEMPTS {
                return Err(expired());
            }
            Err(Error::Unprocessable { code: "invalid_code", message: format!("wrong code; {} tries left", otp::MAX_ATTEMPTS - failures) })
        }
        Verdict::Correct => Ok(pending),
    }
}

/// A confirmed code is used up.
pub fn forget(kv: &Kv, phone: &Phone, code_for: CodeFor) -> Result<()> {
    kv.delete(&keys::otp(code_for, phone.as_str()))
}
