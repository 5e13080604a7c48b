//! `/__emulator/...`: the handle's methods as JSON endpoints, for tests in
//! other languages and for `cf-stream-token emulate`.
//!
//! | method and path | body | does |
//! |---|---|---|
//! | `GET /clock` | | `{"now": UNIX}` |
//! | `POST /clock` | `{"now": UNIX}` or `{"advance_secs": N}` | stop the clock at, or move it by |
//! | `POST /faults` | a fault: `{"route", "status", "retry_after", "delay_ms", "drop_connection", "times"}` | queue it |
//! | `DELETE /faults` | | drop every fault |
//! | `POST /key-delay` | `{"secs": N}` | new keys play N seconds after creation |
//! | `POST /check-24h` | `{"enabled": bool}` | the edge's 24-hour check |
//! | `POST /videos` | `{"account", "video", "public"}` | register a video |
//! | `POST /keys` | `{"account", "public_key"}` (any public or private form, with its kid) | import a key's public half |
//! | `GET /keys/{account}` | | the account's live key ids |
//! | `POST /reset` | | forget everything |
//! | `GET /log` | | the request log |
//!
//! Every request must be addressed to a loopback `Host` (`localhost`,
//! `127.0.0.0/8`, `[::1]`, any port) and carry no `Origin` but a loopback
//! one, else 403; every POST must be `Content-Type: application/json`, else
//! 415 (see `guard.rs`). The answer then says why in `x-emulator-reason`
//! and in the body: `{"error": "...", "reason": "foreign-host"}`.
//!
//! The clock stays within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z: a
//! `now` outside it, or an `advance_secs` that would leave it, is refused
//! with 400 and the clock is unchanged.

// A refusal is the answer itself, built once per request: boxing it would
// buy nothing.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Fault;
use super::guard::Refused;
use super::state::{CLOCK_MAX, CLOCK_MIN, Shared};
use crate::ids::{AccountId, VideoId};
use crate::key::PublicKey;

fn answer(status: StatusCode, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn ok(body: &Value) -> Response {
    answer(StatusCode::OK, body)
}

fn bad(message: &str) -> Response {
    answer(StatusCode::BAD_REQUEST, &json!({ "error": message }))
}

/// The answer to a request the guard refused.
pub(crate) fn refused(why: Refused) -> Response {
    let mut r = answer(
        why.status(),
        &json!({ "error": why.message(), "reason": why.reason() }),
    );
    r.headers_mut()
        .insert("x-emulator-reason", HeaderValue::from_static(why.reason()));
    r
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
        answer(
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

#[derive(Deserialize)]
struct KeyBody {
    account: AccountId,
    public_key: String,
}

pub(crate) fn handle(shared: &Shared, method: &Method, path: &str, body: &[u8]) -> Response {
    match run(shared, method, path, body) {
        Ok(r) | Err(r) => r,
    }
}

fn run(shared: &Shared, method: &Method, path: &str, body: &[u8]) -> Result<Response, Response> {
    let path = path.trim_end_matches('/');
    Ok(match (method, path) {
        (&Method::GET, "/clock") => ok(&json!({ "now": shared.now() })),
        (&Method::POST, "/clock") => {
            let b: ClockBody = parse(body)?;
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
            ok(&json!({ "now": shared.now() }))
        }
        (&Method::POST, "/faults") => {
            let fault: Fault = parse(body)?;
            shared.add_fault(fault);
            ok(&json!({ "queued": true }))
        }
        (&Method::DELETE, "/faults") => {
            shared.clear_faults();
            ok(&json!({ "cleared": true }))
        }
        (&Method::POST, "/key-delay") => {
            let b: SecsBody = parse(body)?;
            shared.set_key_delay(i64::try_from(b.secs).unwrap_or(i64::MAX));
            ok(&json!({ "secs": b.secs }))
        }
        (&Method::POST, "/check-24h") => {
            let b: EnabledBody = parse(body)?;
            shared.set_check_24h(b.enabled);
            ok(&json!({ "enabled": b.enabled }))
        }
        (&Method::POST, "/videos") => {
            let b: VideoBody = parse(body)?;
            shared
                .register_video(b.account, b.video, b.public)
                .map_err(|e| failed(&e))?;
            ok(&json!({ "video": b.video, "account": b.account, "public": b.public }))
        }
        (&Method::POST, "/keys") => {
            let b: KeyBody = parse(body)?;
            let key =
                PublicKey::parse(b.public_key.as_bytes(), None).map_err(|e| bad(&e.to_string()))?;
            shared
                .import_public_key(b.account, &key)
                .map_err(|e| failed(&e))?;
            ok(&json!({ "id": key.kid(), "account": b.account }))
        }
        (&Method::POST, "/reset") => {
            shared.reset();
            ok(&json!({ "reset": true }))
        }
        (&Method::GET, "/log") => ok(&serde_json::to_value(shared.requests()).unwrap_or_default()),
        (&Method::GET, p) if p.starts_with("/keys/") => {
            let account = AccountId::new(&p["/keys/".len()..]).map_err(|e| bad(&e.to_string()))?;
            ok(&json!(shared.keys(&account)))
        }
        _ => answer(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such control endpoint" }),
        ),
    })
}
