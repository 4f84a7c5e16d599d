//! The index of messages whose delivery state to ask the panel
//! (`status:{minute}`, one entry per panel call): written by the outbox when
//! it sends, swept by `poll`, which asks 10 minutes, 1 hour, 6 hours and a
//! day after the send.

use crate::daily::DayList;
use crate::keys;
use crate::kv::Kv;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vafa_core::error::{Error, Result};
use vafa_core::zone::Day;

/// Messages whose delivery state to ask at a minute, and which check it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub check: usize,
    pub messages: Vec<u64>,
}

/// Minutes after the send of each check (the last given up after).
const CHECKS: [i64; 4] = [10, 60, 6 * 60, 24 * 60];

/// Indexes `messages` for their `check`-th status check (from 1); nothing
/// after the last.
pub fn index_check(kv: &Kv, check: usize, messages: &[u64], now: DateTime<Utc>) -> Result<()> {
    let Some(after) = CHECKS.get(check - 1) else { return Ok(()) };
    if messages.is_empty() {
        return Ok(());
    }
    let since_last = after - check.checked_sub(2).map_or(0, |i| CHECKS[i]);
    let minute = (now.timestamp().div_euclid(60) + since_last) as Day;
    let entry = serde_json::to_vec(&Check { check, messages: messages.to_vec() }).map_err(Error::internal)?;
    kv.append(&keys::status_len(minute), |k| keys::status(minute, k), &entry).map(drop)
}

/// The index's minutes, swept from a cursor.
pub const DUE: DayList<'static> = DayList { cursor: keys::STATUS_CURSOR, len: keys::status_len, slot: keys::status };
