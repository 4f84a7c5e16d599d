//! The audit log: who changed what, when, through which route, with a
//! summary of before → after. The summary never holds a secret (a field
//! whose name says token, secret, key, password or hash), and for a member
//! never their personal data (phone, name, birthday, tags, the texts): an erased member
//! leaves nothing behind in it.
//!
//! The log is a head of the newest [`CHUNK`] entries and the full chunks
//! before it, numbered from 0; a full chunk never changes again, so the
//! writer that rolls the head over can write it without a race, and a page
//! is read from the head and at most two chunks.

use crate::staff::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Entries a chunk holds.
pub const CHUNK: usize = 100;

/// The most changes a summary lists; the rest are counted.
pub const MAX_CHANGES: usize = 30;

/// What stands for a value the log must not keep.
pub const REDACTED: &str = "•••";

/// An entry as the log answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's place in the log, from 0: the paging cursor.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub method: String,
    pub route: String,
    pub status: u16,
    pub changes: Vec<ChangeView>,
    /// Changes left out of `changes` ([`MAX_CHANGES`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_changes: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One field's change, by its dotted path (`frequency_cap.per_day`), the
/// values as JSON text (`null`: absent). The writer works on the records'
/// JSON text, so no component needs a JSON tree to record a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// What a change is about: a member's record hides their personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Club,
    Member,
}

fn secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["token", "secret", "key", "password", "hash"].iter().any(|s| n.contains(s))
}

fn personal(name: &str) -> bool {
    matches!(name, "phone" | "name" | "birthday" | "email" | "to" | "text" | "tags")
}

fn hidden(subject: Subject, name: &str) -> bool {
    secret(name) || (subject == Subject::Member && personal(name))
}

const MARK: &str = "\"•••\"";

/// The fields that differ between two JSON texts of a record (objects,
/// compared key by key into nested objects; anything else whole), hidden
/// values as [`REDACTED`].
pub fn changes(subject: Subject, before: &str, after: &str) -> Vec<Change> {
    let mut out = Vec::new();
    walk(subject, "", before.trim(), after.trim(), &mut out);
    out
}

fn walk(subject: Subject, path: &str, before: &str, after: &str, out: &mut Vec<Change>) {
    if before == after {
        return;
    }
    let leaf = path.rsplit('.').next().unwrap_or("");
    if !path.is_empty() && hidden(subject, leaf) {
        let mark = |v: &str| if v == "null" { "null".to_string() } else { MARK.to_string() };
        out.push(Change { field: path.into(), before: mark(before), after: mark(after) });
        return;
    }
    // An object against an object, or against nothing, compares field by field.
    match (fields(before), fields(after)) {
        (Some(b), Some(a)) => {
            let mut names: Vec<&String> = b.iter().chain(a.iter()).map(|(k, _)| k).collect();
            names.sort();
            names.dedup();
            let get = |list: &[(String, &str)], name: &str| list.iter().find(|(k, _)| k == name).map_or("null".to_string(), |(_, v)| v.to_string());
            for name in names {
                let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                walk(subject, &child, &get(&b, name), &get(&a, name), out);
            }
        }
        _ => out.push(Change { field: if path.is_empty() { "record".into() } else { path.into() }, before: redact(subject, before), after: redact(subject, after) }),
    }
}

fn fields(v: &str) -> Option<Vec<(String, &str)>> {
    if v == "null" { Some(Vec::new()) } else { members(v, '{', '}') }
}

/// A whole value's text with its hidden fields, at any depth, as [`REDACTED`].
pub fn redact(subject: Subject, text: &str) -> String {
    if let Some(fields) = members(text, '{', '}') {
        let inner: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let value = if hidden(subject, k) && *v != "null" { MARK.to_string() } else { redact(subject, v) };
                format!("{}:{value}", serde_json::to_string(k).unwrap_or_default())
            })
            .collect();
        return format!("{{{}}}", inner.join(","));
    }
    if let Some(items) = members(text, '[', ']') {
        let inner: Vec<String> = items.iter().map(|(_, v)| redact(subject, v)).collect();
        return format!("[{}]", inner.join(","));
    }
    text.to_string()
}

/// The members of a JSON object (`{`…`}`: names and their values' text)
/// or array (`[`…`]`: values, names empty); `None` when `text` is not one.
fn members(text: &str, open: char, close: char) -> Option<Vec<(String, &str)>> {
    let text = text.trim();
    let body = text.strip_prefix(open)?.strip_suffix(close)?;
    let mut out = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let mut name = String::new();
        if open == '{' {
            let end = value_end(rest)?;
            name = serde_json::from_slice(&rest.as_bytes()[..end]).ok()?;
            rest = rest[end..].trim_start().strip_prefix(':')?.trim_start();
        }
        let end = value_end(rest)?;
        out.push((name, rest[..end].trim()));
        rest = rest[end..].trim_start();
        rest = match rest.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(out)
}

/// Where the JSON value at the start of `text` ends.
fn value_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    (depth == 0 && !in_string).then_some(bytes.len())
}

