//! Edits that never lose another's: every record an admin edits (the
//! settings, a reward, an automation, a bonus rule, a store) answers with an
//! `ETag`, and a write that carries `If-Match` applies only to the version it
//! names (RFC 9110 §13.1.1). `PATCH` bodies are JSON merge patches (RFC
//! 7396): keys left out keep their values, `null` removes a key, so it takes
//! its default.

use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;

/// A strong entity tag of what a client sees of a record: a quoted,
/// truncated SHA-256 of its JSON. Equal JSON, equal tag, however the record
/// came to be.
pub fn etag<T: Serialize>(view: &T) -> String {
    let bytes = serde_json::to_vec(view).unwrap_or_default();
    format!("\"{}\"", &crate::secret::sha256_hex(&bytes)[..20])
}

/// A request's `If-Match`, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version (but there must be one).
    Any,
    /// One or more tags; weak tags (`W/"…"`) never match (§13.1.1 uses the
    /// strong comparison).
    Tags(Vec<String>),
}

impl IfMatch {
    /// The header's value; `None` when the request has none.
    pub fn parse(header: Option<&str>) -> Option<IfMatch> {
        let value = header?.trim();
        if value == "*" {
            return Some(IfMatch::Any);
        }
        Some(IfMatch::Tags(value.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()))
    }

    fn matches(&self, current: Option<&str>) -> bool {
        match (self, current) {
            (_, None) => false,
            (IfMatch::Any, Some(_)) => true,
            (IfMatch::Tags(tags), Some(tag)) => tags.iter().any(|t| t == tag),
        }
    }
}

/// Passes when the request has no `If-Match` or names the current version
/// (`current`: the record's view, `None` when it does not exist); else 412
/// `precondition_failed` carrying the current view and its tag, so the
/// client can show what changed.
pub fn check<T: Serialize>(if_match: Option<&IfMatch>, current: Option<&T>) -> Result<()> {
    let Some(if_match) = if_match else { return Ok(()) };
    let tag = current.map(etag);
    if if_match.matches(tag.as_deref()) {
        return Ok(());
    }
    Err(Error::PreconditionFailed { etag: tag, current: current.and_then(|c| serde_json::to_string(c).ok()) })
}

/// RFC 7396: `patch` merged into `target`. An object merges key by key
/// (`null` removes the key); anything else replaces the target whole.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Value::Object(fields) = target else { return };
    for (key, change) in changes {
        if change.is_null() {
            fields.remove(key);
        } else {
            merge(fields.entry(key.clone()).or_insert(Value::Null), change);
        }
    }
}

/// A `PATCH` body: a JSON object (400 otherwise, as for every body).
pub fn parse_patch(body: &[u8]) -> Result<Value> {
    match crate::json::parse::<Value>(body)? {
        patch @ Value::Object(_) => Ok(patch),
        _ => Err(Error::MalformedJson("expected a JSON object".into())),
    }
}

/// `current` with `patch` merged in, as a body to read like a `PUT`'s (so
/// unknown keys and bad values are 422 naming the field, as there).
pub fn patched<T: Serialize>(current: &T, patch: &Value) -> Result<Vec<u8>> {
    let mut merged = serde_json::to_value(current).map_err(Error::internal)?;
    merge(&mut merged, patch);
    serde_json::to_vec(&merged).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_follow_rfc_7396() {
        // RFC 7396 appendix A, each (target, patch, result).
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (target, patch, expect) in cases {
            let mut got = target.clone();
            merge(&mut got, &patch);
            assert_eq!(got, expect, "{target} + {patch}");
        }
    }

    #[test]
    fn if_match_passes_only_for_the_current_version() {
        let v1 = json!({"max_parts": 3});
        let v2 = json!({"max_parts": 2});
        let tag1 = etag(&v1);
        assert_ne!(tag1, etag(&v2));
        assert!(tag1.starts_with('"') && tag1.ends_with('"') && tag1.len() == 22, "{tag1}");
        let cases: &[(Option<&str>, Option<&Value>, bool)] = &[
            (None, Some(&v1), true),
            (None, None, true),
            (Some(&tag1), Some(&v1), true),
            (Some(&format!("\"x\", {tag1}")), Some(&v1), true),
            (Some(&tag1), Some(&v2), false),
            (Some(&format!("W/{tag1}")), Some(&v1), false),
            (Some("*"), Some(&v2), true),
            (Some("*"), None, false),
            (Some(&tag1), None, false),
            (Some(""), Some(&v1), false),
        ];
        for (header, current, pass) in cases {
            let got = check(IfMatch::parse(*header).as_ref(), *current);
            assert_eq!(got.is_ok(), *pass, "{header:?} against {current:?}");
            if let Err(Error::PreconditionFailed { etag: tag, current: body }) = got {
                assert_eq!(tag, current.map(etag));
                assert_eq!(body, current.map(|c| c.to_string()));
            }
        }
    }

    #[test]
    fn a_patched_record_is_checked_like_a_whole_one() {
        let s = crate::settings::Settings { max_parts: 2, ..Default::default() };
        let read = |patch: Value| crate::settings::Settings::from_json(&patched(&s, &patch).unwrap());
        let got = read(json!({"pending_days": 14, "max_parts": null})).unwrap();
        assert_eq!((got.pending_days, got.max_parts), (14, 3));
        let bad = read(json!({"colour": "red"}));
        assert!(matches!(bad, Err(Error::InvalidField { ref field, .. }) if field == "colour"), "{bad:?}");
        assert!(matches!(parse_patch(b"[1]"), Err(Error::MalformedJson(_))));
    }
}
