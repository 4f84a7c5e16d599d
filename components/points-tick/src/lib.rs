//! The cron-triggered points tick: each club day's member reviews (pending
//! credits, expiry and its reminder, tier, segment; `vafa_spin::daily`).
//! "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::daily::{self, Budget};
use vafa_spin::kv::Kv;

vafa_spin::cron_component!("points tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let settings = vafa_spin::club::settings(&kv)?;
    let report = daily::sweep(&kv, &settings, now, Budget::default())?;
    if report.reviewed > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "points tick {now}: {} members reviewed, {} orders' points credited, {} expired, caught up: {}",
            report.reviewed, report.credited, report.expired, report.caught_up
        ));
    }
    Ok(())
}

