//! Spin variables: the only configuration Vafa reads (spin.toml `[variables]`).

use spin_sdk::variables;
use vafa_core::error::{Error, Result};
use vafa_core::provider::{PanelConfig, ProviderKind, Templates};

fn get(name: &str) -> Result<String> {
    variables::get(name).map_err(|e| Error::internal(format!("variable {name}: {e}")))
}

pub fn admin_token() -> Result<String> {
    get("admin_token")
}

pub fn callback_token() -> Result<String> {
    get("callback_token")
}

pub fn panel() -> Result<PanelConfig> {
    let kind = ProviderKind::parse(&get("sms_provider")?)?;
    Ok(PanelConfig {
        kind,
        api_key: get("sms_api_key")?,
        sender: get("sms_sender")?,
        base_url: get("sms_base_url")?,
        templates: Templates::parse(kind, &get("sms_templates")?)?,
    })
}

/// How long one call to the panel may take before it counts as a timeout.
pub fn sms_timeout_ms() -> Result<u64> {
    let raw = get("sms_timeout_ms")?;
    raw.trim().parse().map_err(|_| Error::internal(format!("sms_timeout_ms {raw:?} is not a number of milliseconds")))
}

/// Shopify's Admin GraphQL endpoint, `{shop}` standing for the shop's
/// `name.myshopify.com` (`shopify_admin_url`).
pub fn shopify_admin_url() -> Result<String> {
    get("shopify_admin_url")
}

/// Where the app is reached from outside: short links are served under it.
pub fn public_base_url() -> Result<String> {
    Ok(get("public_base_url")?.trim().trim_end_matches('/').to_string())
}

/// What the poller asks the panel for on its tick (`sms_poll`, a comma
/// list: `replies`, `delivery`; empty: nothing, the panel calls the hooks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Polling {
    pub replies: bool,
    pub delivery: bool,
}

pub fn sms_poll() -> Result<Polling> {
    let raw = get("sms_poll")?;
    let mut polling = Polling::default();
    for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "replies" => polling.replies = true,
            "delivery" => polling.delivery = true,
            other => return Err(Error::internal(format!("sms_poll {other:?}: expected replies, delivery or both (comma-separated)"))),
        }
    }
    Ok(polling)
}

/// How long a sender tick may work before it leaves the rest to the next.
pub fn sender_budget_ms() -> Result<u128> {
    let raw = get("sender_budget_seconds")?;
    let seconds: u64 = raw.trim().parse().map_err(|_| Error::internal(format!("sender_budget_seconds {raw:?} is not a number of seconds")))?;
    Ok(u128::from(seconds) * 1_000)
}
