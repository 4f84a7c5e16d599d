mod bindings {
    wit_bindgen::generate!({ world: "spin-cron", path: "wit/cron.wit" });
}
use bindings::{Error, Guest, Metadata};
struct Sender;
impl Guest for Sender {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> { Ok(()) }
}
bindings::export!(Sender with_types_in bindings);
