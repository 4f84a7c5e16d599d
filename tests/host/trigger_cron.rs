//! The cron trigger, as the cron plugin (spinframework/spin-trigger-cron
//! v0.3.0, `src/lib.rs`) calls a component: a fresh instance per event,
//! `handle-cron-event(metadata { timestamp })` with the Unix seconds of the
//! tick; a trap is "cron handler trapped", an `error::other(s)` is the
//! component's failure.

use std::sync::Arc;

use wasmtime::Store;

use crate::bindings::cron::fermyon::spin_cron::cron_types::{Error, Metadata};
use crate::kv::Trigger;
use crate::{Inner, Tick};

pub async fn tick(inner: Arc<Inner>, component_name: String, timestamp: u64) -> Tick {
    let component = inner.component(&component_name);
    let Some(cron) = component.loaded.cron.clone() else {
        panic!("component {component_name:?} does not export fermyon:spin-cron handle-cron-event");
    };
    let (state, output, counts) = inner.call_state(component, Trigger::Cron);
    let mut store = Store::new(crate::guests::engine(), state);
    let outcome = async {
        let instance = cron.instantiate_async(&mut store).await?;
        instance
            .call_handle_cron_event(&mut store, Metadata { timestamp })
            .await
    }
    .await;
    let (result, trap) = match outcome {
        Ok(Ok(())) => (Ok(()), None),
        Ok(Err(Error::Other(e))) => (Err(e), None),
        Err(e) => {
            let msg = format!("{e:?}");
            (Err(format!("cron handler trapped: {msg}")), Some(msg))
        }
    };
    let (stdout, stderr) = output.take();
    crate::echo(&component_name, &stdout, &stderr, trap.as_deref());
    Tick {
        result,
        kv_ops: counts.ops(),
        kv_writes: counts.writes(),
        kv_trace: counts.trace(),
        stdout,
        stderr,
        trap,
    }
}
