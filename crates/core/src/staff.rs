//! The people who run the club: the owner, who holds the admin token, and
//! the named credentials the owner gives staff, each with a role that
//! decides what its holder may do.
//!
//! | role      | may                                                        |
//! |-----------|------------------------------------------------------------|
//! | `owner`   | everything                                                 |
//! | `staff`   | members (and their points, redemptions, codes), messages and replies; read the club's setup |
//! | `analyst` | read the reports                                           |
//!
//! Every role reads the settings: the dashboard draws every page with them.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Staff,
    Analyst,
}

/// What a route needs of its caller. Each admin route names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Read the settings.
    SeeSettings,
    /// Read the club's setup: rewards, automations, campaigns, bonus rules, stores, the panel.
    ReadClub,
    /// Change the club's setup, import and export.
    RunClub,
    /// Members, their points, redemptions and codes.
    Members,
    /// The message log and the replies members send.
    Messages,
    /// The reports.
    Reports,
    /// Credentials and the audit log.
    Team,
}

impl Role {
    pub fn may(self, right: Right) -> bool {
        use Right::*;
        match self {
            Role::Owner => true,
            Role::Staff => matches!(right, SeeSettings | ReadClub | Members | Messages),
            Role::Analyst => matches!(right, SeeSettings | Reports),
        }
    }
}

/// Who did something: the owner by the admin token, or a credential's holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `owner` for the admin token, else the credential's id.
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// The admin token's holder.
    pub fn owner() -> Actor {
        Actor { id: "owner".into(), name: "owner".into(), role: Role::Owner }
    }

    /// The actor, if they may use `right`; otherwise 403.
    pub fn allowed(self, right: Right) -> Result<Actor> {
        if self.role.may(right) {
            Ok(self)
        } else {
            Err(Error::Denied { code: "forbidden", message: format!("the {} role may not do this", self.role.name()) })
        }
    }
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::Analyst => "analyst",
        }
    }
}

/// A credential as the owner sees it: never its token, which is shown once
/// and kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// The SHA-256 of the token (`secret::hash`): what revoking deletes the
    /// token's key by. Never shown.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub token_hash: String,
}

/// The most credentials a club keeps.
pub const MAX_CREDENTIALS: usize = 50;

/// `POST /api/credentials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    pub name: String,
    pub role: Role,
}

impl NewCredential {
    /// Checked against the credentials the club has: a name is 1-60
    /// characters and unique, and there are at most [`MAX_CREDENTIALS`].
    pub fn into_credential(self, existing: &[Credential], id: String, token: &str, now: DateTime<Utc>) -> Result<Credential> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::field("name", "expected 1-60 characters"));
        }
        if existing.iter().any(|c| c.name == name) {
            return Err(Error::Conflict { code: "name_taken", message: format!("a credential is already named {name:?}"), member_id: None });
        }
        if existing.len() >= MAX_CREDENTIALS {
            return Err(Error::Unprocessable { code: "too_many_credentials", message: format!("at most {MAX_CREDENTIALS} credentials; revoke one first") });
        }
        Ok(Credential { id, name, role: self.role, created_at: now, token_hash: crate::secret::hash(token) })
    }
}

impl Credential {
    pub fn actor(&self) -> Actor {
        Actor { id: self.id.clone(), name: self.name.clone(), role: self.role }
    }

    /// The API's shape, without the hash.
    pub fn view(&self) -> Credential {
        Credential { token_hash: String::new(), ..self.clone() }
    }
}

/// A credential's token: `vfc_` and 32 readable characters (160 random bits).
pub fn new_token(random: &[u8; 20]) -> String {
    format!("vfc_{}", crate::secret::encode_readable(random))
}

/// A credential's id from random bytes.
pub fn new_id(random: &[u8; 5]) -> String {
    format!("c_{}", crate::secret::encode_readable(random).to_lowercase())
}

/// Wrong tokens from one client in one minute before its wrong tokens are
/// answered 429 for the rest of the minute. A right token is always heard
/// (every token is 160 random bits or the owner's secret: the limit slows
/// guessing, it does not guard a weak secret).
pub const MAX_WRONG_TOKENS_PER_MINUTE: i64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_what_its_table_says() {
        use Right::*;
        let all = [SeeSettings, ReadClub, RunClub, Members, Messages, Reports, Team];
        let may = |role: Role| all.iter().copied().filter(|r| role.may(*r)).collect::<Vec<_>>();
        assert_eq!(may(Role::Owner), all);
        assert_eq!(may(Role::Staff), [SeeSettings, ReadClub, Members, Messages]);
        assert_eq!(may(Role::Analyst), [SeeSettings, Reports]);
        let e = Actor { id: "c_1".into(), name: "Ali".into(), role: Role::Analyst }.allowed(Members).unwrap_err();
        assert!(matches!(e, Error::Denied { code: "forbidden", .. }), "{e:?}");
    }

    #[test]
    fn a_credential_has_a_unique_name_and_shows_no_hash() {
        let now = "2026-12-07T10:00:00Z".parse().unwrap();
        let new = |name: &str| NewCredential { name: name.into(), role: Role::Staff };
        let first = new(" Ali ").into_credential(&[], "c_1".into(), "vfc_X", now).unwrap();
        assert_eq!((first.name.as_str(), first.token_hash.len()), ("Ali", 64));
        assert!(matches!(new("Ali").into_credential(std::slice::from_ref(&first), "c_2".into(), "vfc_Y", now), Err(Error::Conflict { code: "name_taken", .. })));
        assert!(matches!(new(" ").into_credential(&[], "c_2".into(), "vfc_Y", now), Err(Error::InvalidField { .. })));
        assert!(!serde_json::to_string(&first.view()).unwrap().contains("token_hash"));
        assert!(new_token(&[7; 20]).starts_with("vfc_") && new_token(&[7; 20]).len() == 36);
    }
}
