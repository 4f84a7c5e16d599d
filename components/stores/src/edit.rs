//! `GET /api/stores`, `GET/PUT /api/stores/{id}` and `POST
//! /api/stores/{id}/rotate-key` (admin). A store answers with an `ETag`
//! and a `PUT` honours `If-Match` (`vafa_core::precondition`).

use spin_sdk::http::{Request, Response};
use vafa_core::backfill::{Backfill, BackfillInput};
use vafa_core::error::{Error, Result};
use vafa_core::precondition;
use vafa_core::secret;
use vafa_core::shop::{self, Shop, ShopInput};
use vafa_spin::http::Ctx;
use vafa_spin::{clock, coupons, http, keys, stores};
use vafa_core::staff::Right;

fn load(ctx: &Ctx, id: &str) -> Result<Shop> {
    shop::validate_id(id).map_err(|_| Error::NotFound(format!("store {id}")))?;
    ctx.kv.get(&keys::store(id))?.ok_or_else(|| Error::NotFound(format!("store {id}")))
}

pub fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let shops = stores::all(&ctx.kv)?;
    Ok(http::json(200, &serde_json::json!({ "stores": shops.iter().map(|s| s.view(None)).collect::<Vec<_>>() })))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let shop = load(ctx, id)?;
    Ok(http::tagged(200, &shop.view(None)))
}

pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: ShopInput = http::parse_json(req)?;
    shop::validate_id(id)?;
    let if_match = http::if_match(req);
    let club = vafa_spin::club::settings(&ctx.kv)?;
    let fresh = shop::new_api_key(&clock::random()?);
    let mut before = None;
    let upsert = ctx.kv.edit(&keys::store(id), ctx.now, |existing: Option<Shop>| {
        before = existing.clone();
        precondition::check(if_match.as_ref(), existing.as_ref().map(|s| s.view(None)).as_ref())?;
        let upsert = shop::upsert(id, existing, input.clone(), &club.currency, fresh.clone(), ctx.now)?;
        if input.verify {
            let api = upsert.shop.api.as_ref().ok_or_else(|| Error::field("verify", "the store has no api credentials to verify"))?;
            coupons::verify(api)?;
        }
        // The key index first: a store is never saved with a key that
        // cannot authenticate; and the list of stores, so a saved store is
        // always listed.
        if upsert.new_api_key.is_some() {
            ctx.kv.set_raw(&keys::store_key(&upsert.shop.api_key_hash), id.as_bytes())?;
        }
        stores::list(&ctx.kv, id, ctx.now)?;
        Ok((upsert.shop.clone(), upsert))
    })?;
    vafa_spin::audit::note(before.as_ref().map(|s| s.view(None)).as_ref(), Some(&upsert.shop.view(None)));
    // 200 whether made or updated; `api_key` shows only when made.
    // `"verified": true` says the platform took the credentials.
    Ok(answer(&upsert.shop, upsert.new_api_key.as_deref(), input.verify))
}

/// A store as the admin sees it, tagged by its view without the key shown
/// once (so the tag is the one `GET` answers).
fn answer(shop: &Shop, new_key: Option<&str>, verified: bool) -> Response {
    let mut view = serde_json::json!(shop.view(new_key));
    if verified {
        view["verified"] = serde_json::json!(true);
    }
    let mut response = http::json(200, &view);
    response.set_header("etag", precondition::etag(&shop.view(None)));
    response
}

/// A new key, under `If-Match` and by compare-and-swap, so an edit of the
/// store made meanwhile is kept: the new key's index first (a store is
/// never saved with a key that cannot authenticate), the old one's last.
pub fn rotate_key(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let if_match = http::if_match(req);
    let before = load(ctx, id)?;
    precondition::check(if_match.as_ref(), Some(&before.view(None)))?;
    let key = shop::new_api_key(&clock::random()?);
    let hash = secret::hash(&key);
    ctx.kv.set_raw(&keys::store_key(&hash), id.as_bytes())?;
    let mut rotated = None;
    let swapped = ctx.kv.update(&keys::store(id), |mut shop: Shop| {
        precondition::check(if_match.as_ref(), Some(&shop.view(None)))?;
        let old = std::mem::replace(&mut shop.api_key_hash, hash.clone());
        shop.updated_at = ctx.now;
        rotated = Some((shop.clone(), old));
        Ok(Some(shop))
    });
    let (shop, old_hash) = match swapped.and_then(|_| rotated.ok_or_else(|| Error::NotFound(format!("store {id}")))) {
        Ok(done) => done,
        Err(e) => {
            // Refused after all (edited in between, or gone): the new key opens nothing.
            ctx.kv.delete(&keys::store_key(&hash))?;
            return Err(e);
        }
    };
    ctx.kv.delete(&keys::store_key(&old_hash))?;
    vafa_spin::audit::note(Some(&before.view(None)), Some(&shop.view(None)));
    Ok(answer(&shop, Some(&key), false))
}

/// `POST /api/stores/{id}/backfill`: the store's past orders, brought in by
/// the backfill tick (`vafa_spin::backfill`). 202 with the job.
pub fn backfill(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: BackfillInput = http::parse_json(req)?;
    let shop = load(ctx, id)?;
    if shop.api.is_none() {
        return Err(Error::Unprocessable { code: "no_credentials", message: "the store has no platform API credentials (\"api\") to read its orders with".into() });
    }
    let job = Backfill::new(id, &input, ctx.now)?;
    vafa_spin::backfill::start(&ctx.kv, &job, ctx.now)?;
    vafa_spin::audit::made(&job.view());
    Ok(http::json(202, &job.view()))
}

/// `GET /api/stores/{id}/backfill`: how far it has come.
pub fn backfill_progress(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    Ok(http::json(200, &vafa_spin::backfill::get(&ctx.kv, id)?.view()))
}