/// Keeps the first [`MAX_CHANGES`]; returns them and how many were left out.
pub fn trimmed(mut changes: Vec<Change>) -> (Vec<Change>, usize) {
    let more = changes.len().saturating_sub(MAX_CHANGES);
    changes.truncate(MAX_CHANGES);
    (changes, more)
}

/// An entry's line in the log: [`Entry`]'s JSON, written from the changes'
/// text.
#[allow(clippy::too_many_arguments)]
pub fn line(seq: u64, at: DateTime<Utc>, actor: &Actor, method: &str, route: &str, status: u16, changes: &[Change], more: usize) -> String {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let changes: Vec<String> = changes.iter().map(|c| format!("{{\"field\":{},\"before\":{},\"after\":{}}}", text(&c.field), c.before, c.after)).collect();
    let more = if more > 0 { format!(",\"more_changes\":{more}") } else { String::new() };
    format!(
        "{{\"seq\":{seq},\"at\":{},\"actor\":{},\"method\":{},\"route\":{},\"status\":{status},\"changes\":[{}]{more}}}",
        serde_json::to_string(&at).unwrap_or_default(),
        serde_json::to_string(actor).unwrap_or_default(),
        text(method),
        text(route),
        changes.join(",")
    )
}

/// The log's head: chunk number `chunk`'s entries so far, oldest first.
/// Generic over how an entry is held: the writer keeps each as its line
/// ([`line`]) and reads none of them. Stored as text: a first line
/// `{chunk}`, then one entry a line; a chunk is its entries' lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Head<E> {
    pub chunk: u64,
    pub entries: Vec<E>,
}

impl<E> Default for Head<E> {
    fn default() -> Self {
        Head { chunk: 0, entries: Vec::new() }
    }
}

/// What appending does to the head.
#[derive(Debug, PartialEq)]
pub enum Append<E> {
    /// The entry joins the head.
    Into(Head<E>),
    /// The head is full: its entries must be written as chunk `n` first,
    /// then a new head starts with the entry.
    RollOver { n: u64, full: Vec<E> },
}

impl<E> Head<E> {
    /// The `seq` of the entry [`Head::append`] adds next.
    pub fn next_seq(&self) -> u64 {
        if self.entries.len() < CHUNK { self.chunk * CHUNK as u64 + self.entries.len() as u64 } else { (self.chunk + 1) * CHUNK as u64 }
    }

    /// Appends `entry` (whose `seq` is [`Head::next_seq`]), given whether
    /// chunk `archived` has been written from this very head.
    pub fn append(mut self, entry: E, archived: Option<u64>) -> Append<E> {
        if self.entries.len() < CHUNK {
            self.entries.push(entry);
            return Append::Into(self);
        }
        if archived == Some(self.chunk) {
            return Append::Into(Head { chunk: self.chunk + 1, entries: vec![entry] });
        }
        Append::RollOver { n: self.chunk, full: self.entries }
    }

    /// The chunks a page of `limit` entries before `before` (a `seq`; none:
    /// the newest) needs besides the head, newest first.
    pub fn chunks_for(&self, limit: usize, before: Option<u64>) -> Vec<u64> {
        let end = before.unwrap_or(u64::MAX).min(self.chunk * CHUNK as u64 + self.entries.len() as u64);
        let start = end.saturating_sub(limit as u64);
        let head_start = self.chunk * CHUNK as u64;
        if start >= head_start || end == 0 {
            return Vec::new();
        }
        let last = (end.min(head_start) - 1) / CHUNK as u64;
        (start / CHUNK as u64..=last).rev().collect()
    }
}

impl Head<String> {
    pub fn from_text(text: &str) -> Option<Head<String>> {
        let mut lines = text.lines();
        let chunk = lines.next()?.trim().parse().ok()?;
        Some(Head { chunk, entries: lines.map(str::to_string).collect() })
    }

    pub fn to_text(&self) -> String {
        let mut text = self.chunk.to_string();
        for e in &self.entries {
            text.push('\n');
            text.push_str(e);
        }
        text
    }

    /// The entries, read.
    pub fn read(&self) -> Result<Head<Entry>, serde_json::Error> {
        Ok(Head { chunk: self.chunk, entries: read_lines(&self.entries.join("\n"))? })
    }
}

/// A chunk's (or a head's) entries from their lines.
pub fn read_lines(text: &str) -> Result<Vec<Entry>, serde_json::Error> {
    text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect()
}

