//! The empty handler every benchmark figure is compared with: the cost of
//! instantiating a spin-sdk component and answering, with no work at all.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(_req: Request) -> anyhow::Result<impl IntoResponse> {
    Ok(Response::new(200, ()))
}
