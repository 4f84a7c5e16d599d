//! Work indexed by the minute it is due, swept from a cursor, as the SMS
//! outbox is (coupons, product categories): a queue's ids are appended under `{queue}-due:{minute}:{k}`
//! (its count at `{queue}-due-len:{minute}`), and a tick walks every minute
//! from `{queue}:cursor` up to now. Its work follows what is due, never the
//! number of records. An id may be indexed more than once (a retry, a
//! repeated call): the work reads its record and passes over what is done.

use crate::keys;
use crate::kv::{BATCH, Kv, counter_in};
use chrono::{DateTime, Utc};
use vafa_core::error::Result;

/// How far back a tick with no cursor yet looks.
const FIRST_LOOKBACK_MINUTES: i64 = 24 * 60;

/// The minute `t` falls due in (a time within a minute is due at its end).
fn minute_of(t: DateTime<Utc>) -> i64 {
    (t.timestamp() + 59).div_euclid(60)
}

/// The next whole minute after `now`: this minute's work may have been
/// swept already.
pub fn next_minute(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(60 - now.timestamp().rem_euclid(60))
}

/// Indexes `id` in `queue` for the minute `at` falls in.
pub fn index(kv: &Kv, queue: &str, id: &str, at: DateTime<Utc>) -> Result<()> {
    let minute = minute_of(at);
    kv.append(&keys::queue_due_len(queue, minute), |k| keys::queue_due(queue, minute, k), id.as_bytes()).map(drop)
}

/// What a sweep covered.
#[derive(Debug, Default, Clone, Copy)]
pub struct Swept {
    pub minutes: i64,
    /// Every minute up to now was swept.
    pub caught_up: bool,
}

/// Every minute of `queue` from its cursor up to now, each minute's ids in
/// turn (each once per minute). `work` answers `false` to stop (its
/// budget is spent): that minute and the later ones are left for the next
/// tick, as they are when the tick is cut off, and the ids of a minute
/// swept again are worked again (a job done is passed over by its state).
pub fn sweep(kv: &Kv, queue: &str, now: DateTime<Utc>, mut work: impl FnMut(&str) -> Result<bool>) -> Result<Swept> {
    let current = now.timestamp().div_euclid(60);
    let cursor_key = keys::queue_cursor(queue);
    let cursor: Option<i64> = kv.get(&cursor_key)?;
    let first = cursor.map_or(current - FIRST_LOOKBACK_MINUTES, |c| c + 1);
    let minutes: Vec<i64> = (first..=current).collect();
    let mut swept = Swept::default();
    let mut done = cursor;
    'sweep: for chunk in minutes.chunks(BATCH) {
        let len_keys: Vec<String> = chunk.iter().map(|m| keys::queue_due_len(queue, *m)).collect();
        let lens = kv.get_many(&len_keys)?;
        for (minute, key) in chunk.iter().zip(&len_keys) {
            let len = counter_in(&lens, key)? as u64;
            let slots: Vec<String> = (1..=len).map(|k| keys::queue_due(queue, *minute, k)).collect();
            for slot_chunk in slots.chunks(BATCH) {
                let found = kv.get_many(slot_chunk)?;
                let mut ids: Vec<String> = slot_chunk.iter().filter_map(|k| found.get(k)).map(|v| String::from_utf8_lossy(v).into_owned()).collect();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    if !work(&id)? {
                        break 'sweep;
                    }
                }
            }
            swept.minutes += 1;
            done = Some(*minute);
        }
    }
    swept.caught_up = done == Some(current);
    if done != cursor {
        kv.put(&cursor_key, &done)?;
    }
    Ok(swept)
}
