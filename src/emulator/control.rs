//! `/__emulator/...`: the handle's methods as JSON endpoints, for tests in
//! other languages and for `cf-stream-token emulate`. Each endpoint, its
//! body and its answer are documented in the module's rustdoc (`mod.rs`,
//! "Control endpoints"); the guard (`guard.rs`) runs before all of them.

// A refusal is the answer itself, built once per request: boxing it would
// buy nothing.
#![allow(clippy::result_large_err)]

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Fault;
use super::bodies::json_answer;
use super::guard;
use super::state::{CLOCK_MAX, CLOCK_MIN, LoopbackViewer, Shared};
use crate::ids::{AccountId, VideoId};
use crate::key::PublicKey;
use crate::rules::CountryCode;

fn ok(body: &Value) -> Response {
    json_answer(StatusCode::OK, body)
}

fn bad(message: &str) -> Response {
    json_answer(StatusCode::BAD_REQUEST, &json!({ "error": message }))
}

/// 400 for a refused request; 500 when the emulator itself failed (its
/// state file could not be written, the change undone) or its clock is
/// out of range.
fn failed(e: &crate::error::Error) -> Response {
    use crate::error::ErrorKind;
    let own = match e.kind() {
        ErrorKind::InvalidConfig { what } => what.starts_with("the emulator could not"),
        ErrorKind::TimeOutOfRange => true,
        _ => false,
    };
    if own {
        json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "error": e.to_string() }),
        )
    } else {
        bad(&e.to_string())
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Response> {
    // serde's message names the field and type, never the input.
    serde_json::from_slice(body).map_err(|e| bad(&format!("invalid body: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: Option<i64>,
    advance_secs: Option<i64>,
}

#[derive(Deserialize)]
struct SecsBody {
    secs: u64,
}

#[derive(Deserialize)]
struct EnabledBody {
    enabled: bool,
}

#[derive(Deserialize)]
struct VideoBody {
    account: AccountId,
    video: VideoId,
    #[serde(default)]
    public: bool,
}

/// Both members optional (absent or null: the default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewerBody {
    #[serde(default)]
    ip: Option<IpAddr>,
    #[serde(default)]
    country: Option<String>,
}

#[derive(Deserialize)]
struct KeyBody {
    account: AccountId,
    public_key: String,
}

/// The control endpoints, behind the guard (loopback host and origin,
/// JSON POSTs); not logged.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/clock", get(clock).post(set_clock).fallback(not_found))
        .route(
            "/faults",
            get(faults)
                .post(add_fault)
                .delete(clear_faults)
                .fallback(not_found),
        )
        .route("/key-delay", post(key_delay).fallback(not_found))
        .route("/check-24h", post(check_24h).fallback(not_found))
        .route("/videos", post(register_video).fallback(not_found))
        .route("/keys", post(import_key).fallback(not_found))
        .route("/keys/{account}", get(keys).fallback(not_found))
        .route(
            "/viewer",
            get(loopback_viewer)
                .post(set_loopback_viewer)
                .fallback(not_found),
        )
        .route("/reset", post(reset).fallback(not_found))
        .route("/log", get(log).fallback(not_found))
        .fallback(not_found)
        .layer(from_fn(guard::control_layer))
}

type Answer = Result<Response, Response>;

async fn not_found() -> Response {
    json_answer(
        StatusCode::NOT_FOUND,
        &json!({ "error": "no such control endpoint" }),
    )
}

async fn clock(State(shared): State<Arc<Shared>>) -> Response {
    ok(&json!({ "now": shared.now() }))
}

async fn set_clock(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: ClockBody = parse(&body)?;
    let out_of_range = |_| {
        bad(&format!(
            "the clock must stay within unix {CLOCK_MIN}..={CLOCK_MAX} \
             (1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z)"
        ))
    };
    match (b.now, b.advance_secs) {
        (Some(now), None) => shared.set_now(now).map_err(out_of_range)?,
        (None, Some(secs)) => shared.advance(secs).map_err(out_of_range)?,
        _ => return Err(bad("give exactly one of now and advance_secs")),
    }
    Ok(ok(&json!({ "now": shared.now() })))
}

async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let fault: Fault = parse(&body)?;
    shared.add_fault(fault);
    Ok(ok(&json!({ "queued": true })))
}

async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    ok(&serde_json::to_value(shared.faults()).unwrap_or_default())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    ok(&json!({ "cleared": true }))
}

async fn key_delay(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: SecsBody = parse(&body)?;
    shared.set_key_delay(i64::try_from(b.secs).unwrap_or(i64::MAX));
    Ok(ok(&json!({ "secs": b.secs })))
}

async fn check_24h(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: EnabledBody = parse(&body)?;
    shared.set_check_24h(b.enabled);
    Ok(ok(&json!({ "enabled": b.enabled })))
}

async fn register_video(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: VideoBody = parse(&body)?;
    shared
        .register_video(b.account, b.video, b.public)
        .map_err(|e| failed(&e))?;
    Ok(ok(
        &json!({ "video": b.video, "account": b.account, "public": b.public }),
    ))
}

async fn import_key(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: KeyBody = parse(&body)?;
    let key = PublicKey::parse(b.public_key.as_bytes(), None).map_err(|e| bad(&e.to_string()))?;
    shared
        .import_public_key(b.account, &key)
        .map_err(|e| failed(&e))?;
    Ok(ok(&json!({ "id": key.kid(), "account": b.account })))
}

async fn keys(
    State(shared): State<Arc<Shared>>,
    account: Result<Path<String>, PathRejection>,
) -> Answer {
    let Path(account) = account.map_err(|e| bad(&e.body_text()))?;
    let account = AccountId::new(&account).map_err(|e| bad(&e.to_string()))?;
    Ok(ok(&json!(shared.keys(&account))))
}

/// The loopback viewer as JSON: `{"ip": "203.0.113.7" | null, "country": "US" | null}`.
fn viewer_json(v: LoopbackViewer) -> Value {
    json!({ "ip": v.ip, "country": v.country })
}

async fn loopback_viewer(State(shared): State<Arc<Shared>>) -> Response {
    ok(&viewer_json(shared.loopback_viewer()))
}

async fn set_loopback_viewer(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let b: ViewerBody = parse(&body)?;
    let country = b
        .country
        .as_deref()
        .map(CountryCode::new)
        .transpose()
        .map_err(|e| bad(&e.to_string()))?;
    let viewer = LoopbackViewer { ip: b.ip, country };
    shared.set_loopback_viewer(viewer);
    Ok(ok(&viewer_json(viewer)))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    ok(&json!({ "reset": true }))
}

async fn log(State(shared): State<Arc<Shared>>) -> Response {
    ok(&serde_json::to_value(shared.requests()).unwrap_or_default())
}
