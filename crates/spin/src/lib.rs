//! Vafa on Spin: the adapter between the domain (`vafa-core`) and Spin's
//! key-value store, variables and outbound HTTP. Components call this crate;
//! only this crate calls spin-sdk for storage.

pub mod audit;
pub mod automations;
pub mod backfill;
pub mod broadcasts;
pub mod catalog;
pub mod clock;
pub mod club;
pub mod codes;
pub mod coupons;
pub mod config;
pub mod cron;
pub mod daily;
pub mod due;
pub mod http;
pub mod imports;
pub mod inbound;
pub mod join;
pub mod keys;
pub mod kv;
pub mod log;
pub mod members;
pub mod order_record;
pub mod orders;
pub mod outbound;
pub mod outbox;
pub mod panel;
pub mod poll;
pub mod redemptions;
pub mod sessions;
pub mod stats;
pub mod status_checks;
pub mod stores;
pub mod tracking;
pub mod wallet;
pub mod webhook;
