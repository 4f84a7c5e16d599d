//! Bonus rules: extra earning on top of the tier's multiplier — a
//! double-points window between two times, a multiplier for members with a
//! tag, a multiplier for a product category. Rules stack by multiplying
//! (default) or by adding their extra percentages, as the club sets; points
//! are always rounded down, once, at the end.

use crate::error::{Error, Result};
use crate::order::Item;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Rules a club may keep (they are read with every paid order).
pub const MAX_RULES: usize = 50;

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Orders paid between `starts_at` and `ends_at`.
    Window,
    /// Members with `tag`.
    Tag,
    /// The lines of an order whose product is in `category` (one of its categories).
    Category,
}

/// A rule, as `PUT /api/bonus-rules/{id}` takes it and the API shows it:
/// `{"kind": "window", "starts_at", "ends_at"}`, `{"kind": "tag", "tag"}`
/// or `{"kind": "category", "category"}`, with `multiplier_pct` (200
/// doubles the points) and `active` (default true). Flat on purpose: no
/// tagged enum, whose decoder would weigh on the component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub id: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339::option")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339::option")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub multiplier_pct: u32,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A name a rule matches on: trimmed, lower case, 1–50 characters.
fn name(field: &str, given: Option<String>) -> Result<Option<String>> {
    let name = given.unwrap_or_default().trim().to_lowercase();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::field(field, "expected 1-50 characters"));
    }
    Ok(Some(name))
}

impl Rule {
    /// Checks the rule given for `id`; the first bad field is named.
    pub fn validate(mut self, id: &str) -> Result<Rule> {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Error::NotFound(format!("bonus rule {id}")));
        }
        match self.kind {
            Kind::Window => match (self.starts_at, self.ends_at) {
                (Some(starts_at), Some(ends_at)) if starts_at >= ends_at => return Err(Error::field("ends_at", "expected a time after starts_at")),
                (Some(_), Some(_)) => {}
                (None, _) => return Err(Error::field("starts_at", "expected an RFC 3339 time such as 2026-11-27T00:00:00Z")),
                (_, None) => return Err(Error::field("ends_at", "expected an RFC 3339 time such as 2026-11-28T00:00:00Z")),
            },
            Kind::Tag => self.tag = name("tag", self.tag)?,
            Kind::Category => self.category = name("category", self.category)?,
        }
        if !(100..=1000).contains(&self.multiplier_pct) {
            return Err(Error::field("multiplier_pct", "expected 100-1000 (200 doubles the points)"));
        }
        self.id = id.to_string();
        Ok(self)
    }

    fn applies(&self, categories: &[String], tags: &[String], at: DateTime<Utc>) -> bool {
        match self.kind {
            Kind::Window => self.starts_at.zip(self.ends_at).is_some_and(|(s, e)| (s..e).contains(&at)),
            Kind::Tag => self.tag.as_ref().is_some_and(|want| tags.iter().any(|t| t.to_lowercase() == *want)),
            Kind::Category => self.category.as_ref().is_some_and(|want| categories.iter().any(|got| got.to_lowercase() == *want)),
        }
    }
}

/// How several rules that apply combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Multipliers multiply: ×2 and ×1.5 give ×3.
    #[default]
    Multiply,
    /// Extras add: ×2 and ×1.5 give ×2.5.
    Add,
}

/// The club's rules, one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    #[serde(default)]
    pub stacking: Stacking,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Rules {
    /// Adds or replaces a rule.
    pub fn put(&mut self, rule: Rule) -> Result<()> {
        if let Some(old) = self.rules.iter_mut().find(|r| r.id == rule.id) {
            *old = rule;
        } else if self.rules.len() >= MAX_RULES {
            return Err(Error::field("id", format!("at most {MAX_RULES} bonus rules; remove one first")));
        } else {
            self.rules.push(rule);
        }
        Ok(())
    }

    /// The multiplier (percent) of one order line, stacked on the tier's.
    fn line_pct(&self, tier_pct: u32, categories: &[String], tags: &[String], at: DateTime<Utc>) -> u128 {
        let pcts = self.rules.iter().filter(|r| r.active && r.applies(categories, tags, at)).map(|r| u128::from(r.multiplier_pct));
        match self.stacking {
            Stacking::Multiply => pcts.fold(u128::from(tier_pct), |acc, p| acc * p / 100),
            Stacking::Add => u128::from(tier_pct) + pcts.map(|p| p - 100).sum::<u128>(),
        }
    }
}

