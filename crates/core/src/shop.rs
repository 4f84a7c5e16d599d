//! The stores (shops) a club serves: each has a platform, a webhook secret for
//! signed order events and an API key for checkout calls. Keys are kept only
//! as SHA-256 hashes; the clear key is shown once, when made.

use crate::error::{Error, Result};
use crate::{money, secret};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    /// The platform's API credentials, for coupons (`crate::coupon`).
    #[serde(default)]
    pub api: Option<Api>,
    /// The origins of the store's own pages, where the club's widget may be
    /// embedded (`frame-ancestors`, `docs/widget.md`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
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
    /// The platform's API credentials; `null` removes them.
    #[serde(default, deserialize_with = "present")]
    pub api: Option<Option<ApiInput>>,
    /// The origins of the store's pages (`[]` removes them all).
    pub origins: Option<Vec<String>>,
    /// Call the platform once with the credentials before saving them.
    #[serde(default)]
    pub verify: bool,
}

/// A field that may be given as `null`: `Some(None)`, not left out.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What a client sees: never a secret.
#[derive(Debug, Clone, Serialize)]
pub struct ShopView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub platform: Platform,
    pub currency: &'a str,
    pub auto_enroll: bool,
    /// The credentials with their secrets masked.
    pub api: Option<serde_json::Value>,
    pub origins: &'a [String],
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
            api: self.api.as_ref().map(Api::view),
            origins: &self.origins,
            created_at: self.created_at,
            updated_at: self.updated_at,
            api_key,
        }
    }
}

/// A store's platform API credentials, kept in clear (they sign calls) and
/// never answered back ([`Api::view`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum Api {
    Woocommerce { url: String, consumer_key: String, consumer_secret: String },
    Shopify { shop: String, access_token: String },
}

/// `"api"` in `PUT /api/stores/{id}`: the fields of the store's platform.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiInput {
    pub url: Option<String>,
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
    pub shop: Option<String>,
    pub access_token: Option<String>,
}

/// A secret as it may be shown: its prefix up to the first `_` and its
/// last four characters (`"cs_…9f2a"`).
pub fn mask(secret: &str) -> String {
    let prefix = secret.find('_').map_or("", |i| &secret[..=i]);
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{prefix}…{tail}")
}

impl Api {
    /// What a client sees: the secrets masked.
    pub fn view(&self) -> Value {
        match self {
            Api::Woocommerce { url, consumer_key, consumer_secret } => {
                json!({ "url": url, "consumer_key": mask(consumer_key), "consumer_secret": mask(consumer_secret) })
            }
            Api::Shopify { shop, access_token } => json!({ "shop": shop, "access_token": mask(access_token) }),
        }
    }

    /// Decides `"api"` for a store of `platform`. A secret given as the
    /// masked form the `GET` showed keeps the current one, so a client can
    /// send back what it read.
    pub fn decide(platform: Platform, input: ApiInput, current: Option<&Api>) -> Result<Api> {
        let keep = |given: Option<String>, field: &str, now: Option<&String>| -> Result<String> {
            let given = given.ok_or_else(|| Error::field(format!("api.{field}"), "required"))?;
            match now {
                Some(secret) if given == mask(secret) => Ok(secret.clone()),
                _ => {
                    if !(8..=256).contains(&given.len()) || !given.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err(Error::field(format!("api.{field}"), "expected 8-256 printable characters without spaces"));
                    }
                    Ok(given)
                }
            }
        };
        let unexpected = |name: &str| Error::field(format!("api.{name}"), "not a field of this store's platform");
        match platform {
            Platform::Woocommerce => {
                if input.shop.is_some() {
                    return Err(unexpected("shop"));
                }
                if input.access_token.is_some() {
                    return Err(unexpected("access_token"));
                }
                let (ck, cs) = match current {
                    Some(Api::Woocommerce { consumer_key, consumer_secret, .. }) => (Some(consumer_key), Some(consumer_secret)),
                    _ => (None, None),
                };
                let url = woo_url(input.url.as_deref().ok_or_else(|| Error::field("api.url", "required: the shop's address, e.g. https://shop.example"))?)?;
                let consumer_key = keep(input.consumer_key, "consumer_key", ck)?;
                let consumer_secret = keep(input.consumer_secret, "consumer_secret", cs)?;
                Ok(Api::Woocommerce { url, consumer_key, consumer_secret })
            }
            Platform::Shopify => {
                for (name, given) in [("url", &input.url), ("consumer_key", &input.consumer_key), ("consumer_secret", &input.consumer_secret)] {
                    if given.is_some() {
                        return Err(unexpected(name));
                    }
                }
                let token = match current {
                    Some(Api::Shopify { access_token, .. }) => Some(access_token),
                    _ => None,
                };
                let shop = input.shop.map(|s| s.trim().to_ascii_lowercase()).ok_or_else(|| Error::field("api.shop", "required: the shop's name.myshopify.com"))?;
                let name = shop.strip_suffix(".myshopify.com").unwrap_or_default();
                if name.is_empty() || name.len() > 60 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') || name.starts_with('-') {
                    return Err(Error::field("api.shop", "expected the shop's name.myshopify.com"));
                }
                let access_token = keep(input.access_token, "access_token", token)?;
                Ok(Api::Shopify { shop, access_token })
            }
            Platform::Generic => Err(Error::field("api", "a generic store has no platform API; use woocommerce or shopify")),
        }
    }
}

