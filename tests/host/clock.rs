//! The wall clock the guests see (`wasi:clocks/wall-clock`, which Rust's
//! `SystemTime::now()` reads on wasm32-wasip2). Tests set it; it never
//! moves on its own. The monotonic clock stays real (timeouts need it).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use wasmtime_wasi::HostWallClock;

/// Shared setting: nanoseconds since the Unix epoch.
#[derive(Clone)]
pub struct Clock {
    nanos: Arc<AtomicI64>,
}

impl Clock {
    /// 2026-11-22T08:30:00Z, the default "now" of every host.
    pub fn new() -> Clock {
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 0).unwrap();
        let clock = Clock {
            nanos: Arc::new(AtomicI64::new(0)),
        };
        clock.set(start);
        clock
    }

    pub fn set(&self, t: DateTime<Utc>) {
        let nanos = t
            .timestamp_nanos_opt()
            .expect("the test clock holds times between 1677 and 2262");
        assert!(
            nanos >= 0,
            "the test clock cannot go before 1970 (wall-clock is unsigned)"
        );
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    pub fn advance(&self, d: chrono::Duration) {
        self.set(self.now() + d);
    }

    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.nanos.load(Ordering::SeqCst))
    }

    /// The clock handed to one instance's WASI context.
    pub fn wall_clock(&self) -> GuestWallClock {
        GuestWallClock {
            nanos: self.nanos.clone(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

pub struct GuestWallClock {
    nanos: Arc<AtomicI64>,
}

impl HostWallClock for GuestWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst) as u64)
    }
}
