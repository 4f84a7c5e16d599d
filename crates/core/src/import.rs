//! Members brought in from a CSV file (`POST /api/imports`): the file read
//! as spreadsheets write it, each row checked into an [`ImportRow`], and
//! the import's progress ([`Import`]).
//!
//! What spreadsheets write: UTF-8 with or without a byte-order mark, CRLF
//! or LF, a `,` or `;` separator (Excel in a Persian locale writes `;`, and
//! may put `sep=;` on the first line), RFC 4180 quoting (a quoted field may
//! hold the separator, quotes doubled, and line breaks), Persian or Arabic
//! digits. A row is refused whole, with its line number and reason; the
//! others go on.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::Source;
use crate::error::{Error, Result};
use crate::member::{self, Birthday, Draft};
use crate::phone::Phone;
use crate::settings::{Calendar, Settings};
use crate::text::ascii_digits;

/// The columns an import understands; `phone` is required.
pub const COLUMNS: [&str; 9] = ["phone", "name", "birthday", "tags", "marketing_consent", "consent_source", "consent_at", "points", "points_reason"];
/// Columns of Vafa's own members export that an import passes over, so an
/// exported file comes back in as it is.
pub const IGNORED: [&str; 6] = ["id", "tier", "joined_at", "orders", "spend", "store_id"];
/// Rows in one stored chunk (one unit of a tick's work).
pub const CHUNK_ROWS: usize = 200;
/// Refused rows kept for the report (the rest are counted).
pub const REFUSALS_KEPT: usize = 1000;
/// Rows in one file.
pub const MAX_ROWS: usize = 100_000;

/// A file as rows of fields, each row with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Unprocessable { code: "invalid_csv", message: message.into() }
}

/// Reads a CSV file. Blank rows are skipped.
pub fn read(bytes: &[u8]) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("the file is not UTF-8: save it as \"CSV UTF-8\""))?;
    let (separator, text, first_line) = match text.strip_prefix("sep=") {
        Some(rest) => {
            let sep = rest.chars().next().ok_or_else(|| invalid("an empty sep= line"))?;
            let after = rest.find('\n').map_or("", |i| &rest[i + 1..]);
            (sep, after, 2)
        }
        None => (guess_separator(text), text, 1),
    };
    let mut records = parse(text, separator, first_line)?.into_iter().filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let (_, header) = records.next().ok_or_else(|| invalid("the file is empty"))?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let rows: Vec<(u32, Vec<String>)> = records.collect();
    if rows.len() > MAX_ROWS {
        return Err(invalid(format!("{} rows: at most {MAX_ROWS} a file", rows.len())));
    }
    Ok(Table { header, rows })
}

/// The separator of the header line: the most frequent of `,` `;` and tab
/// outside quotes (`,` on a tie).
fn guess_separator(text: &str) -> char {
    let line = text.split('\n').next().unwrap_or_default();
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    [',', ';', '\t'][best]
}

/// RFC 4180 records, each with the line it starts on.
fn parse(text: &str, sep: char, first_line: u32) -> Result<Vec<(u32, Vec<String>)>> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = first_line;
    let mut start = first_line;
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err(invalid(format!("line {line}: a quote inside an unquoted field (quote the whole field, doubling its quotes)"))),
            c if c == sep => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                was_quoted = false;
                line += 1;
                start = line;
            }
            c if was_quoted => return Err(invalid(format!("line {line}: text after a closing quote ({c:?})"))),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(invalid(format!("line {start}: a quoted field is never closed")));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

/// Which column holds what.
#[derive(Debug, Clone)]
pub struct Columns {
    index: Vec<Option<usize>>,
}

impl Columns {
    /// Checks a header: `phone` present, every column known, none twice.
    pub fn of(header: &[String]) -> Result<Columns> {
        let mut index = vec![None; COLUMNS.len()];
        for (i, name) in header.iter().enumerate() {
            let Some(k) = COLUMNS.iter().position(|c| c == name) else {
                if IGNORED.contains(&name.as_str()) {
                    continue;
                }
                return Err(invalid(format!("unknown column {name:?}: the columns are {}", COLUMNS.join(", "))));
            };
            if index[k].replace(i).is_some() {
                return Err(invalid(format!("column {name:?} appears twice")));
            }
        }
        if index[0].is_none() {
            return Err(invalid("the file has no phone column"));
        }
        Ok(Columns { index })
    }

