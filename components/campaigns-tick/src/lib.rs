//! The cron-triggered campaigns tick: the automations' messages planned
//! from their indexes, then the broadcasts due (`vafa_spin::automations`).
//! "Now" is the event's timestamp.

use chrono::{DateTime, Utc};
use vafa_spin::automations;
use vafa_spin::daily::Budget;
use vafa_spin::kv::Kv;

vafa_spin::cron_component!("campaigns tick", tick);

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let kv = Kv::open()?;
    let settings = vafa_spin::club::settings(&kv)?;
    let report = automations::sweep(&kv, &settings, now, Budget::default())?;
    if report.events + report.queued + report.broadcast > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "campaigns tick {now}: {} events, {} automation and {} broadcast messages queued, caught up: {}",
            report.events, report.queued, report.broadcast, report.caught_up
        ));
    }
    Ok(())
}