/// A page, newest first, from the head and the chunks [`Head::chunks_for`]
/// named (in any order), and the cursor of the next page (`None`: the end).
pub fn page(head: &Head<Entry>, chunks: &[Vec<Entry>], limit: usize, before: Option<u64>) -> (Vec<Entry>, Option<u64>) {
    let end = before.unwrap_or(u64::MAX);
    let mut all: Vec<&Entry> = chunks.iter().flatten().chain(head.entries.iter()).filter(|e| e.seq < end).collect();
    all.sort_by_key(|e| std::cmp::Reverse(e.seq));
    all.truncate(limit);
    let next = all.last().map(|e| e.seq).filter(|&s| s > 0 && all.len() == limit);
    (all.into_iter().cloned().collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(route: &str) -> Entry {
        Entry { seq: 0, at: "2026-12-07T10:00:00Z".parse().unwrap(), actor: Actor::owner(), method: "PATCH".into(), route: route.into(), status: 200, changes: Vec::new(), more_changes: 0 }
    }

    #[test]
    fn the_head_is_text_a_line_an_entry() {
        let e = entry("/api/settings");
        let line = line(0, e.at, &e.actor, "PATCH", "/api/settings", 200, &[], 0);
        let head = Head { chunk: 3, entries: vec![line.clone(), line] };
        let back = Head::from_text(&head.to_text()).unwrap();
        assert_eq!(back, head);
        assert_eq!(back.read().unwrap().entries, vec![e.clone(), e]);
        assert_eq!(Head::from_text("0").unwrap(), Head::default());
    }

    #[test]
    fn a_summary_names_each_changed_field_and_hides_secrets_and_a_members_personal_data() {
        let before = r#"{"frequency_cap":{"per_day":1,"per_week":3},"tiers":[{"name":"silver","key":"k1"}],"api":{"consumer_secret":"cs_1","url":"https://a"},"note":"a, \"b\" }"}"#;
        let after = r#"{"frequency_cap":{"per_day":2,"per_week":3},"tiers":[{"name":"gold","key":"k2"}],"api":{"consumer_secret":"cs_2","url":"https://a"},"note":"a, \"b\" }"}"#;
        let c = |field: &str, before: &str, after: &str| Change { field: field.into(), before: before.into(), after: after.into() };
        assert_eq!(changes(Subject::Club, before, after), vec![
            c("api.consumer_secret", MARK, MARK),
            c("frequency_cap.per_day", "1", "2"),
            c("tiers", &format!(r#"[{{"name":"silver","key":{MARK}}}]"#), &format!(r#"[{{"name":"gold","key":{MARK}}}]"#)),
        ]);
        let member = changes(Subject::Member, r#"{"name":"سارا","phone":"+989121234567","tier":"bronze"}"#, r#"{"name":null,"phone":null,"tier":"silver"}"#);
        assert_eq!(member, vec![c("name", MARK, "null"), c("phone", MARK, "null"), c("tier", r#""bronze""#, r#""silver""#)]);
        let made = changes(Subject::Member, "null", r#"{"phone":"0912","points":50,"api":{"access_token":"shpat"}}"#);
        assert_eq!(made.iter().map(|c| (c.field.as_str(), c.after.as_str())).collect::<Vec<_>>(), [("api.access_token", MARK), ("phone", MARK), ("points", "50")]);
        let (kept, more) = trimmed(made);
        let text = line(7, "2026-12-07T10:00:00Z".parse().unwrap(), &Actor::owner(), "POST", "/api/members", 201, &kept, more);
        let read: Entry = serde_json::from_str(&text).unwrap();
        assert_eq!((read.seq, read.changes[2].after.clone(), read.changes[0].after.clone()), (7, json!(50), json!(REDACTED)));
        assert!(!text.contains("shpat") && !text.contains("0912"), "{text}");
    }

    #[test]
    fn the_head_rolls_over_into_a_chunk_once_full_and_pages_read_across_it() {
        let mut head: Head<Entry> = Head::default();
        let mut chunks: Vec<Vec<Entry>> = Vec::new();
        for i in 0..(CHUNK * 2 + 5) {
            let mut e = entry(&format!("/r/{i}"));
            e.seq = head.next_seq();
            assert_eq!(e.seq, i as u64);
            head = match head.clone().append(e.clone(), None) {
                Append::Into(h) => h,
                Append::RollOver { n, full } => {
                    assert_eq!((n as usize, full.len()), (chunks.len(), CHUNK));
                    chunks.push(full);
                    match (Head { chunk: n, entries: chunks[n as usize].clone() }).append(e, Some(n)) {
                        Append::Into(h) => h,
                        other => panic!("{other:?}"),
                    }
                }
            };
        }
        assert_eq!((head.chunk, head.entries.len()), (2, 5));
        let read = |limit, before| {
            let wanted = head.chunks_for(limit, before);
            let got: Vec<Vec<Entry>> = wanted.iter().map(|&n| chunks[n as usize].clone()).collect();
            page(&head, &got, limit, before)
        };
        let (first, next) = read(10, None);
        assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), (195..205).rev().collect::<Vec<_>>());
        assert_eq!(head.chunks_for(10, None), [1]);
        let (second, next) = read(100, next);
        assert_eq!((second.first().unwrap().seq, second.last().unwrap().seq, next), (194, 95, Some(95)));
        let (last, next) = read(100, next);
        assert_eq!((last.len(), last.last().unwrap().seq, next), (95, 0, None));
        assert_eq!(chunks[0][7].route, "/r/7");
    }
}
