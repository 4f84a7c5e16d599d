//! The cron-triggered categories tick: the categories of the products an
//! order named, read from its store's platform, and the order counted again
//! with them (`vafa_spin::catalog`). "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::catalog;
use vafa_spin::kv::Kv;

vafa_spin::cron_component!("categories tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let report = catalog::sweep(&kv, now)?;
    if report.counted + report.read + report.retrying > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "categories tick {now}: {} products read, {} orders recounted, {} to retry, caught up: {}",
            report.read, report.counted, report.retrying, report.caught_up
        ));
    }
    Ok(())
}
