//! Reward codes seen in a store's order webhook. A paid order that carries
//! a code in its coupon lines links it to the order (`code-order:{CODE}`),
//! and the redemption component reads the link with the code: a store that
//! only sends webhooks still has its codes marked used. The link is a
//! plain write, so the webhook does not have to decode redemptions.

use crate::keys;
use crate::kv::Kv;
use vafa_core::error::Result;
use vafa_core::redemption::normalize_code;

/// Links each of `coupons` that could be a reward code to `order_id`; the
/// first order to carry a code keeps it.
pub fn link_to_order(kv: &Kv, coupons: &[String], order_id: &str) -> Result<()> {
    for code in coupons.iter().filter_map(|c| normalize_code(c)) {
        let key = keys::code_order(&code);
        if kv.get_raw(&key)?.is_none() {
            kv.set_raw(&key, order_id.as_bytes())?;
        }
    }
    Ok(())
}
