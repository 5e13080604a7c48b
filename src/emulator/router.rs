//! The emulator's app: the playback edge at the root, the API nested under
//! `/client/v4` and the control endpoints under `/__emulator`, each with
//! its own routes and layers (see `edge.rs`, `api.rs`, `control.rs`).
//!
//! | part | layers, outermost first |
//! |---|---|
//! | edge | request log; per surface: fault |
//! | API | loopback guard; request log; per route: fault, credentials and rate limit |
//! | control | loopback, origin and JSON guard |

use std::sync::Arc;

use axum::Router;

use super::state::Shared;
use super::{api, control, edge};

/// Where the control endpoints are served.
pub(crate) const CONTROL_PREFIX: &str = "/__emulator";

/// The app served on the emulator's socket.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    // The edge's layers are added before the other parts are nested, so
    // they wrap the edge alone.
    edge::routes(&shared)
        .nest(api::API_PREFIX, api::routes(&shared))
        .nest(CONTROL_PREFIX, control::routes())
        .with_state(shared)
}
