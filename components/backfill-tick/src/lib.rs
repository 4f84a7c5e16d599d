//! The cron-triggered backfill tick: a page of each store's past orders
//! from its platform, counted as their webhooks would be
//! (`vafa_spin::backfill`). "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::backfill;
use vafa_spin::kv::Kv;

vafa_spin::cron_component!("backfill tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let report = backfill::sweep(&kv, now)?;
    if report.pages > 0 || report.finished > 0 {
        vafa_spin::log::info(&format!("backfill tick {now}: {} pages, {} orders counted, {} backfills finished", report.pages, report.counted, report.finished));
    }
    Ok(())
}
