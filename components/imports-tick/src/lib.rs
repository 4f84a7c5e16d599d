//! The cron-triggered imports tick: the rows of CSV imports applied, a
//! chunk at a time, in order (`vafa_spin::imports`). "Now" is the event's
//! timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::kv::Kv;
use vafa_spin::imports;

vafa_spin::cron_component!("imports tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let settings = vafa_spin::club::settings(&kv)?;
    let report = imports::sweep(&kv, &settings, now)?;
    if report.chunks > 0 {
        vafa_spin::log::info(&format!(
            "imports tick {now}: {} chunks, {} members made, {} already members, {} imports finished, caught up: {}",
            report.chunks, report.created, report.existing, report.finished, report.caught_up
        ));
    }
    Ok(())
}