    fn get<'a>(&self, fields: &'a [String], column: &str) -> Option<&'a str> {
        let k = COLUMNS.iter().position(|c| *c == column)?;
        self.index[k].and_then(|i| fields.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// A row that may be applied: a member to make if the phone is new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: u32,
    pub phone: Phone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Birthday>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Marketing consent as the row records it: yes or no, its source and
    /// when it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<RowConsent>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowConsent {
    pub marketing: bool,
    pub source: Source,
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
}

/// A row refused, by the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub line: u32,
    pub reason: String,
}

/// Checks one row. `now` bounds consent dates and birthdays.
pub fn row(columns: &Columns, line: u32, fields: &[String], settings: &Settings, now: DateTime<Utc>) -> std::result::Result<ImportRow, Refusal> {
    let refuse = |e: Error| Refusal { line, reason: e.to_string() };
    let today = settings.timezone.local_date(now);
    let field = |name: &str| columns.get(fields, name);
    let phone = member::parse_phone(field("phone").ok_or_else(|| refuse(Error::field("phone", "required")))?, settings).map_err(refuse)?;
    let name = field("name").map(member::validate_name).transpose().map_err(refuse)?.flatten();
    let birthday = field("birthday").map(|b| birthday(b, today)).transpose().map_err(refuse)?;
    let tags = field("tags").map(|t| t.split(['|', ',', '،', ';']).filter(|t| !t.trim().is_empty()).map(str::to_string).collect()).unwrap_or_default();
    let tags = member::validate_tags(tags).map_err(refuse)?;
    let consent = match field("marketing_consent").map(yes_no).transpose().map_err(refuse)? {
        None => None,
        Some(marketing) => {
            let source = field("consent_source").map_or(Ok(Source::Import), Source::parse).map_err(|_| refuse(Error::field("consent_source", format!("expected one of {}", Source::ACCEPTED))))?;
            let at = field("consent_at").ok_or_else(|| refuse(Error::field("consent_at", "required with marketing_consent: when the member gave it")))?;
            let at = instant(at, settings).filter(|t| *t <= now).ok_or_else(|| refuse(Error::field("consent_at", "expected a past date, 2026-03-21 or 1405-01-01, or an RFC 3339 time")))?;
            Some(RowConsent { marketing, source, at })
        }
    };
    let points = match field("points") {
        None => 0,
        Some(p) => ascii_digits(p).parse::<i64>().ok().filter(|p| (0..=10_000_000).contains(p)).ok_or_else(|| refuse(Error::field("points", "expected a whole number of points, 0 or more")))?,
    };
    let reason = field("points_reason").map(|r| r.chars().take(200).collect());
    Ok(ImportRow { line, phone, name, birthday, tags, consent, points, reason })
}

/// A birthday in either calendar: a year from 1700 on is Gregorian, any
/// other (or none) Jalali.
fn birthday(text: &str, today: NaiveDate) -> Result<Birthday> {
    let ascii = ascii_digits(text);
    let year = ascii.split(['-', '/']).next().filter(|y| y.len() == 4).and_then(|y| y.parse::<u32>().ok());
    let calendar = if year.is_some_and(|y| y >= 1700) { Calendar::Gregorian } else { Calendar::Jalali };
    member::parse_birthday(&ascii, calendar, today)
}

fn yes_no(v: &str) -> Result<bool> {
    match ascii_digits(v).trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "بله" | "بلی" | "آری" => Ok(true),
        "no" | "n" | "false" | "0" | "خیر" | "نه" => Ok(false),
        _ => Err(Error::field("marketing_consent", "expected yes or no")),
    }
}

/// An RFC 3339 time, or a date (Gregorian, or Jalali below year 1700) at
/// the start of that day in the club's zone.
fn instant(text: &str, settings: &Settings) -> Option<DateTime<Utc>> {
    let ascii = ascii_digits(text);
    if let Ok(t) = DateTime::parse_from_rfc3339(&ascii) {
        return Some(t.with_timezone(&Utc));
    }
    let nums: Vec<u32> = ascii.split(['-', '/']).map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [y, m, d] = nums[..] else { return None };
    let date = if y >= 1700 {
        NaiveDate::from_ymd_opt(y as i32, m, d)?
    } else {
        crate::jalali::JalaliDate::new(y as i32, m, d)?.to_gregorian()
    };
    Some(settings.timezone.to_utc(date.and_hms_opt(0, 0, 0)?))
}

