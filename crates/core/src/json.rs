//! Reading request bodies: JSON objects into typed inputs, with errors that
//! name the field at fault.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;

/// Parses a JSON object into `T`. Not a JSON object → `MalformedJson` (400);
/// an object of the wrong shape → `InvalidField` naming the top-level field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::MalformedJson("expected a JSON object".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            return Error::MalformedJson(e.to_string());
        }
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        // serde names the field only when it is unknown or missing; for a
        // value of the wrong type, the error's position says which field.
        let (key, depth) = field_at(bytes, e.line(), e.column());
        let named_by_serde = message.starts_with("missing field") || message.starts_with("unknown field");
        let field = if named_by_serde && depth <= 1 { quoted(&message).map(str::to_string) } else { key };
        match field {
            Some(field) => Error::InvalidField { field, message },
            None => Error::Unprocessable { code: "invalid_request", message },
        }
    })
}

/// The last top-level key read before the position `line`:`column` (as
/// serde_json reports it: the last character read, 1-based), and the nesting
/// depth at that character (1 = directly in the top-level object).
fn field_at(bytes: &[u8], line: usize, column: usize) -> (Option<String>, usize) {
    let mut offset = 0;
    for _ in 1..line {
        match bytes[offset..].iter().position(|b| *b == b'\n') {
            Some(p) => offset += p + 1,
            None => return (None, 0),
        }
    }
    let end = (offset + column).min(bytes.len());
    let (mut depth, mut i) = (0usize, 0usize);
    let mut key: Option<(usize, usize)> = None;
    let mut last_string: Option<(usize, usize)> = None;
    let mut depth_at_end = 0;
    while i < end {
        depth_at_end = depth;
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                last_string = Some((start, i.min(bytes.len())));
            }
            b':' if depth == 1 => key = last_string,
            b',' if depth == 1 => key = None,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    let key = key.and_then(|(s, e)| String::from_utf8(bytes[s..e].to_vec()).ok());
    (key, depth_at_end)
}

fn quoted(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        phone: String,
        name: Option<String>,
        consent: Option<Consent>,
        tags: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Consent {
        marketing: bool,
    }

    fn check(body: &str, expect: Result<(), &str>) {
        let got = parse::<Input>(body.as_bytes()).map(|_| ());
        match (got, expect) {
            (Ok(()), Ok(())) => {}
            (Err(Error::InvalidField { field, .. }), Err(f)) => assert_eq!(field, f, "{body}"),
            (Err(Error::MalformedJson(_)), Err("<malformed>")) => {}
            (got, expect) => panic!("{body}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn errors_name_the_top_level_field() {
        let cases: &[(&str, Result<(), &str>)] = &[
            (r#"{"phone": "0912"}"#, Ok(())),
            (r#"{"phone": 912}"#, Err("phone")),
            (r#"{"name": "a"}"#, Err("phone")),
            (r#"{"phone": "x", "shoe": 1}"#, Err("shoe")),
            (r#"{"phone": "x", "consent": {"marketing": "yes"}}"#, Err("consent")),
            (r#"{"phone": "x", "consent": {"marketing": true, "extra": 1}}"#, Err("consent")),
            (r#"{"phone": "x", "consent": {}}"#, Err("consent")),
            (r#"{"name": "x", "phone": 5}"#, Err("phone")),
            ("{\n  \"phone\": \"x\",\n  \"tags\": [\"a\", 2]\n}", Err("tags")),
            (r#"{"phone": "a\"b", "name": 5}"#, Err("name")),
            ("[1, 2]", Err("<malformed>")),
            ("{not json", Err("<malformed>")),
            ("", Err("<malformed>")),
        ];
        for (body, expect) in cases {
            check(body, *expect);
        }
    }
}
