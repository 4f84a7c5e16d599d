//! The rewards catalog: what members can spend points on, and what a
//! reward's code is worth at checkout.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::Settings;

/// Rewards a club may have (the catalog is one record).
pub const MAX_REWARDS: usize = 200;
const MAX_COST: u64 = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `value` percent off the order (1–100).
    Percent,
    /// `value` minor units off the order.
    Fixed,
    FreeShipping,
    Gift,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub value: u64,
    /// Points it costs.
    pub cost: u64,
    /// Days a code stays valid after it is issued.
    pub valid_days: u32,
    /// The order total (minor units) a code needs.
    pub min_order: u64,
    /// Codes that may be issued in all (`None`: no limit).
    pub stock: Option<u64>,
    /// Only members in this tier or above may redeem it.
    pub tier: Option<String>,
    pub active: bool,
}

/// `PUT /api/rewards/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardInput {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub value: u64,
    pub cost: u64,
    #[serde(default = "thirty")]
    pub valid_days: u32,
    #[serde(default)]
    pub min_order: u64,
    #[serde(default)]
    pub stock: Option<u64>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn thirty() -> u32 {
    30
}

fn yes() -> bool {
    true
}

/// A reward id: 1–40 of a-z, 0-9, `-`, `_`.
pub fn validate_id(id: &str) -> Result<()> {
    let ok = (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(Error::field("id", "expected 1-40 of a-z, 0-9, - and _")) }
}

impl RewardInput {
    pub fn validate(self, id: &str, settings: &Settings) -> Result<Reward> {
        validate_id(id)?;
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Error::field("name", "expected 1-80 characters"));
        }
        let value_ok = match self.kind {
            Kind::Percent => (1..=100).contains(&self.value),
            Kind::Fixed => self.value >= 1,
            Kind::FreeShipping | Kind::Gift => self.value == 0,
        };
        if !value_ok {
            return Err(Error::field("value", "expected 1-100 for percent, at least 1 (minor units) for fixed, 0 or none otherwise"));
        }
        if !(1..=MAX_COST).contains(&self.cost) {
            return Err(Error::field("cost", format!("expected 1-{MAX_COST} points")));
        }
        if !(1..=3650).contains(&self.valid_days) {
            return Err(Error::field("valid_days", "expected 1-3650"));
        }
        if let Some(tier) = &self.tier
            && !settings.tiers.iter().any(|t| &t.name == tier)
        {
            return Err(Error::field("tier", format!("no tier named {tier:?} in the settings")));
        }
        Ok(Reward { id: id.to_string(), name, kind: self.kind, value: self.value, cost: self.cost, valid_days: self.valid_days, min_order: self.min_order, stock: self.stock, tier: self.tier, active: self.active })
    }
}

impl Reward {
    /// What a code of this reward takes off an order of `total`: a percent
    /// rounded down, a fixed amount, never more than the total.
    pub fn discount(&self, total: i64) -> i64 {
        let total = total.max(0);
        match self.kind {
            Kind::Percent => (i128::from(total) * i128::from(self.value) / 100) as i64,
            Kind::Fixed => total.min(i64::try_from(self.value).unwrap_or(i64::MAX)),
            Kind::FreeShipping | Kind::Gift => 0,
        }
    }

    /// Whether a member holding tier `rank` (an index in the settings'
    /// tiers) may redeem it.
    pub fn allows_tier(&self, rank: usize, settings: &Settings) -> bool {
        self.tier.as_ref().is_none_or(|t| settings.tiers.iter().position(|x| &x.name == t).is_none_or(|need| rank >= need))
    }

    /// What a member sees of it on their own page.
    pub fn member_view(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id, "name": self.name, "kind": self.kind, "value": self.value, "cost": self.cost, "min_order": self.min_order})
    }

    /// Whether a member with `balance` points at tier `rank` may redeem it
    /// now (stock aside, which only taking a unit can tell).
    pub fn check_redeemable(&self, balance: i64, rank: usize, settings: &Settings) -> crate::error::Result<()> {
        use crate::error::Error;
        if !self.active {
            return Err(Error::Conflict { code: "reward_inactive", message: format!("reward {} is not active", self.id), member_id: None });
        }
        if !self.allows_tier(rank, settings) {
            return Err(Error::Denied { code: "tier_required", message: format!("reward {} is for tier {} and above", self.id, self.tier.as_deref().unwrap_or_default()) });
        }
        if balance < self.cost as i64 {
            return Err(insufficient(balance));
        }
        Ok(())
    }
}

/// The balance does not cover the reward.
pub fn insufficient(balance: i64) -> crate::error::Error {
    crate::error::Error::Conflict { code: "insufficient_points", message: format!("the balance ({balance} points) does not cover this reward"), member_id: None }
}

/// The catalog, one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub rewards: Vec<Reward>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Reward> {
        self.rewards.iter().find(|r| r.id == id)
    }

    /// Adds or replaces a reward.
    pub fn put(&mut self, reward: Reward) -> Result<()> {
        if let Some(old) = self.rewards.iter_mut().find(|r| r.id == reward.id) {
            *old = reward;
        } else if self.rewards.len() >= MAX_REWARDS {
            return Err(Error::field("id", format!("at most {MAX_REWARDS} rewards; deactivate or reuse one")));
        } else {
            self.rewards.push(reward);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: Kind, value: u64) -> RewardInput {
        RewardInput { name: "تخفیف".into(), kind, value, cost: 100, valid_days: 30, min_order: 0, stock: None, tier: None, active: true }
    }

    #[test]
    fn discounts_round_down_and_never_pass_the_total() {
        let s = Settings::default();
        let ten = input(Kind::Percent, 10).validate("ten", &s).unwrap();
        assert_eq!((ten.discount(3_000_000), ten.discount(999)), (300_000, 99));
        let fixed = input(Kind::Fixed, 500_000).validate("f", &s).unwrap();
        assert_eq!((fixed.discount(3_000_000), fixed.discount(200_000)), (500_000, 200_000));
        assert_eq!(input(Kind::FreeShipping, 0).validate("ship", &s).unwrap().discount(1_000), 0);
    }

    #[test]
    fn bad_rewards_name_the_field() {
        let s = Settings::default();
        let code = |r: Result<Reward>| match r {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(input(Kind::Percent, 0).validate("a", &s)), "value");
        assert_eq!(code(input(Kind::Percent, 101).validate("a", &s)), "value");
        assert_eq!(code(RewardInput { cost: 0, ..input(Kind::Gift, 0) }.validate("a", &s)), "cost");
        assert_eq!(code(RewardInput { tier: Some("diamond".into()), ..input(Kind::Gift, 0) }.validate("a", &s)), "tier");
        assert_eq!(code(input(Kind::Gift, 0).validate("Bad Id", &s)), "id");
    }

    #[test]
    fn a_tier_restriction_admits_that_tier_and_above() {
        let s = Settings::default();
        let silver = RewardInput { tier: Some("silver".into()), ..input(Kind::Gift, 0) }.validate("g", &s).unwrap();
        assert_eq!((silver.allows_tier(0, &s), silver.allows_tier(1, &s), silver.allows_tier(2, &s)), (false, true, true));
    }
}
