//! The cron-triggered points tick: each club day's member reviews (pending
//! credits, expiry and its reminder, tier, segment; `vafa_spin::daily`).
//! "Now" is the event's timestamp.

mod bindings {
    wit_bindgen::generate!({ world: "spin-cron", path: "../../wit/cron.wit" });
}

use bindings::{Error, Guest, Metadata};
use vafa_spin::daily::{self, Budget};
use vafa_spin::kv::Kv;

struct PointsTick;

impl Guest for PointsTick {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        tick(metadata.timestamp).map_err(|e| {
            vafa_spin::log::error(&format!("points tick failed: {e:?}"));
            Error::Other(e.to_string())
        })
    }
}

fn tick(timestamp: u64) -> vafa_core::error::Result<()> {
    let now = vafa_spin::clock::from_unix(timestamp)?;
    let kv = Kv::open()?;
    let settings = vafa_spin::http::settings(&kv)?;
    let report = daily::sweep(&kv, &settings, now, Budget::default())?;
    if report.reviewed > 0 || !report.caught_up {
        vafa_spin::log::info(&format!(
            "points tick {now}: {} members reviewed, {} orders' points credited, {} expired, caught up: {}",
            report.reviewed, report.credited, report.expired, report.caught_up
        ));
    }
    Ok(())
}

bindings::export!(PointsTick with_types_in bindings);
