//! The club's settings record (`settings`), read by the HTTP handlers, the
//! ticks, the outbox and the counters alike. It is written only through
//! `Kv::edit` by the settings component.

use crate::keys;
use crate::kv::Kv;
use vafa_core::error::Result;
use vafa_core::settings::Settings;

/// The settings record, or the defaults before anyone saved them: one get.
pub fn settings(kv: &Kv) -> Result<Settings> {
    Ok(kv.get(keys::SETTINGS)?.unwrap_or_default())
}
