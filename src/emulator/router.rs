//! The emulator's one router: API under `/client/v4`, control under
//! `/__emulator`, playback everywhere else, and the request log around the
//! API and the edge. The state room holds state; the handlers take it from
//! here.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use super::state::Shared;
use super::{LoggedRequest, api, control, edge, guard, redact};

/// The app served on the emulator's socket.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// The one handler: API under `/client/v4`, control under `/__emulator`,
/// playback everywhere else.
async fn dispatch(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/__emulator") {
        if let Err(refused) = guard::control(&method, &headers) {
            return control::refused(refused);
        }
        return control::handle(&shared, &method, rest, &body);
    }
    let outcome = if let Some(rest) = path.strip_prefix("/client/v4") {
        if let Err(refused) = guard::api(&headers) {
            // Not logged: the request was not for this emulator.
            return api::refused(refused);
        }
        api::handle(&shared, &method, rest, &headers, &body).await
    } else {
        edge::handle(&shared, &method, &path, uri.query(), &headers, peer).await
    };
    let status = (!outcome.dropped).then(|| outcome.response.status().as_u16());
    shared.log(LoggedRequest {
        method: redact::method(method.as_str()),
        path: outcome.logged_path,
        route: outcome.route,
        kid: outcome.kid,
        status,
        decision: outcome.decision,
    });
    outcome.response
}
