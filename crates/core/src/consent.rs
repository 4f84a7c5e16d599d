//! Consent is a record, not a flag: what the member agreed to, when, how,
//! and the exact words they were shown.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    #[default]
    None,
    OptedIn,
    OptedOut,
}

/// How consent was given or withdrawn (docs/rules.md, "Members").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Checkout,
    Web,
    Keyword,
    Import,
    Api,
}

impl Source {
    pub const ACCEPTED: &'static str = "checkout, web, keyword, import, api";

    pub fn parse(s: &str) -> Result<Source> {
        Ok(match s {
            "checkout" => Source::Checkout,
            "web" => Source::Web,
            "keyword" => Source::Keyword,
            "import" => Source::Import,
            "api" => Source::Api,
            _ => return Err(Error::field("consent", format!("source {s:?}: expected one of {}", Source::ACCEPTED))),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub status: ConsentStatus,
    pub source: Option<Source>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub at: Option<DateTime<Utc>>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub status: ConsentStatus,
    pub source: Source,
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    pub text: Option<String>,
}

/// The last SMS after an opt-out (transactional: the member asked for it).
pub fn optout_confirmation(signature: &str) -> String {
    signed("لغو عضویت شما از پیامک‌های تبلیغاتی انجام شد. برای عضویت دوباره ۱۲ را ارسال کنید.", signature)
}

/// The answer to `12` from an opted-out member.
pub fn optin_confirmation(signature: &str) -> String {
    signed("عضویت شما در پیامک‌های باشگاه دوباره فعال شد. برای لغو، ۱۱ را ارسال کنید.", signature)
}

pub fn signed(text: &str, signature: &str) -> String {
    if signature.is_empty() { text.to_string() } else { format!("{text}\n{signature}") }
}
