//! `GET/PUT /api/settings` (admin).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::Result;
use vafa_core::settings::Settings;
use vafa_spin::{http, keys};

pub fn get(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    Ok(http::json(200, &http::settings(&ctx.kv)?))
}

pub fn put(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let settings = Settings::from_json(http::body(req)?)?;
    ctx.kv.put(keys::SETTINGS, &settings)?;
    Ok(http::json(200, &settings))
}
