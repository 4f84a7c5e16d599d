//! The cron trigger's export, the same for every cron component: the
//! plugin's WIT (`wit/cron.wit` at the root, from
//! spinframework/spin-trigger-cron) through wit-bindgen, the event's
//! timestamp as "now", and a failed tick logged (the detail, keys masked)
//! and reported to the plugin. Everything a tick imports (key-value,
//! variables, outbound HTTP) comes from spin-sdk.
//!
//! ```ignore
//! vafa_spin::cron_component!("points tick", tick);
//! fn tick(now: DateTime<Utc>) -> vafa_core::error::Result<()> { … }
//! ```
//!
//! The component's crate depends on `wit-bindgen`; the WIT path is
//! relative to its own directory (`components/<name>`).

#[macro_export]
macro_rules! cron_component {
    ($name:literal, $tick:path) => {
        mod bindings {
            wit_bindgen::generate!({ world: "spin-cron", path: "../../wit/cron.wit" });
        }

        struct CronComponent;

        impl bindings::Guest for CronComponent {
            fn handle_cron_event(metadata: bindings::Metadata) -> ::core::result::Result<(), bindings::Error> {
                let run = || $tick($crate::clock::from_unix(metadata.timestamp)?);
                run().map_err(|e| {
                    $crate::log::error(&format!("{} failed: {e:?}", $name));
                    bindings::Error::Other(e.to_string())
                })
            }
        }

        bindings::export!(CronComponent with_types_in bindings);
    };
}
