//! The cron-triggered sender: each tick sweeps the outbox's due index from
//! its cursor to the tick's time and makes every due try (retries with
//! backoff, give-up after five tries). "Now" is the event's timestamp.
//!
//! The export comes from the cron plugin's own WIT (`wit/cron.wit` at the root, from
//! spinframework/spin-trigger-cron) through wit-bindgen; everything the tick
//! imports (key-value, variables, outbound HTTP) comes from spin-sdk.

mod bindings {
    wit_bindgen::generate!({ world: "spin-cron", path: "../../wit/cron.wit" });
}

use bindings::{Error, Guest, Metadata};
use vafa_spin::kv::Kv;
use vafa_spin::outbox::{Budget, Outbox};

struct Sender;

impl Guest for Sender {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        tick(metadata.timestamp).map_err(|e| {
            // Debug: the detail (keys masked), not the message a client would see.
            vafa_spin::log::error(&format!("tick failed: {e:?}"));
            Error::Other(e.to_string())
        })
    }
}

fn tick(timestamp: u64) -> vafa_core::error::Result<()> {
    let now = vafa_spin::clock::from_unix(timestamp)?;
    let kv = Kv::open()?;
    let sweep = Outbox::new(&kv)?.sweep(now, Budget::default())?;
    if sweep.attempted > 0 || !sweep.caught_up {
        vafa_spin::log::info(&format!(
            "tick {now}: {} minutes swept, {} tried, {} sent, {} retrying, {} failed, caught up: {}",
            sweep.minutes, sweep.attempted, sweep.sent, sweep.retrying, sweep.failed, sweep.caught_up
        ));
    }
    Ok(())
}

bindings::export!(Sender with_types_in bindings);
