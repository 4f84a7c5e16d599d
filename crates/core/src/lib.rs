//! Vafa's domain. Every function here takes what it needs as arguments (the
//! time, the settings, the records read) and returns a decision; nothing here
//! reads a clock, a store, a variable or the network.

pub mod audit;
pub mod automation;
pub mod backfill;
pub mod bonus;
pub mod catalog;
pub mod broadcast;
pub mod consent;
pub mod coupon;
pub mod error;
pub mod event;
pub mod export;
pub mod feedback;
pub mod guard;
pub mod import;
pub mod jalali;
pub mod json;
pub mod keyword;
pub mod ledger;
pub mod member;
pub mod message;
pub mod money;
pub mod order;
pub mod otp;
pub mod provider;
pub mod redemption;
pub mod reward;
pub mod secret;
pub mod segment;
pub mod session;
pub mod settings;
pub mod shop;
pub mod phone;
pub mod precondition;
pub mod sms;
pub mod staff;
pub mod stats;
pub mod template;
pub mod wallet;
pub mod text;
pub mod time;
pub mod zone;
