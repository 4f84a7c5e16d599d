//! An order's record (`order:{store}/{order}`): the member it belongs to,
//! its state once the wallet no longer holds it, and the answers given.
//! Below both `orders`, which writes it around each fact, and `wallet`,
//! which writes the state of an order that falls out of the wallet before
//! the swap that drops it.

use crate::keys;
use crate::kv::Kv;
use serde::{Deserialize, Serialize};
use vafa_core::error::Result;
use vafa_core::wallet::OrderState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub member: u64,
    #[serde(default)]
    pub state: Option<OrderState>,
    /// The operation ids of the facts already answered to the store.
    #[serde(default)]
    pub facts: Vec<String>,
    /// The first answer to each distinct delivery (its facts' operation
    /// ids), the last [`DELIVERIES`]: a redelivery answers the same body.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// Distinct deliveries remembered per order (a WooCommerce order sends one
/// per change of status or refund).
pub const DELIVERIES: usize = 16;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub ops: Vec<String>,
    pub points_delta: i64,
    #[serde(default)]
    pub pending_points: i64,
    pub balance: i64,
    pub tier: String,
}

impl Record {
    pub fn new(member: u64) -> Record {
        Record { member, state: None, facts: Vec::new(), deliveries: Vec::new() }
    }
}

pub fn get(kv: &Kv, key: &str) -> Result<Option<Record>> {
    kv.get(&keys::order(key))
}

/// Writes an order's state as the wallet had it (when it falls out of the
/// wallet, or after a fact), keeping the record's member and answers.
pub fn save_state(kv: &Kv, member: u64, state: &OrderState) -> Result<()> {
    let key = keys::order(&state.key);
    let mut record: Record = kv.get(&key)?.unwrap_or_else(|| Record::new(member));
    record.state = Some(state.clone());
    kv.put(&key, &record)
}
