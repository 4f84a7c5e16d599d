//! The points ledger: one append-only entry per change of a member's balance,
//! with the balance after it (see `wallet` for how the two stay in step).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Earn,
    Refund,
    Redeem,
    RedeemCancel,
    Expire,
    Referral,
    Adjust,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub points: i64,
    pub balance: i64,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// What else the change did (`tier_upgrade:silver`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Largest single manual adjustment, either way.
pub const MAX_ADJUST: i64 = 1_000_000;

/// `POST /api/members/{id}/adjust`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustInput {
    pub points: i64,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

impl AdjustInput {
    pub fn validate(&self) -> crate::error::Result<()> {
        use crate::error::Error;
        if self.points == 0 || self.points.abs() > MAX_ADJUST {
            return Err(Error::field("points", format!("expected a non-zero whole number within ±{MAX_ADJUST}")));
        }
        let n = self.reason.trim().chars().count();
        if n == 0 || n > 200 {
            return Err(Error::field("reason", "expected 1-200 characters"));
        }
        if let Some(k) = &self.idempotency_key
            && (k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
                return Err(Error::field("idempotency_key", "expected 1-64 of A-Z, a-z, 0-9, - and _"));
            }
        Ok(())
    }
}
