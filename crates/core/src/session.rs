//! A member's own session on `/me`: a random id in a short cookie, signed
//! so a guessed or altered id is refused before the store is asked, and a
//! record under the id that says whose it is and until when. Signing out
//! deletes the record, so the cookie is worth nothing after.

use crate::secret;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a session lasts from its sign-in (not renewed by use).
pub const TTL: Duration = Duration::minutes(30);
pub const COOKIE: &str = "vafa_me";
/// The cookie goes only to the member's own API.
pub const PATH: &str = "/api/me";
/// An id: 20 random bytes in the readable alphabet.
const ID_LEN: usize = 32;
/// Hex characters of the signature kept in the cookie (128 bits).
const SIG_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub member_id: String,
    #[serde(with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn new(member_id: &str, now: DateTime<Utc>) -> Session {
        Session { member_id: member_id.to_string(), expires_at: now + TTL }
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// The key sessions are signed with, derived from the club's admin secret
/// (a new admin token signs everyone out).
pub fn signing_key(secret: &str) -> [u8; 32] {
    secret::hmac_sha256(secret.as_bytes(), b"vafa me session v1")
}

/// A fresh session id from 20 random bytes.
pub fn new_id(random: &[u8; 20]) -> String {
    secret::encode_readable(random)
}

fn signature(key: &[u8; 32], id: &str) -> String {
    secret::hmac_hex(key, id.as_bytes())[..SIG_LEN].to_string()
}

/// Where the member's page runs, which decides the cookie's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Vafa's own `/me`: `SameSite=Strict`, and `Secure` unless the app is
    /// reached on loopback (`secure` false), where nothing travels.
    Own { secure: bool },
    /// The widget's frame on a store's page (`docs/widget.md`): a
    /// third-party context, where a browser sends only a `SameSite=None`
    /// cookie, and, when it blocks third-party cookies, only a
    /// `Partitioned` one: kept for the store's site alone, so no other
    /// site's page can send it.
    Embedded,
}

impl Place {
    fn attributes(self) -> &'static str {
        match self {
            Place::Own { secure: true } => "HttpOnly; SameSite=Strict; Secure",
            Place::Own { secure: false } => "HttpOnly; SameSite=Strict",
            Place::Embedded => "HttpOnly; SameSite=None; Secure; Partitioned",
        }
    }
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(key: &[u8; 32], id: &str, place: Place) -> String {
    format!("{COOKIE}={id}.{}; Path={PATH}; Max-Age={}; {}", signature(key, id), TTL.num_seconds(), place.attributes())
}

/// `Set-Cookie` that makes the browser forget the session (a partitioned
/// cookie is cleared only by one that says so too).
pub fn clear_cookie(place: Place) -> String {
    format!("{COOKIE}=; Path={PATH}; Max-Age=0; {}", place.attributes())
}

/// The session id in a `Cookie` header, if its signature is ours.
pub fn id_from_cookie(key: &[u8; 32], header: &str) -> Option<String> {
    let value = header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(name, _)| *name == COOKIE)?.1;
    let (id, sig) = value.split_once('.')?;
    let well_formed = id.len() == ID_LEN && id.bytes().all(|b| secret::READABLE.contains(&b));
    (well_formed && secret::constant_time_eq(sig.as_bytes(), signature(key, id).as_bytes())).then(|| id.to_string())
}

/// Whether a request's host is this machine (then cookies go without
/// `Secure`, as the browser would refuse them over plain HTTP).
pub fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    matches!(name, "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> [u8; 32] {
        signing_key("admin-secret")
    }

    fn cookie_of(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_string()
    }

    #[test]
    fn a_signed_id_comes_back_and_anything_else_is_refused() {
        let id = new_id(&[7; 20]);
        assert_eq!(id.len(), ID_LEN);
        let set = set_cookie(&key(), &id, Place::Own { secure: true });
        assert!(set.contains("; HttpOnly; SameSite=Strict; Secure") && set.contains("Path=/api/me; Max-Age=1800"), "{set}");
        let cookie = cookie_of(&set);
        assert_eq!(id_from_cookie(&key(), &format!("theme=dark; {cookie}; lang=fa")), Some(id.clone()));

        let other = new_id(&[8; 20]);
        let forged = cookie.replace(&id, &other);
        assert_eq!(id_from_cookie(&key(), &forged), None, "another id under the first id's signature");
        assert_eq!(id_from_cookie(&signing_key("another secret"), &cookie), None, "signed under another admin token");
        assert_eq!(id_from_cookie(&key(), &format!("{COOKIE}={id}")), None, "no signature");
        assert_eq!(id_from_cookie(&key(), &format!("{COOKIE}={id}.")), None);
        assert_eq!(id_from_cookie(&key(), "lang=fa"), None);
        assert_eq!(id_from_cookie(&key(), &format!("x{cookie}")), None, "another cookie's name");
    }

    #[test]
    fn in_a_stores_page_the_cookie_is_partitioned_and_cross_site_and_cleared_the_same_way() {
        let set = set_cookie(&key(), &new_id(&[1; 20]), Place::Embedded);
        assert!(set.ends_with("; HttpOnly; SameSite=None; Secure; Partitioned"), "{set}");
        assert_eq!(clear_cookie(Place::Embedded), "vafa_me=; Path=/api/me; Max-Age=0; HttpOnly; SameSite=None; Secure; Partitioned");
    }

    #[test]
    fn the_cookie_is_secure_except_on_loopback_and_is_cleared_the_same_way() {
        assert!(!set_cookie(&key(), &new_id(&[1; 20]), Place::Own { secure: false }).contains("Secure"));
        assert_eq!(clear_cookie(Place::Own { secure: true }), "vafa_me=; Path=/api/me; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
        for host in ["127.0.0.1:3000", "localhost", "[::1]:3000", "127.0.0.1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["club.example.com", "127.0.0.1.example.com:443", "10.0.0.1:3000", ""] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn a_session_lasts_thirty_minutes_from_its_sign_in() {
        let now: DateTime<Utc> = "2026-11-24T08:00:00Z".parse().unwrap();
        let s = Session::new("m_1", now);
        assert!(s.is_live(now + Duration::minutes(29)));
        assert!(!s.is_live(now + TTL));
    }
}
