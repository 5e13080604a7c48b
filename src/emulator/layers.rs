//! The middleware layers around the API's and the edge's routes: the
//! request log and fault injection. A handler says what it decided by
//! putting a [`Decided`] in its answer's extensions; the log layer takes it
//! out and logs it, so every logged request is one that was decided (a
//! request the guard refused, or a control request, carries none and is not
//! logged).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::state::Shared;
use super::{LoggedRequest, Route, bodies, redact};
use crate::ids::KeyId;

/// What a handler or a layer decided about a request, for the log.
#[derive(Clone, Debug)]
pub(crate) struct Decided {
    route: Option<Route>,
    kid: Option<KeyId>,
    decision: Cow<'static, str>,
    /// The connection is dropped: no status reaches the client.
    dropped: bool,
}

impl Decided {
    pub(crate) fn new(route: Option<Route>, decision: impl Into<Cow<'static, str>>) -> Self {
        Decided {
            route,
            kid: None,
            decision: decision.into(),
            dropped: false,
        }
    }

    /// The kid a playback token named.
    pub(crate) fn kid(mut self, kid: Option<KeyId>) -> Self {
        self.kid = kid;
        self
    }

    /// Put it in `response`'s extensions for the log layer.
    pub(crate) fn on(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// The log layer's state: where to log, and how a path of its routes is
/// redacted (the API's and the edge's differ, see [`redact`]).
#[derive(Clone)]
pub(crate) struct Logger {
    pub(crate) shared: Arc<Shared>,
    pub(crate) redact: fn(&str) -> String,
}

/// The request log: the redacted path is taken before the request goes
/// in; the decision comes back on the answer.
pub(crate) async fn log(State(logger): State<Logger>, request: Request, next: Next) -> Response {
    let method = redact::method(request.method().as_str());
    let path = (logger.redact)(request.uri().path());
    let mut response = next.run(request).await;
    let Some(decided) = response.extensions_mut().remove::<Decided>() else {
        return response;
    };
    let status = (!decided.dropped).then(|| response.status().as_u16());
    logger.shared.log(LoggedRequest {
        method,
        path,
        route: decided.route,
        kid: decided.kid,
        status,
        decision: decided.decision.into_owned(),
    });
    response
}

/// Fault injection for one route: the next fault queued for it, if any,
/// waits, then drops the connection, answers its status (an API route in
/// Cloudflare's envelope, the edge in plain text), or lets the request
/// through.
pub(crate) async fn fault(
    State((shared, route)): State<(Arc<Shared>, Route)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(fault) = shared.lock().take_fault(route) else {
        return next.run(request).await;
    };
    if fault.delay_ms > 0 {
        // Real time, not the emulator's clock.
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    if fault.drop_connection {
        let mut decided = Decided::new(Some(route), "dropped");
        decided.dropped = true;
        return decided.on(bodies::dropped());
    }
    let Some(status) = fault.status else {
        return next.run(request).await;
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if route == Route::Playback {
        bodies::plain(status, "fault injected by the emulator\n")
    } else {
        bodies::failure(
            status,
            i64::from(status.as_u16()),
            "fault injected by the emulator",
        )
    };
    if let Some(secs) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Decided::new(Some(route), "fault").on(response)
}
