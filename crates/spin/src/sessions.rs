//! A member's session on their own page (`/me`): a random id in an
//! `HttpOnly`, `SameSite=Strict` cookie signed with a key derived from the
//! admin token, and a record under the id (`vafa_core::session`).

use crate::http::Ctx;
use crate::members::{self, Found};
use crate::{config, keys};
use spin_sdk::http::Request;
use vafa_core::error::{Error, Result};
use vafa_core::session::{self, Place, Session};
use vafa_core::wallet::Wallet;

/// The session the cookie names, live, and its member (not erased) with
/// their wallet; otherwise 401. An expired session's record is deleted.
pub fn signed_in(req: &Request, ctx: &Ctx) -> Result<(Session, Found, Wallet)> {
    let id = cookie_id(req)?.ok_or(Error::Unauthorized)?;
    let key = keys::session(&id);
    let record: Session = ctx.kv.get(&key)?.ok_or(Error::Unauthorized)?;
    let member = keys::member_number(&record.member_id).filter(|_| record.is_live(ctx.now)).map(|n| members::load_with_wallet(&ctx.kv, n)).transpose()?.flatten();
    match member {
        Some((found, wallet)) if !found.member.is_erased() => Ok((record, found, wallet)),
        _ => {
            ctx.kv.delete(&key)?;
            Err(Error::Unauthorized)
        }
    }
}

pub fn cookie_id(req: &Request) -> Result<Option<String>> {
    let key = signing_key()?;
    Ok(req.header("cookie").and_then(|v| v.as_str()).and_then(|header| session::id_from_cookie(&key, header)))
}

pub fn signing_key() -> Result<[u8; 32]> {
    Ok(session::signing_key(&config::admin_token()?))
}

/// Where the page calling runs: the widget's frame says so with the
/// header `vafa-embed: 1` (`docs/widget.md`); otherwise Vafa's own `/me`,
/// `Secure` unless the browser reached us on loopback, as the URL Spin saw
/// says (`spin-full-url`; the guest never sees a `host` header).
pub fn place(req: &Request) -> Place {
    if req.header("vafa-embed").and_then(|v| v.as_str()) == Some("1") {
        return Place::Embedded;
    }
    let url = req.header("spin-full-url").and_then(|v| v.as_str()).unwrap_or("");
    let host = url.strip_prefix("http://").map(|rest| rest.split('/').next().unwrap_or(""));
    Place::Own { secure: !host.is_some_and(session::is_loopback) }
}
