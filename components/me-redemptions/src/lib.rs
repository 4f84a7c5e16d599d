//! `POST /api/me/redemptions` `{"reward_id", "confirm", "idempotency_key"}`:
//! a member redeems a reward for their own points on their page, signed in
//! as `/me` signs them in (`vafa_spin::sessions`).
//!
//! Without `"confirm": true` the answer (200) is what the reward costs and
//! what it leaves, and nothing is written: the page's confirmation step.
//! With it, 201 and the code, redeemed as `POST /api/redemptions` does
//! (`vafa_spin::redemptions`: the same rules, the same idempotency by
//! `idempotency_key`, the code also by SMS, the member's store's coupon).

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::reward::Catalog;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::sessions::signed_in;
use vafa_spin::{keys, redemptions};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match (segs, method) {
        (["api", "me", "redemptions"], Method::Post) => redeem(&req, &Ctx::new()?),
        (["api", "me", "redemptions"], _) => not_allowed(&["POST"]),
        _ => Err(no_route()),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemInput {
    reward_id: String,
    #[serde(default)]
    confirm: bool,
    idempotency_key: Option<String>,
}

/// A reward for the member's own points: first what it costs and leaves
/// (nothing written), then, confirmed, the code.
pub fn redeem(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: RedeemInput = http::parse_json(req)?;
    let (_, found, wallet) = signed_in(req, ctx)?;
    if !input.confirm {
        let settings = vafa_spin::club::settings(&ctx.kv)?;
        let catalog: Catalog = ctx.kv.get(keys::REWARDS)?.unwrap_or_default();
        let reward = catalog.get(&input.reward_id).ok_or_else(|| Error::NotFound(format!("reward {}", input.reward_id)))?;
        reward.check_redeemable(wallet.balance, wallet.tier_rank(&settings), &settings)?;
        return Ok(http::json(200, &json!({"reward": reward.member_view(), "balance": wallet.balance, "balance_after": wallet.balance - reward.cost as i64})));
    }
    let ask = redemptions::Ask { member_id: &found.member.id, reward_id: &input.reward_id, idempotency_key: input.idempotency_key.as_deref(), store: None };
    let (issued, _) = redemptions::redeem(&ctx.kv, ask, ctx.now)?;
    Ok(http::json(201, &json!({"code": issued.code, "reward": issued.reward.member_view(), "expires_at": vafa_core::time::format(&issued.expires_at), "balance": issued.balance})))
}