/// Points for an order: `floor(amount / per_amount) × points` for each
/// part of the total at its multiplier (the tier's, stacked with the rules
/// that apply to the line), summed and rounded down once. The lines are
/// scaled to the order's total (discounts and shipping make them differ);
/// an order without lines is one line without a category.
pub fn points(total: i64, items: &[Item], earn: &crate::settings::Earn, tier_pct: u32, rules: &Rules, tags: &[String], at: DateTime<Utc>) -> i64 {
    let total = u128::try_from(total.max(0)).unwrap_or(0);
    let lines_sum: u128 = items.iter().map(|i| u128::try_from(i.total.max(0)).unwrap_or(0)).sum();
    // Σ amount × pct, in (minor unit × percent).
    let weighted: u128 = if lines_sum == 0 {
        total * rules.line_pct(tier_pct, &[], tags, at)
    } else {
        items.iter().map(|i| u128::try_from(i.total.max(0)).unwrap_or(0) * total / lines_sum * rules.line_pct(tier_pct, &i.categories, tags, at)).sum()
    };
    let points = weighted / 100 / u128::from(earn.per_amount.max(1)) * u128::from(earn.points);
    i64::try_from(points).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Earn;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rule(json: &str) -> Rule {
        serde_json::from_str::<Rule>(json).unwrap().validate("r").unwrap()
    }

    fn item(category: Option<&str>, total: i64) -> Item {
        Item { sku: None, product: None, categories: category.map(str::to_string).into_iter().collect(), quantity: 1, total }
    }

    const EARN: Earn = Earn { per_amount: 100_000, points: 1 };

    #[test]
    fn rules_multiply_or_add_and_round_down_once() {
        let window = rule(r#"{"kind": "window", "starts_at": "2026-11-27T00:00:00Z", "ends_at": "2026-11-28T00:00:00Z", "multiplier_pct": 200}"#);
        let tag = rule(r#"{"kind": "tag", "tag": "VIP", "multiplier_pct": 150}"#);
        let mut rules = Rules { stacking: Stacking::Multiply, rules: vec![Rule { id: "w".into(), ..window }, Rule { id: "t".into(), ..tag }] };
        let tags = vec!["vip".to_string()];
        let friday = t("2026-11-27T10:00:00Z");
        let check = |rules: &Rules, tier, tags: &[String], at, expect| assert_eq!(points(1_050_000, &[], &EARN, tier, rules, tags, at), expect, "{rules:?} {tier} {tags:?} {at}");
        check(&rules, 100, &[], t("2026-11-26T10:00:00Z"), 10);
        check(&rules, 100, &[], friday, 21);
        check(&rules, 100, &tags, friday, 31); // ×3: 31.5 down
        check(&rules, 125, &tags, friday, 39); // ×3.75: 39.375 down
        rules.stacking = Stacking::Add;
        check(&rules, 100, &tags, friday, 26); // ×2.5: 26.25 down
        rules.rules[0].active = false;
        check(&rules, 100, &tags, friday, 15);
    }

    #[test]
    fn a_category_rule_counts_only_its_lines_scaled_to_the_total() {
        let rules = Rules { stacking: Stacking::Multiply, rules: vec![rule(r#"{"kind": "category", "category": "Coffee", "multiplier_pct": 300}"#)] };
        let at = t("2026-11-20T10:00:00Z");
        // 1,000,000 of coffee at ×3 and 1,000,000 of tea at ×1.
        assert_eq!(points(2_000_000, &[item(Some("coffee"), 1_000_000), item(Some("tea"), 1_000_000)], &EARN, 100, &rules, &[], at), 40);
        // A discount halves the paid total: each line counts half.
        assert_eq!(points(1_000_000, &[item(Some("coffee"), 1_000_000), item(None, 1_000_000)], &EARN, 100, &rules, &[], at), 20);
    }

    #[test]
    fn bad_rules_name_the_field() {
        let check = |json: &str, field: &str| {
            let got = crate::json::parse::<Rule>(json.as_bytes()).and_then(|r| r.validate("r")).map_err(|e| e.to_string());
            assert!(got.as_ref().is_err_and(|e| e.starts_with(field)), "{json}: {got:?}");
        };
        check(r#"{"kind": "tag", "tag": "vip", "multiplier_pct": 50}"#, "multiplier_pct");
        check(r#"{"kind": "tag", "tag": " ", "multiplier_pct": 200}"#, "tag");
        check(r#"{"kind": "window", "starts_at": "2026-11-28T00:00:00Z", "ends_at": "2026-11-27T00:00:00Z", "multiplier_pct": 200}"#, "ends_at");
        check(r#"{"kind": "window", "ends_at": "2026-11-27T00:00:00Z", "multiplier_pct": 200}"#, "starts_at");
        check(r#"{"kind": "moon", "multiplier_pct": 200}"#, "kind");
    }
}
