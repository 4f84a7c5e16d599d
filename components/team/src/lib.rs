//! The club's people and what they did (owner only, `vafa_core::staff`):
//!
//! - `GET /api/credentials` → `{"credentials": [{id, name, role, created_at}]}`;
//! - `POST /api/credentials` `{"name", "role"}` → 201 the credential and its
//!   `token`, shown this once (only its hash is kept);
//! - `DELETE /api/credentials/{id}` → 204: revoked, its token opens nothing;
//! - `GET /api/audit?limit=&before=` → `{"entries": […], "next_before"}`,
//!   newest first (`vafa_core::audit`).

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::staff::{self, Credential, NewCredential, Right};
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::{audit, clock, keys};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match (segs, method) {
        (["api", "credentials"], Method::Get) => list(&req, &Ctx::new()?),
        (["api", "credentials"], Method::Post) => create(&req, &Ctx::new()?),
        (["api", "credentials"], _) => not_allowed(&["GET", "POST"]),
        (["api", "credentials", id], Method::Delete) => revoke(&req, &Ctx::new()?, id),
        (["api", "credentials", _], _) => not_allowed(&["DELETE"]),
        (["api", "audit"], Method::Get) => log(&req, &Ctx::new()?),
        (["api", "audit"], _) => not_allowed(&["GET"]),
        _ => Err(no_route()),
    })
}

fn all(ctx: &Ctx) -> Result<Vec<Credential>> {
    Ok(ctx.kv.get(keys::CREDENTIALS)?.unwrap_or_default())
}

fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Team)?;
    let views: Vec<Credential> = all(ctx)?.iter().map(Credential::view).collect();
    Ok(http::json(200, &json!({"credentials": views})))
}

/// Listed first, then its token's key: a credential that works is always
/// listed, so it can always be revoked.
fn create(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Team)?;
    let input: NewCredential = http::parse_json(req)?;
    let token = staff::new_token(&clock::random()?);
    let id = staff::new_id(&clock::random()?);
    let made = ctx.kv.edit(keys::CREDENTIALS, ctx.now, |list: Option<Vec<Credential>>| {
        let mut list = list.unwrap_or_default();
        let made = NewCredential { name: input.name.clone(), role: input.role }.into_credential(&list, id.clone(), &token, ctx.now)?;
        list.push(made.clone());
        Ok((list, made))
    })?;
    ctx.kv.put(&keys::credential_key(&made.token_hash), &made.actor())?;
    audit::made(&made.view());
    let mut body = json!(made.view());
    body["token"] = json!(token);
    Ok(http::json(201, &body))
}

/// The token's key goes first: from then on it opens nothing; a revoke
/// cut short is finished by the next.
fn revoke(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Team)?;
    let found = all(ctx)?.into_iter().find(|c| c.id == id).ok_or_else(|| Error::NotFound(format!("credential {id}")))?;
    ctx.kv.delete(&keys::credential_key(&found.token_hash))?;
    ctx.kv.edit(keys::CREDENTIALS, ctx.now, |list: Option<Vec<Credential>>| Ok((list.unwrap_or_default().into_iter().filter(|c| c.id != id).collect::<Vec<_>>(), ())))?;
    audit::note(Some(&found.view()), None::<&()>);
    Ok(http::no_content())
}

fn log(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Team)?;
    let (limit, before) = http::paging(req)?;
    let (entries, next) = audit::page(&ctx.kv, limit, before)?;
    Ok(http::json(200, &json!({"entries": entries, "next_before": next})))
}