/// A WordPress address: `https://` (plain `http://` only on loopback,
/// where nothing travels), a host, maybe a port and a path; no query.
fn woo_url(raw: &str) -> Result<String> {
    let bad = || Error::field("api.url", "expected the shop's address, e.g. https://shop.example (https, no query)");
    let url = raw.trim().trim_end_matches('/');
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://").filter(|r| is_loopback(r))).ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.len() > 200 || url.contains(['?', '#', ' ', '@']) {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// The most origins a store may name.
const MAX_ORIGINS: usize = 10;

/// The origins of a store's pages, each `https://host[:port]` (plain
/// `http://` only on loopback), lower-cased, without a path; each once.
/// They go into a `Content-Security-Policy` header as they are, so only a
/// host name's characters are allowed (a policy cannot name an IPv6
/// address).
pub fn origins(given: Vec<String>) -> Result<Vec<String>> {
    if given.len() > MAX_ORIGINS {
        return Err(Error::field("origins", format!("expected at most {MAX_ORIGINS} origins")));
    }
    let mut out: Vec<String> = Vec::new();
    for raw in given {
        let origin = raw.trim().trim_end_matches('/').to_ascii_lowercase();
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://").filter(|r| is_loopback(r)));
        let fine = rest.is_some_and(|host| {
            !host.is_empty() && host.len() <= 200 && !host.starts_with([':', '.', '-']) && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
        });
        if !fine {
            return Err(Error::field("origins", format!("expected origins such as https://shop.example (https, no path): {raw:?}")));
        }
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

impl Shop {
    /// The `frame-ancestors` source list for the widget's frame: the
    /// store's origins, or `'none'` when it names none.
    pub fn frame_ancestors(&self) -> String {
        if self.origins.is_empty() { "'none'".to_string() } else { self.origins.join(" ") }
    }
}

fn is_loopback(rest: &str) -> bool {
    let host = rest.split('/').next().unwrap_or_default();
    let name = if host.starts_with('[') { host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default() } else { host.split(':').next().unwrap_or_default().to_string() };
    matches!(name.as_str(), "127.0.0.1" | "[::1]" | "localhost")
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
            if let Some(o) = input.origins {
                shop.origins = origins(o)?;
            }
            shop.api = decide_api(shop.platform, input.api, shop.api.take(), input.platform.is_some())?;
            shop.updated_at = now;
            Upsert { shop, new_api_key: None }
        }
        None => {
            let name = name.ok_or_else(|| Error::field("name", "required when creating a store"))?;
            let webhook_secret = input
                .webhook_secret
                .ok_or_else(|| Error::field("webhook_secret", "required when creating a store (16-256 characters)"))?;
            let platform = input.platform.unwrap_or(Platform::Generic);
            let api = decide_api(platform, input.api, None, true)?;
            let origins = origins(input.origins.unwrap_or_default())?;
            let shop = Shop {
                id: id.to_string(),
                name,
                platform,
                api,
                origins,
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

/// A store's credentials after a `PUT`: given (`null` removes them), or
/// kept, unless the platform changed under them (then they must be given
/// again for the new platform).
fn decide_api(platform: Platform, given: Option<Option<ApiInput>>, current: Option<Api>, platform_given: bool) -> Result<Option<Api>> {
    let current = current.filter(|a| matches!((a, platform), (Api::Woocommerce { .. }, Platform::Woocommerce) | (Api::Shopify { .. }, Platform::Shopify)) || !platform_given);
    match given {
        None => Ok(current),
        Some(None) => Ok(None),
        Some(Some(input)) => Api::decide(platform, input, current.as_ref()).map(Some),
    }
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
    fn credentials_are_kept_masked_removed_by_null_and_dropped_with_the_platform() {
        let made = upsert("s", None, input(serde_json::json!({"name": "A", "webhook_secret": "0123456789abcdef", "platform": "woocommerce",
            "api": {"url": "https://shop.example", "consumer_key": "ck_0123456789", "consumer_secret": "cs_abcdef9f2a"}})), "IRR", "k".into(), now()).unwrap().shop;
        let view = serde_json::to_value(made.view(None)).unwrap();
        assert_eq!(view["api"]["consumer_secret"], "cs_…9f2a");
        assert!(!view.to_string().contains("abcdef9f2a"));
        let kept = upsert("s", Some(made.clone()), input(serde_json::json!({"name": "B"})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(kept.api, made.api);
        let removed = upsert("s", Some(made.clone()), input(serde_json::json!({"api": null})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(removed.api, None);
        let moved = upsert("s", Some(made), input(serde_json::json!({"platform": "shopify"})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(moved.api, None);
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

    #[test]
    fn a_stores_origins_are_https_hosts_without_a_path_each_once_and_are_its_frame_ancestors() {
        let given = |v: &[&str]| origins(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            given(&["https://Shop.example/", " https://shop.example", "https://www.shop.example:8443", "http://localhost:8080"]).unwrap(),
            ["https://shop.example", "https://www.shop.example:8443", "http://localhost:8080"]
        );
        for bad in ["http://shop.example", "https://shop.example/page", "https://shop.example?x", "https://", "shop.example", "https://a b", "https://a;script-src *", "https://*.example", "javascript:alert(1)", "http://[::1]:3000"] {
            assert!(matches!(given(&[bad]), Err(Error::InvalidField { ref field, .. }) if field == "origins"), "{bad}");
        }
        assert!(given(&["https://a.example"; 11]).is_err(), "at most ten");
        let mut shop = upsert("s", None, input(serde_json::json!({"name": "A", "webhook_secret": "0123456789abcdef"})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(shop.frame_ancestors(), "'none'");
        shop = upsert("s", Some(shop), input(serde_json::json!({"origins": ["https://shop.example", "https://m.shop.example"]})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(shop.frame_ancestors(), "https://shop.example https://m.shop.example");
        shop = upsert("s", Some(shop), input(serde_json::json!({"name": "B"})), "IRR", "k".into(), now()).unwrap().shop;
        assert_eq!(shop.origins.len(), 2, "left out, kept");
    }
}
