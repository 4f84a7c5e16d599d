//! "Now" and randomness, read once per call at the edge and passed down.

use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};

/// Wall-clock time (`wasi:clocks/wall-clock`).
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A cron event's timestamp (Unix seconds) as "now".
pub fn from_unix(timestamp: u64) -> Result<DateTime<Utc>> {
    i64::try_from(timestamp).ok().and_then(|t| DateTime::from_timestamp(t, 0)).ok_or_else(|| Error::internal(format!("bad tick timestamp {timestamp}")))
}

/// Cryptographically secure random bytes (`wasi:random/random`).
pub fn random<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::internal(format!("random: {e}")))?;
    Ok(buf)
}

/// Elapsed real time within one call (`wasi:clocks/monotonic-clock`), for
/// time budgets; never for business time.
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub fn millis(&self) -> u128 {
        self.0.elapsed().as_millis()
    }
}
