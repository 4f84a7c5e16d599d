//! The club's members and their ledgers as CSV files for spreadsheets
//! (`GET /api/exports/members.csv`, `…/ledger.csv`): UTF-8 with a
//! byte-order mark (so Excel reads Persian right), CRLF, RFC 4180 quoting.
//! The members file's columns are those an import reads (`import`), and
//! more; a birthday's year tells its calendar as an import reads it.

use crate::consent::ConsentStatus;
use crate::ledger::Entry;
use crate::member::{Member, Standing};
use crate::time::format;

/// What begins every file: Excel opens UTF-8 only after it.
pub const BOM: &str = "\u{feff}";

pub const MEMBER_COLUMNS: [&str; 14] =
    ["id", "phone", "name", "birthday", "tags", "marketing_consent", "consent_source", "consent_at", "points", "tier", "joined_at", "orders", "spend", "store_id"];

pub const LEDGER_COLUMNS: [&str; 7] = ["member_id", "at", "kind", "points", "balance", "ref", "note"];

/// Appends one CSV line. A field is quoted when it holds a separator, a
/// quote or a line break; free text that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) is quoted with a leading `'`.
pub fn line(out: &mut String, fields: &[String], text: &[bool]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let formula = text.get(i).copied().unwrap_or(false) && f.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quoted = formula || f.contains([',', ';', '"', '\n', '\r']);
        if quoted {
            out.push('"');
            if formula {
                out.push('\'');
            }
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

/// The start of a file: the mark and the header.
pub fn header(columns: &[&str]) -> String {
    let mut out = String::from(BOM);
    line(&mut out, &columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(), &[]);
    out
}

/// Which member columns hold free text.
const MEMBER_TEXT: [bool; 14] = [false, false, true, false, true, false, false, false, false, true, false, false, false, false];

/// One member's line.
pub fn member(out: &mut String, m: &Member, standing: &Standing) {
    let consent = match m.consent.status {
        ConsentStatus::OptedIn => "yes",
        ConsentStatus::OptedOut => "no",
        ConsentStatus::None => "",
    };
    let source = m.consent.source.map(name);
    let fields = [
        m.id.clone(),
        m.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
        m.name.clone().unwrap_or_default(),
        m.birthday.map(|b| b.view().date).unwrap_or_default(),
        m.tags.join("|"),
        consent.to_string(),
        if consent.is_empty() { String::new() } else { source.unwrap_or_default() },
        if consent.is_empty() { String::new() } else { m.consent.at.as_ref().map(format).unwrap_or_default() },
        standing.points.to_string(),
        m.tier.clone(),
        format(&m.joined_at),
        m.stats.orders.to_string(),
        m.stats.spend.to_string(),
        m.store_id.clone().unwrap_or_default(),
    ];
    line(out, &fields, &MEMBER_TEXT);
}

/// A unit enum's wire name (`checkout`, `adjust`).
fn name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// One ledger entry's line.
pub fn entry(out: &mut String, member_id: &str, e: &Entry) {
    let fields = [member_id.to_string(), format(&e.at), name(e.kind), e.points.to_string(), e.balance.to_string(), e.reference.clone().unwrap_or_default(), e.note.clone().unwrap_or_default()];
    line(out, &fields, &[false, false, false, false, false, true, true]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_spreadsheets_read_them_and_formulas_are_defused() {
        let mut out = String::new();
        let f = |s: &str| s.to_string();
        line(&mut out, &[f("a,b"), f("say \"hi\""), f("two\nlines"), f("=HYPERLINK(1)"), f("-5"), f("سارا")], &[true, true, true, true, false, true]);
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=HYPERLINK(1)\",-5,سارا\r\n");
        assert!(header(&LEDGER_COLUMNS).starts_with("\u{feff}member_id,at,"));
    }

    #[test]
    fn an_exported_file_reads_back_as_an_import_would() {
        let settings = crate::settings::Settings::default();
        let now: chrono::DateTime<chrono::Utc> = "2026-12-06T10:00:00Z".parse().unwrap();
        let draft = crate::member::NewMember { phone: "09121234567".into(), name: Some("رضایی، \"سارا\"".into()), birthday: Some("1370-06-15".into()), calendar: None, tags: vec!["coffee".into(), "vip".into()], consent: None, referral_code: None, store_id: None };
        let mut m = draft.validate(&settings, now.date_naive()).unwrap().into_member("m_1".into(), "ABCD2345".into(), None, &settings, now);
        m.record_consent(true, crate::consent::Source::Checkout, None, now);
        let mut out = header(&MEMBER_COLUMNS);
        member(&mut out, &m, &Standing { points: 120, ..Standing::default() });
        let (import, chunks) = crate::import::Import::new("im", &crate::import::read(out.as_bytes()).unwrap(), &settings, now).unwrap();
        assert_eq!(import.refused, []);
        let row = &chunks[0][0];
        assert_eq!((row.name.as_deref(), row.tags.clone(), row.birthday, row.points), (m.name.as_deref(), m.tags.clone(), m.birthday, 120));
        assert_eq!(row.consent.as_ref().map(|c| (c.marketing, c.source, c.at)), Some((true, crate::consent::Source::Checkout, now)));
    }
}
