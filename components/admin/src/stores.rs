//! `PUT/GET /api/stores/{id}` and `POST /api/stores/{id}/rotate-key` (admin).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::secret;
use vafa_core::shop::{self, Shop, ShopInput};
use vafa_spin::{clock, http, keys};

fn load(ctx: &Ctx, id: &str) -> Result<Shop> {
    shop::validate_id(id).map_err(|_| Error::NotFound(format!("store {id}")))?;
    ctx.kv.get(&keys::store(id))?.ok_or_else(|| Error::NotFound(format!("store {id}")))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let shop = load(ctx, id)?;
    Ok(http::json(200, &shop.view(None)))
}

pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let input: ShopInput = http::parse_json(req)?;
    shop::validate_id(id)?;
    let existing: Option<Shop> = ctx.kv.get(&keys::store(id))?;
    let fresh = shop::new_api_key(&clock::random()?);
    let upsert = shop::upsert(id, existing, input, fresh, ctx.now)?;
    // The key index first: a store is never saved with a key that cannot
    // authenticate.
    if upsert.new_api_key.is_some() {
        ctx.kv.set_raw(&keys::store_key(&upsert.shop.api_key_hash), id.as_bytes())?;
    }
    ctx.kv.put(&keys::store(id), &upsert.shop)?;
    // the API contract: 200 whether made or updated; `api_key` shows only when made.
    Ok(http::json(200, &upsert.shop.view(upsert.new_api_key.as_deref())))
}

pub fn rotate_key(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let mut shop = load(ctx, id)?;
    let key = shop::new_api_key(&clock::random()?);
    let old_hash = std::mem::replace(&mut shop.api_key_hash, secret::hash(&key));
    shop.updated_at = ctx.now;
    ctx.kv.set_raw(&keys::store_key(&shop.api_key_hash), id.as_bytes())?;
    ctx.kv.put(&keys::store(id), &shop)?;
    ctx.kv.delete(&keys::store_key(&old_hash))?;
    Ok(http::json(200, &shop.view(Some(&key))))
}