impl ImportRow {
    /// The member this row makes.
    pub fn draft(&self) -> Draft {
        Draft { phone: self.phone.clone(), name: self.name.clone(), birthday: self.birthday, tags: self.tags.clone(), consent: None, referral_code: None, store_id: None }
    }
}

/// An import and how far it has come (`import:{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub id: String,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Data rows in the file.
    pub rows: u32,
    /// Rows to apply, in `chunks` chunks; `done_chunks` applied so far.
    pub valid: u32,
    pub chunks: u32,
    pub done_chunks: u32,
    /// Of the rows applied: members made, and phones already members
    /// (left as they are).
    pub created: u32,
    pub existing: u32,
    pub refused_count: u32,
    /// The first [`REFUSALS_KEPT`] refused rows.
    pub refused: Vec<Refusal>,
    #[serde(default, with = "crate::time::rfc3339::option")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl Import {
    /// A file read and checked: its rows to apply (in chunks) and its
    /// refusals. A phone twice in one file: the later row is refused.
    pub fn new(id: &str, table: &Table, settings: &Settings, now: DateTime<Utc>) -> Result<(Import, Vec<Vec<ImportRow>>)> {
        let columns = Columns::of(&table.header)?;
        let mut seen = std::collections::HashMap::new();
        let mut rows = Vec::new();
        let mut refused = Vec::new();
        for (line, fields) in &table.rows {
            match row(&columns, *line, fields, settings, now) {
                Ok(r) => match seen.get(r.phone.as_str()) {
                    Some(first) => refused.push(Refusal { line: *line, reason: format!("phone: the same number as line {first}") }),
                    None => {
                        seen.insert(r.phone.as_str().to_string(), r.line);
                        rows.push(r);
                    }
                },
                Err(refusal) => refused.push(refusal),
            }
        }
        let chunks: Vec<Vec<ImportRow>> = rows.chunks(CHUNK_ROWS).map(<[ImportRow]>::to_vec).collect();
        let refused_count = refused.len() as u32;
        refused.truncate(REFUSALS_KEPT);
        let import = Import {
            id: id.to_string(),
            created_at: now,
            rows: table.rows.len() as u32,
            valid: rows.len() as u32,
            chunks: chunks.len() as u32,
            done_chunks: 0,
            created: 0,
            existing: 0,
            refused_count,
            refused,
            finished_at: (rows.is_empty()).then_some(now),
        };
        Ok((import, chunks))
    }

    /// Chunk `n` applied: counted once (a repeat of a chunk already counted
    /// is `None`).
    pub fn chunk_done(&self, n: u32, created: u32, existing: u32, now: DateTime<Utc>) -> Option<Import> {
        (self.done_chunks == n).then(|| {
            let done_chunks = n + 1;
            Import { done_chunks, created: self.created + created, existing: self.existing + existing, finished_at: (done_chunks == self.chunks).then_some(now), ..self.clone() }
        })
    }

    /// Rows applied so far.
    pub fn processed(&self) -> u32 {
        (self.done_chunks as usize * CHUNK_ROWS).min(self.valid as usize) as u32
    }

    /// What `GET /api/imports/{id}` answers.
    pub fn view(&self) -> serde_json::Value {
        let state = if self.finished_at.is_some() { "done" } else { "running" };
        serde_json::json!({
            "id": self.id,
            "state": state,
            "created_at": crate::time::format(&self.created_at),
            "finished_at": self.finished_at.as_ref().map(crate::time::format),
            "rows": self.rows,
            "processed": self.processed(),
            "progress": if self.valid == 0 { 1.0 } else { f64::from(self.processed()) / f64::from(self.valid) },
            "created": self.created,
            "existing": self.existing,
            "refused_count": self.refused_count,
            "refused": self.refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-06T10:00:00Z".parse().unwrap()
    }

    fn import(text: &str) -> (Import, Vec<Vec<ImportRow>>) {
        Import::new("im_1", &read(text.as_bytes()).unwrap(), &Settings::default(), now()).unwrap()
    }

    #[test]
    fn excel_persian_exports_read_the_same_as_plain_csv() {
        let plain = "phone,name,tags\n09121234567,سارا,coffee|vip\n";
        let excel = "\u{feff}sep=;\r\nphone;name;tags\r\n۰۹۱۲۱۲۳۴۵۶۷;سارا;\"coffee,vip\"\r\n";
        let (a, b) = (import(plain), import(excel));
        assert_eq!(a.1[0][0].phone, b.1[0][0].phone);
        assert_eq!((a.1[0][0].name.clone(), b.1[0][0].tags.clone()), (Some("سارا".to_string()), vec!["coffee".to_string(), "vip".to_string()]));
        assert_eq!(guess_separator("phone;name\n"), ';');
    }

    #[test]
    fn quoted_fields_hold_separators_quotes_and_line_breaks_and_lines_are_counted() {
        let t = read("phone,name\n09121234567,\"Sara, \"\"S\"\"\nline two\"\n09121234568,Ali\n".as_bytes()).unwrap();
        assert_eq!(t.rows[0], (2, vec!["09121234567".to_string(), "Sara, \"S\"\nline two".to_string()]));
        assert_eq!(t.rows[1].0, 4);
        for bad in ["phone\n\"open", "phone\nab\"c\n", "phone\n\"a\"b\n"] {
            assert!(matches!(read(bad.as_bytes()), Err(Error::Unprocessable { code: "invalid_csv", .. })), "{bad:?}");
        }
        assert!(read(b"phone\n\xff\xfe").is_err());
    }

    #[test]
    fn a_bad_header_refuses_the_file_and_a_bad_row_only_itself() {
        let t = read(b"phone,email\n1\n").unwrap();
        assert!(Import::new("im", &t, &Settings::default(), now()).is_err());
        assert!(Import::new("im", &read(b"name\nx\n").unwrap(), &Settings::default(), now()).is_err());
        let (im, chunks) = import(
            "phone,birthday,marketing_consent,consent_source,consent_at,points\n\
             09121234567,1370-06-15,yes,checkout,1405-01-01,120\n\
             0912,,,,,\n\
             09121234568,1991-09-06,بله,,,\n\
             09121234569,2030-01-01,,,,\n\
             09121234567,,,,,\n\
             09121234570,,no,,2026-01-01T08:00:00Z,-5\n",
        );
        assert_eq!((im.rows, im.valid, im.refused_count), (6, 1, 5));
        let lines: Vec<u32> = im.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        assert!(im.refused[1].reason.starts_with("consent_at"), "{:?}", im.refused[1]);
        assert!(im.refused[3].reason.contains("line 2"), "{:?}", im.refused[3]);
        let r = &chunks[0][0];
        assert_eq!((r.birthday.unwrap().calendar, r.points), (Calendar::Jalali, 120));
        let c = r.consent.clone().unwrap();
        assert_eq!((c.marketing, c.source, crate::time::format(&c.at)), (true, Source::Checkout, "2026-03-20T20:30:00Z".to_string()));
    }

    #[test]
    fn rows_are_chunked_and_progress_counts_each_chunk_once() {
        let mut text = String::from("phone\n");
        for i in 0..1_201 {
            text.push_str(&format!("0912{:07}\n", 1_000_000 + i));
        }
        let (im, chunks) = import(&text);
        assert_eq!((im.chunks, chunks.iter().map(Vec::len).collect::<Vec<_>>()), (7, vec![200, 200, 200, 200, 200, 200, 1]));
        let mut at = im.chunk_done(0, 200, 0, now()).unwrap();
        assert!(at.chunk_done(0, 200, 0, now()).is_none(), "a repeat is not counted");
        assert_eq!((at.processed(), at.finished_at), (200, None));
        for n in 1..6 {
            at = at.chunk_done(n, 150, 50, now()).unwrap();
        }
        let done = at.chunk_done(6, 1, 0, now()).unwrap();
        assert_eq!((done.processed(), done.created, done.existing, done.finished_at.is_some()), (1_201, 951, 250, true));
    }
}
