//! The stores (shops) a club serves: each has a platform, a webhook secret for
//! signed order events and an API key for checkout calls. Keys are kept only
//! as SHA-256 hashes; the clear key is shown once, when made.

use crate::error::{Error, Result};
use crate::{money, secret};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Generic,
    Woocommerce,
    Shopify,
}

/// The stored record. `webhook_secret` is needed in clear to verify HMACs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    pub id: String,
    pub name: String,
    pub platform: Platform,
    pub currency: String,
    pub auto_enroll: bool,
    pub webhook_secret: String,
    pub api_key_hash: String,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `PUT /api/stores/{id}` body. On update, a field left out keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopInput {
    pub name: Option<String>,
    pub platform: Option<Platform>,
    pub webhook_secret: Option<String>,
    pub currency: Option<String>,
    pub auto_enroll: Option<bool>,
}

/// What a client sees: never a secret.
#[derive(Debug, Clone, Serialize)]
pub struct ShopView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub platform: Platform,
    pub currency: &'a str,
    pub auto_enroll: bool,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<&'a str>,
}

impl Shop {
    pub fn view<'a>(&'a self, api_key: Option<&'a str>) -> ShopView<'a> {
        ShopView {
            id: &self.id,
            name: &self.name,
            platform: self.platform,
            currency: &self.currency,
            auto_enroll: self.auto_enroll,
            created_at: self.created_at,
            updated_at: self.updated_at,
            api_key,
        }
    }
}

/// A store id: what appears in webhook URLs, so URL-safe and short.
pub fn validate_id(id: &str) -> Result<()> {
    let ok = (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok { Ok(()) } else { Err(Error::field("store_id", "expected 1-64 of a-z, 0-9, - and _, starting with a letter or digit")) }
}

/// The outcome of a `PUT`: the record to write and, when the store is new,
/// the API key to show once.
pub struct Upsert {
    pub shop: Shop,
    pub new_api_key: Option<String>,
}

/// Decides a `PUT /api/stores/{id}`. `fresh_key` is a newly drawn API key,
/// used only when the store does not exist yet. The store's currency must
/// convert exactly to the club's (`club_currency`): refused here, once, not
/// on every order later.
pub fn upsert(id: &str, existing: Option<Shop>, input: ShopInput, club_currency: &str, fresh_key: String, now: DateTime<Utc>) -> Result<Upsert> {
    validate_id(id)?;
    let name = input.name.map(|n| n.trim().to_string());
    if let Some(n) = &name
        && (n.is_empty() || n.chars().count() > 100) {
            return Err(Error::field("name", "expected 1-100 characters"));
        }
    if let Some(c) = &input.currency {
        if !money::is_known(c) {
            return Err(Error::field("currency", "expected an ISO 4217 code such as IRR, or IRT, IRHR, IRHT"));
        }
        if !money::converts(c, club_currency) {
            return Err(money::unconvertible(c, club_currency));
        }
    }
    if let Some(s) = &input.webhook_secret
        && (!(16..=256).contains(&s.len()) || s.chars().any(char::is_whitespace)) {
            return Err(Error::field("webhook_secret", "expected 16-256 characters without spaces"));
        }
    Ok(match existing {
        Some(mut shop) => {
            if let Some(n) = name {
                shop.name = n;
            }
            if let Some(p) = input.platform {
                shop.platform = p;
            }
            if let Some(s) = input.webhook_secret {
                shop.webhook_secret = s;
            }
            if let Some(c) = input.currency {
                shop.currency = c;
            }
            if let Some(a) = input.auto_enroll {
                shop.auto_enroll = a;
            }
            shop.updated_at = now;
            Upsert { shop, new_api_key: None }
        }
        None => {
            let name = name.ok_or_else(|| Error::field("name", "required when creating a store"))?;
            let webhook_secret = input
                .webhook_secret
                .ok_or_else(|| Error::field("webhook_secret", "required when creating a store (16-256 characters)"))?;
            let shop = Shop {
                id: id.to_string(),
                name,
                platform: input.platform.unwrap_or(Platform::Generic),
                currency: input.currency.unwrap_or_else(|| club_currency.into()),
                auto_enroll: input.auto_enroll.unwrap_or(false),
                webhook_secret,
                api_key_hash: secret::hash(&fresh_key),
                created_at: now,
                updated_at: now,
            };
            Upsert { shop, new_api_key: Some(fresh_key) }
        }
    })
}

/// A store API key: a recognisable prefix and 160 random bits.
pub fn new_api_key(random: &[u8; 20]) -> String {
    format!("vfs_{}", secret::encode_readable(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T08:30:00Z".parse().unwrap()
    }

    fn input(json: serde_json::Value) -> ShopInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn creating_needs_a_name_and_a_secret_and_shows_the_key_once() {
        let err = upsert("shop-1", None, input(serde_json::json!({"name": "A"})), "IRR", "k".into(), now()).err();
        assert!(matches!(err, Some(Error::InvalidField { ref field, .. }) if field == "webhook_secret"));
        let made = upsert(
            "shop-1",
            None,
            input(serde_json::json!({"name": "A", "webhook_secret": "0123456789abcdef"})),
            "IRR",
            "vfs_key".into(),
            now(),
        )
        .unwrap();
        assert_eq!(made.new_api_key.as_deref(), Some("vfs_key"));
        assert_eq!(made.shop.api_key_hash, secret::hash("vfs_key"));
        assert_eq!(made.shop.currency, "IRR");
        let again = upsert("shop-1", Some(made.shop), input(serde_json::json!({"auto_enroll": true})), "IRR", "other".into(), now()).unwrap();
        assert!(again.new_api_key.is_none());
        assert!(again.shop.auto_enroll);
        assert_eq!(again.shop.api_key_hash, secret::hash("vfs_key"));
    }

    #[test]
    fn a_store_counts_in_any_of_irans_units_that_the_club_can_count_exactly() {
        let body = |c: &str| input(serde_json::json!({"name": "A", "webhook_secret": "0123456789abcdef", "currency": c}));
        for c in ["IRR", "IRT", "IRHR", "IRHT"] {
            assert_eq!(upsert("s", None, body(c), "IRR", "k".into(), now()).map(|u| u.shop.currency).ok().as_deref(), Some(c));
        }
        // A dollar store cannot count in a rial club.
        assert!(matches!(upsert("s", None, body("USD"), "IRR", "k".into(), now()), Err(Error::InvalidField { ref field, .. }) if field == "currency"));
        assert_eq!(upsert("s", None, input(serde_json::json!({"name": "A", "webhook_secret": "0123456789abcdef"})), "IRT", "k".into(), now()).unwrap().shop.currency, "IRT");
    }

    #[test]
    fn bad_ids_and_fields_are_named() {
        let cases: &[(&str, serde_json::Value, &str)] = &[
            ("Shop", serde_json::json!({}), "store_id"),
            ("-x", serde_json::json!({}), "store_id"),
            ("ok", serde_json::json!({"name": ""}), "name"),
            ("ok", serde_json::json!({"name": "A", "currency": "rial"}), "currency"),
            ("ok", serde_json::json!({"name": "A", "currency": "USD"}), "currency"),
            ("ok", serde_json::json!({"name": "A", "webhook_secret": "short"}), "webhook_secret"),
        ];
        for (id, body, field) in cases {
            match upsert(id, None, input(body.clone()), "IRR", "k".into(), now()) {
                Err(Error::InvalidField { field: f, .. }) => assert_eq!(&f, field, "{id} {body}"),
                other => panic!("{id} {body}: {:?}", other.err()),
            }
        }
    }
}
