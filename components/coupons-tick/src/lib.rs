//! The cron-triggered coupons tick: reward codes made, retried and removed
//! as the stores' own coupons on their platforms (`vafa_spin::coupons`).
//! "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::coupons;
use vafa_spin::kv::Kv;

vafa_spin::cron_component!("coupons tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let report = coupons::sweep(&kv, now)?;
    if report.created + report.deleted + report.retrying + report.failed > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "coupons tick {now}: {} created, {} deleted, {} to retry, {} failed, caught up: {}",
            report.created, report.deleted, report.retrying, report.failed, report.caught_up
        ));
    }
    Ok(())
}
