//! The audit log's write and read (`vafa_core::audit`). A request's
//! record is kept here while it runs: `http::require` names who calls,
//! the handler notes the records it changed (before → after), and
//! `http::serve`, once the handler answered a write with success, appends
//! one entry with one compare-and-swap of the log's head. A rejected
//! request appends nothing, like every rejected request writes nothing.

use crate::keys;
use crate::kv::Kv;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::cell::RefCell;
use vafa_core::audit::{self, Append, Change, Entry, Head, Subject};
use vafa_core::error::{Error, Result};
use vafa_core::staff::{Actor, Right};

struct Record {
    actor: Actor,
    subject: Subject,
    changes: Vec<Change>,
    /// Set by the first [`note`]: a write that noted nothing records
    /// nothing, and a component that never notes never links the writer.
    commit: Option<fn(Record, &str, &str, u16)>,
}

thread_local! {
    // One request runs in one instance, on one thread.
    static RECORD: RefCell<Option<Record>> = const { RefCell::new(None) };
}

/// Who the request is from, and so whose writes it records.
pub(crate) fn begin(actor: &Actor, right: Right) {
    let subject = if matches!(right, Right::Members | Right::Messages) { Subject::Member } else { Subject::Club };
    RECORD.with(|r| *r.borrow_mut() = Some(Record { actor: actor.clone(), subject, changes: Vec::new(), commit: None }));
}

/// A record the request changed, as it was and as it is now (`None`:
/// absent), serialised as the API shows it. Every admin write notes what
/// it changed; a write by a store or a member notes into nothing.
pub fn note<B: Serialize, A: Serialize>(before: Option<&B>, after: Option<&A>) {
    let text = |v: Option<String>| v.unwrap_or_else(|| "null".into());
    let (before, after) = (text(before.and_then(|b| serde_json::to_string(b).ok())), text(after.and_then(|a| serde_json::to_string(a).ok())));
    RECORD.with(|r| {
        if let Some(record) = r.borrow_mut().as_mut() {
            record.changes.extend(audit::changes(record.subject, &before, &after));
            record.commit = Some(commit);
        }
    });
}

/// [`note`] for a write with no record before it: what it made or did.
pub fn made<A: Serialize>(after: &A) {
    note(None::<&()>, Some(after));
}

/// Forgets any earlier request's record (an instance serves one request;
/// this keeps it so if one ever serves more).
pub(crate) fn reset() {
    RECORD.with(|r| r.borrow_mut().take());
}

/// Ends the request: a write answered with success, that noted a change,
/// becomes an entry.
pub(crate) fn finish(method: &str, route: &str, status: u16) {
    let Some(record) = RECORD.with(|r| r.borrow_mut().take()) else { return };
    if let Some(commit) = record.commit.filter(|_| (200..300).contains(&status)) {
        commit(record, method, route, status);
    }
}

/// The write has happened, so a failure here is logged, not answered.
fn commit(record: Record, method: &str, route: &str, status: u16) {
    let now = crate::clock::now();
    if let Err(e) = Kv::open().and_then(|kv| append(&kv, record, method, route, status, now)) {
        crate::log::error(&format!("audit entry for {method} {route} not recorded: {e}"));
    }
}

/// Appends the entry's line to the head. A full head is first written as
/// its chunk (the same lines whoever writes it: a full head changes only
/// by rolling over), then replaced by a new head. One write, two when
/// rolling over.
fn append(kv: &Kv, record: Record, method: &str, route: &str, status: u16, now: DateTime<Utc>) -> Result<()> {
    let (changes, more) = audit::trimmed(record.changes);
    let mut archived = None;
    for _ in 0..3 {
        let mut full = None;
        let outcome = kv.edit_raw(keys::AUDIT, now, &mut |bytes| {
            let head = head(bytes)?;
            let line = audit::line(head.next_seq(), now, &record.actor, method, route, status, &changes, more);
            match head.append(line, archived) {
                Append::Into(next) => Ok(next.to_text().into_bytes()),
                Append::RollOver { n, full: lines } => {
                    full = Some((n, lines.join("\n")));
                    Err(Error::Unavailable("the audit head is full".into()))
                }
            }
        });
        match (outcome, full) {
            (Ok(()), _) => return Ok(()),
            (Err(_), Some((n, lines))) => {
                kv.set_raw(&keys::audit_chunk(n), lines.as_bytes())?;
                archived = Some(n);
            }
            (Err(e), None) => return Err(e),
        }
    }
    Err(Error::Unavailable("the audit head kept rolling over".into()))
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt { kind: "audit".into(), detail: what.to_string() }
}

/// The head as stored (none yet: empty).
fn head(bytes: Option<&[u8]>) -> Result<Head<String>> {
    match bytes {
        Some(b) => std::str::from_utf8(b).ok().and_then(Head::from_text).ok_or_else(|| corrupt("the audit head")),
        None => Ok(Head::default()),
    }
}

/// A page of entries, newest first, before `before` (a `seq`), and the
/// next page's cursor.
pub fn page(kv: &Kv, limit: usize, before: Option<u64>) -> Result<(Vec<Entry>, Option<u64>)> {
    let head = head(kv.get_raw(keys::AUDIT)?.as_deref())?.read().map_err(|e| corrupt(&format!("the audit head: {e}")))?;
    let wanted: Vec<String> = head.chunks_for(limit, before).into_iter().map(keys::audit_chunk).collect();
    let found = kv.get_many(&wanted)?;
    let mut chunks = Vec::new();
    for key in &wanted {
        if let Some(bytes) = found.get(key) {
            let text = std::str::from_utf8(bytes).map_err(|_| corrupt(key))?;
            chunks.push(audit::read_lines(text).map_err(|e| corrupt(&format!("{key}: {e}")))?);
        }
    }
    Ok(audit::page(&head, &chunks, limit, before))
}
