//! The cron-triggered campaigns tick: each club day's events turned into
//! the automations' messages (`vafa_spin::automations`). "Now" is the
//! event's timestamp.

mod bindings {
    wit_bindgen::generate!({ world: "spin-cron", path: "../../wit/cron.wit" });
}

use bindings::{Error, Guest, Metadata};
use vafa_spin::automations;
use vafa_spin::daily::Budget;
use vafa_spin::kv::Kv;

struct CampaignsTick;

impl Guest for CampaignsTick {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        tick(metadata.timestamp).map_err(|e| {
            vafa_spin::log::error(&format!("campaigns tick failed: {e:?}"));
            Error::Other(e.to_string())
        })
    }
}

fn tick(timestamp: u64) -> vafa_core::error::Result<()> {
    let now = vafa_spin::clock::from_unix(timestamp)?;
    let kv = Kv::open()?;
    let settings = vafa_spin::http::settings(&kv)?;
    let report = automations::sweep(&kv, &settings, now, Budget::default())?;
    if report.events + report.broadcast > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "campaigns tick {now}: {} events, {} automation and {} broadcast messages queued, caught up: {}",
            report.events, report.queued, report.broadcast, report.caught_up
        ));
    }
    Ok(())
}

bindings::export!(CampaignsTick with_types_in bindings);
