//! Vafa's domain. Every function here takes what it needs as arguments (the
//! time, the settings, the records read) and returns a decision; nothing here
//! reads a clock, a store, a variable or the network.

pub mod jalali;
pub mod keyword;
pub mod phone;
pub mod sms;
pub mod template;
pub mod zone;
