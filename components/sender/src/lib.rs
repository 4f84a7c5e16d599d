//! The cron-triggered sender: each tick sweeps the outbox's due index from
//! its cursor to the tick's time and makes every due try (retries with
//! backoff, give-up after five tries), within `sender_budget_seconds`.
//! "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::config;
use vafa_spin::kv::Kv;
use vafa_spin::outbox::{Budget, Outbox};

vafa_spin::cron_component!("sender tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let budget = Budget { max_millis: config::sender_budget_ms()?, ..Budget::default() };
    let sweep = Outbox::new(&kv)?.sweep(now, budget)?;
    if sweep.attempted > 0 || !sweep.caught_up {
        vafa_spin::log::info(&format!(
            "tick {now}: {} minutes swept, {} tried, {} sent, {} retrying, {} failed, caught up: {}",
            sweep.minutes, sweep.attempted, sweep.sent, sweep.retrying, sweep.failed, sweep.caught_up
        ));
    }
    Ok(())
}
