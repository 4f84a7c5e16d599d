//! `GET /api/stores`, `GET/PUT /api/stores/{id}` and `POST
//! /api/stores/{id}/rotate-key` (admin). A store answers with an `ETag`
//! and a `PUT` honours `If-Match` (`vafa_core::precondition`).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::precondition;
use vafa_core::secret;
use vafa_core::shop::{self, Shop, ShopInput};
use vafa_spin::{clock, http, keys};

fn load(ctx: &Ctx, id: &str) -> Result<Shop> {
    shop::validate_id(id).map_err(|_| Error::NotFound(format!("store {id}")))?;
    ctx.kv.get(&keys::store(id))?.ok_or_else(|| Error::NotFound(format!("store {id}")))
}

pub fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let ids: Vec<String> = ctx.kv.get(keys::STORES)?.unwrap_or_default();
    let found = ctx.kv.get_many(&ids.iter().map(|id| keys::store(id)).collect::<Vec<_>>())?;
    let shops = ids
        .iter()
        .filter_map(|id| found.get(&keys::store(id)).map(|b| vafa_spin::kv::decode::<Shop>(&keys::store(id), b)))
        .collect::<Result<Vec<_>>>()?;
    Ok(http::json(200, &serde_json::json!({ "stores": shops.iter().map(|s| s.view(None)).collect::<Vec<_>>() })))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let shop = load(ctx, id)?;
    Ok(http::tagged(200, &shop.view(None)))
}

pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let input: ShopInput = http::parse_json(req)?;
    shop::validate_id(id)?;
    let if_match = http::if_match(req);
    let club = http::settings(&ctx.kv)?;
    let fresh = shop::new_api_key(&clock::random()?);
    let upsert = ctx.kv.edit(&keys::store(id), ctx.now, |existing: Option<Shop>| {
        precondition::check(if_match.as_ref(), existing.as_ref().map(|s| s.view(None)).as_ref())?;
        let upsert = shop::upsert(id, existing, input.clone(), &club.currency, fresh.clone(), ctx.now)?;
        // The key index first: a store is never saved with a key that
        // cannot authenticate; and the list of stores, so a saved store is
        // always listed.
        if upsert.new_api_key.is_some() {
            ctx.kv.set_raw(&keys::store_key(&upsert.shop.api_key_hash), id.as_bytes())?;
        }
        index(ctx, id)?;
        Ok((upsert.shop.clone(), upsert))
    })?;
    // 200 whether made or updated; `api_key` shows only when made.
    Ok(answer(&upsert.shop, upsert.new_api_key.as_deref()))
}

/// A store as the admin sees it, tagged by its view without the key shown
/// once (so the tag is the one `GET` answers).
fn answer(shop: &Shop, new_key: Option<&str>) -> Response {
    let mut response = http::json(200, &shop.view(new_key));
    response.set_header("etag", precondition::etag(&shop.view(None)));
    response
}

/// Adds a store to the list of stores (`stores`), once.
fn index(ctx: &Ctx, id: &str) -> Result<()> {
    let listed: Vec<String> = ctx.kv.get(keys::STORES)?.unwrap_or_default();
    if listed.iter().any(|i| i == id) {
        return Ok(());
    }
    ctx.kv.edit(keys::STORES, ctx.now, |ids: Option<Vec<String>>| {
        let mut ids = ids.unwrap_or_default();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
        Ok((ids, ()))
    })
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
    Ok(answer(&shop, Some(&key)))
}
