//! Logging to stderr (Spin keeps it per component). Callers pass only masked
//! phones (`Phone`'s `Display` masks) and never a secret or a code.

pub fn info(msg: &str) {
    eprintln!("INFO {msg}");
}

pub fn error(msg: &str) {
    eprintln!("ERROR {msg}");
}
