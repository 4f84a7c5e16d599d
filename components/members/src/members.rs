//! Members (README "Members"): create (admin or store), read, patch, change
//! of phone, consent and erasure (admin). Points and the ledger are the
//! purchase-scoring component's.

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::consent::Source;
use vafa_core::error::{Error, Result};
use vafa_core::member::{self, MemberPatch, NewMember};
use vafa_spin::audit;
use vafa_spin::http::{self, Caller};
use vafa_spin::members::{self as store, Found};
use vafa_core::staff::Right;

pub type Action = fn(&Request, &Ctx, &str) -> Result<Response>;

#[derive(serde::Serialize)]
struct Page<'a> {
    members: Vec<vafa_core::member::MemberView<'a>>,
    next_before: Option<u64>,
}

fn answer(status: u16, found: &Found) -> Response {
    http::json(status, &found.view())
}

pub fn create(req: &Request, ctx: &Ctx) -> Result<Response> {
    let caller = http::caller(req, &ctx.kv, Right::Members)?;
    let mut input: NewMember = http::parse_json(req)?;
    // A store creates members for itself only.
    if let Caller::Store(own) = &caller {
        match &input.store_id {
            Some(s) if s != own => return Err(Error::Forbidden),
            _ => input.store_id = Some(own.clone()),
        }
    }
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let draft = input.validate(&settings, member::today(&settings, ctx.now))?;
    let found = store::create(&ctx.kv, &settings, draft, ctx.now)?;
    audit::made(&found.view());
    vafa_spin::log::info(&format!("member {} joined", found.member.id));
    Ok(answer(201, &found))
}

/// `GET /api/members?phone=`: one member by any spelling of their phone;
/// without `phone`, a page of members, newest first (`?limit=&before=`).
pub fn find_or_list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let Some(raw) = http::query_param(req, "phone") else {
        let (limit, before) = http::paging(req)?;
        let (page, next) = store::page(&ctx.kv, limit, before)?;
        let members = page.iter().map(Found::view).collect();
        return Ok(http::json(200, &Page { members, next_before: next }));
    };
    let (_, found) = store::by_phone_as_typed(&ctx.kv, &raw)?;
    let found = found.ok_or_else(|| Error::NotFound("member with this phone".into()))?;
    Ok(answer(200, &found))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let found = store::by_id(&ctx.kv, id)?;
    Ok(answer(200, &found))
}

pub fn patch(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let patch: MemberPatch = http::parse_json(req)?;
    let mut found = store::live(&ctx.kv, id)?;
    let before = found.clone();
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let birthday = found.member.birthday;
    found.member.apply_patch(patch, member::today(&settings, ctx.now), ctx.now)?;
    if let Some(b) = found.member.birthday.filter(|b| Some(*b) != birthday) {
        store::index_birthday(&ctx.kv, found.number, &b)?;
    }
    store::save(&ctx.kv, &found)?;
    audit::note(Some(&before.view()), Some(&found.view()));
    Ok(answer(200, &found))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneInput {
    phone: String,
}

pub fn change_phone(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let input: PhoneInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let phone = member::parse_phone(&input.phone, &settings)?;
    let mut found = store::live(&ctx.kv, id)?;
    let before = found.clone();
    store::change_phone(&ctx.kv, &mut found, phone, ctx.now)?;
    audit::note(Some(&before.view()), Some(&found.view()));
    Ok(answer(200, &found))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentInput {
    marketing: bool,
    source: Option<String>,
    text: Option<String>,
    /// `false` stops every SMS, transactional included; `true` lifts it.
    all_sms: Option<bool>,
}

pub fn consent(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let input: ConsentInput = http::parse_json(req)?;
    let source = input.source.as_deref().map(Source::parse).transpose()?.unwrap_or(Source::Api);
    if input.text.as_ref().is_some_and(|t| t.chars().count() > 1000) {
        return Err(Error::field("text", "at most 1000 characters"));
    }
    let mut found = store::live(&ctx.kv, id)?;
    let before = found.clone();
    found.member.record_consent(input.marketing, source, input.text, ctx.now);
    if let Some(all) = input.all_sms {
        found.member.sms_blocked = !all;
    }
    store::save_consent(&ctx.kv, &vafa_spin::club::settings(&ctx.kv)?, &found, ctx.now)?;
    audit::note(Some(&before.view()), Some(&found.view()));
    Ok(answer(200, &found))
}

pub fn erase(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let mut found = store::by_id(&ctx.kv, id)?;
    let before = found.clone();
    store::erase(&ctx.kv, &mut found, ctx.now)?;
    audit::note(Some(&before.view()), Some(&found.view()));
    vafa_spin::log::info(&format!("member {id} erased"));
    Ok(http::no_content())
}
