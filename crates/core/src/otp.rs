//! Double opt-in for public sign-up: a six-digit code by SMS, confirmed
//! within five minutes in at most five tries; a phone may ask three times an
//! hour. Codes are stored only as salted hashes.

use crate::secret;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const TTL: Duration = Duration::minutes(5);
pub const MAX_ATTEMPTS: i64 = 5;
pub const MAX_REQUESTS_PER_HOUR: i64 = 3;
/// Codes the whole club may send a minute, whoever asks: a cap on what the
/// public endpoint can cost, and on how fast it can be used to flood numbers.
pub const MAX_REQUESTS_PER_MINUTE: i64 = 60;

/// A code waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub code_hash: String,
    #[serde(with = "crate::time::rfc3339")]
    pub issued_at: DateTime<Utc>,
    pub name: Option<String>,
    pub store_id: Option<String>,
    pub referral_code: Option<String>,
    #[serde(default)]
    pub birthday: Option<crate::member::Birthday>,
}

/// What a sign-up said about the member-to-be, kept until its code is
/// confirmed.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub name: Option<String>,
    pub store_id: Option<String>,
    pub referral_code: Option<String>,
    pub birthday: Option<crate::member::Birthday>,
}

/// `POST /api/join`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    pub phone: String,
    pub name: Option<String>,
    pub store_id: Option<String>,
    pub referral_code: Option<String>,
    /// Jalali unless `calendar` says `gregorian`.
    pub birthday: Option<String>,
    pub calendar: Option<crate::settings::Calendar>,
}

/// `POST /api/join/verify`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    pub phone: String,
    pub code: String,
}

/// The salt binds a hash to one phone and one issue, so a leaked store does
/// not give away a table that works for every code.
pub fn hash_code(phone: &str, issued_at: DateTime<Utc>, code: &str) -> String {
    secret::hmac_hex(format!("{phone}|{}", issued_at.timestamp()).as_bytes(), code.as_bytes())
}

impl Pending {
    /// A sign-up's details (name, store, referral) wait with its code; a
    /// sign-in has none.
    pub fn new(phone: &str, code: &str, now: DateTime<Utc>, details: Details) -> Pending {
        Pending { code_hash: hash_code(phone, now, code), issued_at: now, name: details.name, store_id: details.store_id, referral_code: details.referral_code, birthday: details.birthday }
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.issued_at + TTL
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    Wrong,
    /// Expired, or out of attempts: a new code must be asked for.
    Expired,
}

/// Judges a code. `failures` is how many wrong codes came before this one.
pub fn check(pending: &Pending, phone: &str, code: &str, failures: i64, now: DateTime<Utc>) -> Verdict {
    if now >= pending.expires_at() || failures >= MAX_ATTEMPTS {
        return Verdict::Expired;
    }
    let code = crate::text::ascii_digits(code.trim());
    let given = hash_code(phone, pending.issued_at, &code);
    if secret::constant_time_eq(given.as_bytes(), pending.code_hash.as_bytes()) { Verdict::Correct } else { Verdict::Wrong }
}

/// What a code by SMS is for. Each has its own pending code; all share
/// the rate limits, so one phone is sent at most three codes an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFor {
    /// Double opt-in (`/api/join`).
    Join,
    /// A member signing in to their own page (`/api/me/code`).
    SignIn,
    /// A signed-in member asking to be forgotten (`/api/me/forget/code`):
    /// the erasure waits for a fresh code, so a page left signed in on a
    /// shared screen cannot erase anyone.
    Erasure,
}

impl CodeFor {
    /// The SMS that carries the code. ASCII digits, so phones offer to autofill.
    pub fn text(self, code: &str, signature: &str) -> String {
        let what = match self {
            CodeFor::Join => "کد تأیید عضویت شما در باشگاه مشتریان",
            CodeFor::SignIn => "کد ورود شما به صفحهٔ باشگاه مشتریان",
            CodeFor::Erasure => "کد تأیید حذف عضویت و اطلاعات شما از باشگاه مشتریان",
        };
        crate::consent::signed(&format!("{what}: {code}\nاین کد تا ۵ دقیقه معتبر است."), signature)
    }

    pub fn purpose(self) -> crate::message::Purpose {
        match self {
            CodeFor::Join => crate::message::Purpose::JoinCode,
            CodeFor::SignIn => crate::message::Purpose::SignInCode,
            CodeFor::Erasure => crate::message::Purpose::ErasureCode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T08:30:00Z".parse().unwrap()
    }

    fn pending() -> Pending {
        Pending::new("+989121234567", "123456", now(), Details::default())
    }

    #[test]
    fn a_code_is_right_once_wrong_otherwise_and_expires() {
        let p = pending();
        let cases = [
            ("123456", 0, 0, Verdict::Correct),
            ("۱۲۳۴۵۶", 0, 0, Verdict::Correct),
            (" 123456 ", 4, 0, Verdict::Correct),
            ("123457", 0, 0, Verdict::Wrong),
            ("123456", 5, 0, Verdict::Expired),
            ("123456", 0, 299, Verdict::Correct),
            ("123456", 0, 300, Verdict::Expired),
        ];
        for (code, failures, after, expect) in cases {
            let at = now() + Duration::seconds(after);
            assert_eq!(check(&p, "+989121234567", code, failures, at), expect, "{code} {failures} {after}");
        }
        assert_eq!(check(&p, "+989121234568", "123456", 0, now()), Verdict::Wrong);
    }

    #[test]
    fn the_stored_hash_is_not_the_code() {
        assert!(!pending().code_hash.contains("123456"));
    }
}
