//! The campaigns' tick: each club day's events (`vafa_core::event`) turned
//! into the messages of the automations they call for, then the broadcasts
//! whose time has come (`broadcasts`). Marketing messages
//! are queued for the sender, which applies the guards when it sends them.
//!
//! An event is announced at most once per member, whatever the number of
//! times it was recorded: a claim on its id comes before its message is
//! queued (a tick killed between the two loses that one message rather
//! than send it twice).

use crate::daily::{Budget, DayList, sweep_days};
use crate::keys;
use crate::kv::Kv;
use crate::outbox::{Outbox, Recipient};
use chrono::{DateTime, Utc};
use vafa_core::automation::{self, Automations};
use vafa_core::error::Result;
use vafa_core::event::Event;
use vafa_core::member::Member;
use vafa_core::message::{Kind, Purpose};
use vafa_core::settings::Settings;

const EVENTS: DayList = DayList { cursor: keys::CAMPAIGNS_CURSOR, len: keys::events_len, slot: keys::event };

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub events: usize,
    pub queued: usize,
    /// Broadcast messages queued.
    pub broadcast: usize,
    pub caught_up: bool,
}

/// Sweeps the events from the cursor to today.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let automations: Automations = kv.get(keys::AUTOMATIONS)?.unwrap_or_default();
    let outbox = Outbox::new(kv)?;
    let mut report = Report::default();
    report.caught_up = sweep_days(kv, &EVENTS, settings.timezone.day(now), budget, |bytes| {
        report.events += 1;
        let e: Event = crate::kv::decode("event", bytes)?;
        let Some(a) = automation::Kind::of(&e).and_then(|kind| automations.get(kind)).filter(|a| a.enabled) else { return Ok(()) };
        let Some(number) = keys::member_number(&e.member) else { return Ok(()) };
        let Some(member) = kv.get::<Member>(&keys::member(number))? else { return Ok(()) };
        let Some(phone) = member.phone.clone().filter(|_| member.accepts_marketing()) else { return Ok(()) };
        if !kv.claim(&keys::automation_sent(&e.id))? {
            return Ok(());
        }
        match automation::text_for(a, &member, &e, settings) {
            Ok(text) => {
                let campaign = format!("auto:{}", a.kind.as_str());
                outbox.queue(Some(Recipient { number, member: &member }), &phone, text, Kind::Marketing, Purpose::Campaign, Some(&campaign), now)?;
                report.queued += 1;
            }
            // A template whose value this member lacks (a {name} without a
            // fallback, and no name): that one message is not sent.
            Err(err) => crate::log::info(&format!("automation {} for {}: {err}", a.kind.as_str(), e.member)),
        }
        Ok(())
    })?;
    let (broadcast, done) = crate::broadcasts::sweep(kv, settings, &outbox, now, budget)?;
    report.broadcast = broadcast;
    report.caught_up &= done;
    Ok(report)
}
