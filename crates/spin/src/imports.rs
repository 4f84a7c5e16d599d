//! Imports of members in the store (`vafa_core::import`): the import's
//! record (`import:{id}`), its rows in chunks (`import-chunk:{id}:{n}`), the
//! member numbers drawn for a chunk (`import-plan:{id}:{n}`), the list of
//! imports (`imports`) and of those with work left (`imports:active`).
//!
//! The imports tick applies chunks in order. A chunk: its phones read; the
//! numbers for its new phones drawn once and kept (the plan), so a tick
//! killed part-way is finished by the next with the same numbers; the new
//! members written and each phone claimed (`members::create_imported`);
//! then each imported member's points, through the journal, once per row.
//! A row is applied whole or not at all: a member is there once its phone
//! is claimed, and the points of a claimed row are finished by a retry.

use crate::kv::{Kv, counter_in};
use crate::{keys, log, members};
use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};
use vafa_core::import::{CHUNK_ROWS, Import, ImportRow};
use vafa_core::ledger::Kind;
use vafa_core::settings::Settings;
use vafa_core::wallet::{Change, expiry_month};

/// How long one tick works before it leaves the rest to the next.
const BUDGET_MS: u128 = 10_000;
/// Compare-and-swaps one tick may make. Spin keeps every swapped handle
/// in the instance's table of 256 until the instance ends, so a tick that
/// claims a phone per new member makes at most this many.
const SWAPS: usize = 240;
/// Imports a list shows.
const LISTED: usize = 20;

/// Records a checked file: its chunks, then the import, then the lists
/// that find it. Nothing is applied until the tick.
pub fn start(kv: &Kv, import: &Import, chunks: &[Vec<ImportRow>], now: DateTime<Utc>) -> Result<()> {
    let entries = chunks.iter().enumerate().map(|(n, rows)| Kv::entry(keys::import_chunk(&import.id, n as u32), rows)).collect::<Result<Vec<_>>>()?;
    for batch in entries.chunks(16) {
        kv.set_many(batch.to_vec())?;
    }
    kv.put(&keys::import(&import.id), import)?;
    kv.list_add(keys::IMPORTS, &import.id, now)?;
    if import.finished_at.is_none() {
        kv.list_add(keys::IMPORTS_ACTIVE, &import.id, now)?;
    }
    Ok(())
}

pub fn get(kv: &Kv, id: &str) -> Result<Import> {
    kv.get(&keys::import(id))?.ok_or_else(|| Error::NotFound(format!("import {id}")))
}

/// The latest imports, newest first.
pub fn latest(kv: &Kv) -> Result<Vec<Import>> {
    let ids: Vec<String> = kv.get(keys::IMPORTS)?.unwrap_or_default();
    let wanted: Vec<String> = ids.iter().rev().take(LISTED).map(|id| keys::import(id)).collect();
    let found = kv.get_many(&wanted)?;
    wanted.iter().filter_map(|k| found.get(k).map(|b| crate::kv::decode(k, b))).collect()
}

/// What a tick did.
#[derive(Debug, Default, Clone)]
pub struct Sweep {
    pub chunks: u32,
    pub created: u32,
    pub existing: u32,
    pub finished: u32,
    pub caught_up: bool,
}

/// The tick: the active imports' chunks in order, until the budget is spent.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>) -> Result<Sweep> {
    let clock = crate::clock::Stopwatch::start();
    let mut report = Sweep { caught_up: true, ..Sweep::default() };
    let mut swaps = 0;
    let active: Vec<String> = kv.get(keys::IMPORTS_ACTIVE)?.unwrap_or_default();
    for id in active {
        let mut import = get(kv, &id)?;
        while import.finished_at.is_none() {
            // A chunk claims at most a phone a row, and its progress is one swap.
            if clock.millis() >= BUDGET_MS || swaps + CHUNK_ROWS + 2 > SWAPS {
                report.caught_up = false;
                return Ok(report);
            }
            let n = import.done_chunks;
            let (created, existing, claims) = apply(kv, settings, &import, n, now)?;
            swaps += claims + 1;
            report.chunks += 1;
            report.created += created;
            report.existing += existing;
            // Counted once: a chunk another tick counted first is left as it stands.
            let mut next = None;
            kv.update(&keys::import(&id), |current: Import| {
                let done = current.chunk_done(n, created, existing, now);
                next = Some(done.clone().unwrap_or(current));
                Ok(done)
            })?;
            import = next.ok_or_else(|| Error::internal(format!("import {id} vanished")))?;
        }
        kv.list_remove(keys::IMPORTS_ACTIVE, &id, now)?;
        log::info(&format!("import {id} done: {} made, {} already members, {} refused", import.created, import.existing, import.refused_count));
        report.finished += 1;
    }
    Ok(report)
}

/// Chunk `n` of `import`: answers how many members it made, how many of
/// its phones were members already, and how many phones it claimed.
fn apply(kv: &Kv, settings: &Settings, import: &Import, n: u32, now: DateTime<Utc>) -> Result<(u32, u32, usize)> {
    let rows: Vec<ImportRow> = kv.get(&keys::import_chunk(&import.id, n))?.unwrap_or_default();
    let phone_keys: Vec<String> = rows.iter().map(|r| keys::phone(r.phone.as_str())).collect();
    let held = kv.get_many(&phone_keys)?;
    let plan_key = keys::import_plan(&import.id, n);
    // Each row's member number: drawn once for the chunk's free phones.
    let plan: Vec<(u32, u64)> = match kv.get(&plan_key)? {
        Some(plan) => plan,
        None => {
            let free: Vec<u32> = rows.iter().zip(&phone_keys).filter(|(_, k)| counter_in(&held, k).is_ok_and(|h| h == 0)).map(|(r, _)| r.line).collect();
            let plan = match free.len() as u64 {
                0 => Vec::new(),
                count => {
                    let last = kv.increment(keys::SEQ_MEMBER, count as i64)? as u64;
                    free.into_iter().zip(last + 1 - count..).collect()
                }
            };
            kv.put(&plan_key, &plan)?;
            plan
        }
    };
    let mut make = Vec::new();
    let mut ours = 0;
    let mut existing = 0;
    for (row, key) in rows.iter().zip(&phone_keys) {
        let number = plan.iter().find(|(line, _)| *line == row.line).map(|(_, n)| *n);
        match (number, counter_in(&held, key)?) {
            (Some(n), 0) => make.push((n, row.clone())),
            // Claimed by an earlier try of this chunk: done.
            (Some(n), h) if h as u64 == n => ours += 1,
            _ => existing += 1,
        }
    }
    let changes: Vec<(u64, &ImportRow, Option<Change>)> = make
        .iter()
        .map(|(number, row)| {
            let change = (row.points > 0).then(|| Change {
                op: format!("import:{}:{}", import.id, row.line),
                kind: Kind::Adjust,
                points: row.points,
                reference: Some(import.id.clone()),
                at: now,
                expires: expiry_month(settings, now),
                must_cover: false,
                note: Some(row.reason.clone().unwrap_or_else(|| "import".into())),
            });
            (*number, row, change)
        })
        .collect();
    let won = members::create_imported(kv, settings, &changes, now)?;
    existing += won.iter().filter(|w| !**w).count() as u32;
    let created = (ours + won.iter().filter(|w| **w).count()) as u32;
    Ok((created, existing, changes.len()))
}
