//! The cron-triggered poller, for panels that cannot call the app back
//! (`sms_poll`): each tick fetches the replies members sent to the club's
//! line and asks the delivery state of the messages whose check is due.
//! "Now" is the event's timestamp. With `sms_poll` empty (the default)
//! the tick does nothing: the panel calls `/hooks/sms/…` instead.

use chrono::{DateTime, Utc};
use vafa_spin::config;
use vafa_spin::kv::Kv;
use vafa_spin::poll::{self, Report};

vafa_spin::cron_component!("poller tick", tick);

/// Time for the delivery states, leaving the rest of the minute to spare.
const STATUS_MILLIS: u128 = 20_000;

fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> {
    let polling = config::sms_poll()?;
    if polling == config::Polling::default() {
        return Ok(());
    }
    let panel = config::panel()?;
    if !panel.kind.polls() {
        vafa_spin::log::info(&format!("sms_poll is set, but the {} provider cannot be polled", panel.kind.name()));
        return Ok(());
    }
    let (kv, timeout) = (Kv::open()?, config::sms_timeout_ms()?);
    let mut report = Report::default();
    if polling.replies {
        poll::replies(&kv, &panel, timeout, now, &mut report)?;
    }
    if polling.delivery {
        poll::statuses(&kv, &panel, timeout, now, STATUS_MILLIS, &mut report)?;
    }
    if !report.replies.is_empty() || report.delivered + report.undelivered + report.pending > 0 {
        vafa_spin::log::info(&format!(
            "tick {now}: replies {:?}; {} delivered, {} undelivered, {} still on their way",
            report.replies, report.delivered, report.undelivered, report.pending
        ));
    }
    Ok(())
}
