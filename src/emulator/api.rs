//! The four Stream signing-key endpoints, in Cloudflare's envelope.
//!
//! Documented by Cloudflare and followed here: the paths, the envelope, the
//! result shapes of the seeds (`id`, `pem`, `jwk`, `created`; `"ok"` for a
//! delete), code 10000 for authentication, code 971 and the `Ratelimit`
//! headers for the rate limit, the 1,000-key cap, the token endpoint's body
//! and defaults. Error codes for an unknown key, a bad body and a full
//! account are not documented: the ones below are assumed.

// A refusal is the answer itself, built once per request: boxing it would
// buy nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::bodies::{CODE_INTERNAL, envelope, failure};
use super::layers::{self, Decided, Logger};
use super::ratelimit::Verdict;
use super::state::{CredentialForm, KeyEntry, OwnKey, Shared, clock_in_range, random_hex};
use super::{Route, guard, redact};
use crate::api::{CODE_AUTHENTICATION, KEY_PATH, KEYS_PATH, TOKEN_PATH};
use crate::b64::URL_SAFE_NO_PAD;
use crate::claims::{DEFAULT_LIFETIME_SECS, TokenOptions};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::jws::NumericDate;
use crate::key::SigningKey;
use crate::key::export::{FreshKey, generate};
use crate::rules::AccessRule;

/// Rate limited (documented).
pub(crate) const CODE_RATE_LIMIT: i64 = 971;
/// No route for the URI (Cloudflare's answer to an unknown path).
const CODE_NO_ROUTE: i64 = 7000;
/// An identifier in the path is invalid (Cloudflare's answer to a bad id).
const CODE_BAD_ID: i64 = 7003;
/// Assumed: an unknown signing key.
const CODE_NOT_FOUND: i64 = 10003;
/// Assumed: a request body the endpoint refuses.
const CODE_BAD_BODY: i64 = 10005;
/// Assumed: the account already has the most signing keys allowed.
const CODE_KEY_LIMIT: i64 = 10011;

/// Where the API is served, under the emulator's address.
pub(crate) const API_PREFIX: &str = "/client/v4";

fn success(result: Value) -> Response {
    envelope(StatusCode::OK, true, json!([]), result)
}

/// `2014-01-02T02:20:00Z`, as the seeds show `created`; `None` for a time
/// outside the clock's range (never another instant in its place).
pub(crate) fn rfc3339(unix: i64) -> Option<String> {
    if !clock_in_range(unix) {
        return None;
    }
    crate::clock::rfc3339(OffsetDateTime::from_unix_timestamp(unix).ok()?).ok()
}

fn clock_failed() -> Refused {
    (
        failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            CODE_INTERNAL,
            "the emulator's clock is out of range",
        ),
        "clock-out-of-range",
    )
}

/// Which configured credential the request carries: `Some(Ok(i))` for
/// credential `i`, `Some(Err(()))` for a wrong one, `None` for none.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Option<Result<usize, ()>> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(auth) = text(header::AUTHORIZATION.as_str()) {
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .map(str::trim);
        let found = token.and_then(|t| {
            shared.credentials.iter().position(|c| {
                matches!(&c.form, CredentialForm::Token(mine) if constant_eq(mine.as_bytes(), t.as_bytes()))
            })
        });
        return Some(found.ok_or(()));
    }
    match (text("x-auth-email"), text("x-auth-key")) {
        (None, None) => None,
        (Some(email), Some(key)) => Some(
            shared
                .credentials
                .iter()
                .position(|c| {
                    matches!(&c.form, CredentialForm::Global { email: e, key: k }
                        if e.eq_ignore_ascii_case(email.trim()) && constant_eq(k.as_bytes(), key.trim().as_bytes()))
                })
                .ok_or(()),
        ),
        _ => Some(Err(())),
    }
}

/// Comparison whose time does not depend on where the inputs differ.
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn with_rate_headers(mut r: Response, v: &Verdict) -> Response {
    let h = r.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&v.ratelimit_header()) {
        h.insert("ratelimit", value);
    }
    if let Ok(value) = HeaderValue::from_str(&v.policy_header()) {
        h.insert("ratelimit-policy", value);
    }
    r
}

/// The API's routes (paths shared with the client, `crate::api`), each
/// with its fault and credential layers; around them all, the request log
/// and, outermost, the loopback guard.
pub(crate) fn routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let gated = |route: Route, endpoint: MethodRouter<Arc<Shared>>| {
        endpoint
            .route_layer(from_fn_with_state((shared.clone(), route), authorize))
            .route_layer(from_fn_with_state((shared.clone(), route), layers::fault))
    };
    let logger = Logger {
        shared: shared.clone(),
        redact: logged_path,
    };
    Router::new()
        .route(
            KEYS_PATH,
            gated(Route::CreateKey, post(create_key))
                .merge(gated(Route::ListKeys, get(list_keys)))
                .fallback(no_route),
        )
        .route(
            KEY_PATH,
            gated(Route::DeleteKey, delete(delete_key)).fallback(no_route),
        )
        .route(
            TOKEN_PATH,
            gated(Route::CreateToken, post(create_token)).fallback(no_route),
        )
        .fallback(no_route)
        .layer(from_fn_with_state(logger, layers::log))
        .layer(from_fn(guard::api_layer))
}

/// A path under the API as the log holds it: ids shown, anything that
/// could be a token not.
fn logged_path(path: &str) -> String {
    redact::path(&format!("{API_PREFIX}{path}"))
}

async fn no_route() -> Response {
    Decided::new(None, "no-route").on(failure(
        StatusCode::NOT_FOUND,
        CODE_NO_ROUTE,
        "No route for that URI",
    ))
}

/// The credential and rate-limit layer of one route: who asks, whether
/// their window has room, whether they may write; the answer then carries
/// the `Ratelimit` headers.
async fn authorize(
    State((shared, route)): State<(Arc<Shared>, Route)>,
    request: Request,
    next: Next,
) -> Response {
    let decided = |decision: &'static str| Decided::new(Some(route), decision);
    let who = match authenticate(&shared, request.headers()) {
        Some(Ok(i)) => i,
        Some(Err(())) | None => {
            return decided("unauthorized").on(failure(
                StatusCode::UNAUTHORIZED,
                CODE_AUTHENTICATION,
                "Authentication error",
            ));
        }
    };
    let verdict = {
        let mut st = shared.lock();
        let now = st.now();
        st.limiter.check(who, now)
    };
    if !verdict.allowed {
        let mut r = failure(
            StatusCode::TOO_MANY_REQUESTS,
            CODE_RATE_LIMIT,
            "Please wait and consider throttling your request speed",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(verdict.reset_secs));
        return decided("rate-limited").on(with_rate_headers(r, &verdict));
    }
    if route != Route::ListKeys && !shared.credentials[who].write {
        let r = failure(
            StatusCode::FORBIDDEN,
            CODE_AUTHENTICATION,
            "Authentication error",
        );
        return decided("forbidden").on(with_rate_headers(r, &verdict));
    }
    with_rate_headers(next.run(request).await, &verdict)
}

/// A handler's answer, with its decision for the log.
fn answered(route: Route, result: Result<Response, Refused>) -> Response {
    match result {
        Ok(r) => Decided::new(Some(route), "ok").on(r),
        Err((r, decision)) => Decided::new(Some(route), decision).on(r),
    }
}

/// An account id from the path (percent-decoded by the router).
fn account_of(path: &str) -> Result<AccountId, Refused> {
    AccountId::new(path).map_err(|_| bad_id(path))
}

/// A path that the router could not read as text (invalid percent-encoded
/// UTF-8): an invalid identifier, as any other.
fn unreadable_path(_: PathRejection) -> Refused {
    bad_id("(not UTF-8)")
}

type Refused = (Response, &'static str);

fn bad_id(path_part: &str) -> Refused {
    (
        failure(
            StatusCode::BAD_REQUEST,
            CODE_BAD_ID,
            &format!(
                "Could not route to /accounts/{}, perhaps your object identifier is invalid?",
                crate::error::echo(path_part, 64)
            ),
        ),
        "bad-identifier",
    )
}

fn bad_body(message: &str) -> Refused {
    (
        failure(StatusCode::BAD_REQUEST, CODE_BAD_BODY, message),
        "bad-request",
    )
}

fn state_file_failed() -> Refused {
    (
        failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            1000,
            "the emulator could not write its state file",
        ),
        "state-file-error",
    )
}

async fn create_key(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let result = async {
        let Path(account) = path.map_err(unreadable_path)?;
        make_key(&shared, account_of(&account)?).await
    };
    answered(Route::CreateKey, result.await)
}

async fn list_keys(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let result = path
        .map_err(unreadable_path)
        .and_then(|Path(account)| listing(&shared, &account_of(&account)?));
    answered(Route::ListKeys, result)
}

async fn delete_key(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let result = path
        .map_err(unreadable_path)
        .and_then(|Path((account, key))| {
            let account = account_of(&account)?;
            let kid = KeyId::new(&key).map_err(|_| bad_id(&key))?;
            revoke(&shared, &account, &kid)
        });
    answered(Route::DeleteKey, result)
}

async fn create_token(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Response {
    let result = async {
        let Path((account, video)) = path.map_err(unreadable_path)?;
        let account = account_of(&account)?;
        let video = VideoId::new(&video).map_err(|_| bad_id(&video))?;
        sign_token(&shared, account, video, &body).await
    };
    answered(Route::CreateToken, result.await)
}

fn key_limit_reached(shared: &Shared) -> Refused {
    (
        failure(
            StatusCode::BAD_REQUEST,
            CODE_KEY_LIMIT,
            &format!(
                "an account can have at most {} signing keys",
                shared.config.max_keys
            ),
        ),
        "key-limit",
    )
}

/// Make a fresh key off the async threads (RSA key generation takes tens
/// of milliseconds, more in a debug build).
async fn fresh_key() -> Result<FreshKey, Refused> {
    let kid = KeyId::new(&random_hex(16)).expect("hex is a key id");
    tokio::task::spawn_blocking(move || generate(kid))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            (
                failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    1000,
                    "key generation failed",
                ),
                "internal-error",
            )
        })
}

async fn make_key(shared: &Arc<Shared>, account: AccountId) -> Result<Response, Refused> {
    let full = |st: &super::state::State| {
        st.accounts.get(&account).map_or(0, |a| a.listed.len()) >= shared.config.max_keys
    };
    if full(&shared.lock()) {
        return Err(key_limit_reached(shared));
    }
    let fresh = fresh_key().await?;
    let kid = *fresh.public.kid().expect("fresh keys carry a kid");
    let created = {
        let mut st = shared.lock();
        if full(&st) {
            return Err(key_limit_reached(shared));
        }
        let (now, _) = st.now_at().ok_or_else(clock_failed)?;
        let plays_from = now.saturating_add(st.key_delay);
        let entry = KeyEntry::new(account, fresh.public.clone(), now, plays_from, false);
        st.add_key(account, entry, true);
        now
    };
    if shared.persist().is_err() {
        // A key the caller never hears of must not stay: it would be an
        // orphan the emulator made itself.
        shared.forget_key(&account, &kid);
        return Err(state_file_failed());
    }
    let created = rfc3339(created).ok_or_else(clock_failed)?;
    // The one answer that carries the private half; nothing else keeps it.
    Ok(success(json!({
        "id": kid.as_str(),
        "pem": fresh.pem_b64.as_str(),
        "jwk": fresh.jwk_b64.as_str(),
        "created": created,
    })))
}

fn listing(shared: &Shared, account: &AccountId) -> Result<Response, Refused> {
    let st = shared.lock();
    let list: Option<Vec<Value>> = st
        .accounts
        .get(account)
        .map(|a| {
            a.listed
                .iter()
                .filter_map(|kid| st.keys.get(kid).map(|e| (kid, e)))
                .map(|(kid, e)| {
                    let created = rfc3339(e.created)?;
                    Some(json!({ "id": kid.as_str(), "created": created }))
                })
                .collect()
        })
        .unwrap_or(Some(Vec::new()));
    Ok(success(Value::Array(list.ok_or_else(clock_failed)?)))
}

fn revoke(shared: &Shared, account: &AccountId, kid: &KeyId) -> Result<Response, Refused> {
    let position = {
        let mut st = shared.lock();
        let listed = st
            .accounts
            .get_mut(account)
            .and_then(|a| a.listed.iter().position(|k| k == kid).map(|i| (a, i)));
        let Some((acct, i)) = listed else {
            return Err((
                failure(
                    StatusCode::NOT_FOUND,
                    CODE_NOT_FOUND,
                    "signing key not found",
                ),
                "not-found",
            ));
        };
        acct.listed.remove(i);
        if let Some(entry) = st.keys.get_mut(kid) {
            entry.revoked = true;
        }
        i
    };
    if shared.persist().is_err() {
        // The delete did not happen as far as the state file knows: the
        // key stays live, and the caller hears it failed.
        shared.restore_key(account, kid, position);
        return Err(state_file_failed());
    }
    Ok(success(json!("ok")))
}

/// The token call's documented body; every member optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    id: Option<String>,
    pem: Option<Zeroizing<String>>,
    /// A number or a decimal string, read as a token's `exp` is.
    exp: Option<NumericDate>,
    /// As `exp`.
    nbf: Option<NumericDate>,
    downloadable: Option<bool>,
    access_rules: Option<Vec<AccessRule>>,
}

async fn own_key(shared: &Arc<Shared>, account: AccountId) -> Result<Arc<OwnKey>, Refused> {
    if let Some(k) = shared
        .lock()
        .accounts
        .get(&account)
        .and_then(|a| a.own_key.clone())
    {
        return Ok(k);
    }
    let fresh = fresh_key().await?;
    let key = SigningKey::from_jwk(&fresh.jwk_json, None).map_err(|_| {
        (
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                1000,
                "key generation failed",
            ),
            "internal-error",
        )
    })?;
    let made = Arc::new(OwnKey {
        key,
        jwk_json: fresh.jwk_json,
    });
    let chosen = {
        let mut st = shared.lock();
        // Another request may have made one meanwhile: keep the first.
        if let Some(k) = st.accounts.get(&account).and_then(|a| a.own_key.clone()) {
            return Ok(k);
        }
        let (now, _) = st.now_at().ok_or_else(clock_failed)?;
        let entry = KeyEntry::new(account, fresh.public.clone(), now, now, true);
        st.add_key(account, entry, false);
        st.accounts.entry(account).or_default().own_key = Some(made.clone());
        made
    };
    if shared.persist().is_err() {
        shared.forget_own_key(&account, chosen.key.kid());
        return Err(state_file_failed());
    }
    Ok(chosen)
}

async fn sign_token(
    shared: &Arc<Shared>,
    account: AccountId,
    video: VideoId,
    body: &[u8],
) -> Result<Response, Refused> {
    let body: TokenBody = if body.iter().all(u8::is_ascii_whitespace) {
        TokenBody {
            id: None,
            pem: None,
            exp: None,
            nbf: None,
            downloadable: None,
            access_rules: None,
        }
    } else {
        serde_json::from_slice(body).map_err(|_| bad_body("the body is not a token request"))?
    };
    let (now, now_at) = shared.lock().now_at().ok_or_else(clock_failed)?;
    let time = |t: &Option<NumericDate>, what: &str| -> Result<Option<OffsetDateTime>, Refused> {
        t.as_ref()
            .map(|t| {
                t.0.and_then(|v| OffsetDateTime::from_unix_timestamp(v).ok())
                    .ok_or_else(|| bad_body(&format!("{what} is not a unix time")))
            })
            .transpose()
    };
    // A default that cannot be computed is refused, never replaced.
    let at = |unix: Option<i64>, what: &str| {
        unix.and_then(|u| OffsetDateTime::from_unix_timestamp(u).ok())
            .ok_or_else(|| bad_body(&format!("the default {what} is out of range")))
    };
    let exp = match time(&body.exp, "exp")? {
        Some(exp) => exp,
        None => at(now.checked_add(DEFAULT_LIFETIME_SECS), "exp")?,
    };
    // Cloudflare back-dates nbf by an hour to absorb viewers' clock skew.
    let back_dated = now.checked_sub(3600);
    let nbf = match time(&body.nbf, "nbf")? {
        Some(nbf) => nbf,
        None => at(back_dated, "nbf")?,
    };
    let opts = TokenOptions::builder()
        .expires_at(exp)
        .not_before(nbf)
        .downloadable(body.downloadable.unwrap_or(false))
        .access_rules(body.access_rules.unwrap_or_default())
        // Cloudflare's endpoint checks a rule list's shape, not whether each
        // rule decides something: an allow-only list gets a token.
        .build_shape_only()
        .map_err(|e| bad_body(&e.to_string()))?;
    let crate::claims::ResolvedTimes { exp, nbf } = opts
        .resolve_at(now_at)
        .map_err(|e| bad_body(&e.to_string()))?;

    let given;
    let own;
    let key: &SigningKey = match (body.id, body.pem) {
        (Some(id), Some(pem)) => {
            let kid = KeyId::new(&id).map_err(|_| bad_body("id is not a signing key id"))?;
            given = SigningKey::parse(pem.as_bytes(), Some(kid))
                .map_err(|_| bad_body("pem is not the signing key named by id"))?;
            &given
        }
        (None, None) => {
            own = own_key(shared, account).await?;
            &own.key
        }
        _ => return Err(bad_body("id and pem must be given together")),
    };

    // Mirrors the sample Cloudflare documents: exp and nbf as strings.
    let mut payload = format!(
        r#"{{"sub":"{video}","kid":"{}","exp":"{exp}","nbf":"{}""#,
        key.kid(),
        nbf.or(back_dated).ok_or_else(clock_failed)?
    );
    if opts.downloadable() {
        payload.push_str(r#","downloadable":true"#);
    }
    if let Some(rules) = opts.access_rules_json() {
        payload.push_str(r#","accessRules":"#);
        payload.push_str(rules);
    }
    payload.push('}');
    let mut token = crate::token::signing_input(
        &crate::token::header_b64(key.kid()),
        payload.as_bytes(),
        1 + crate::token::sig_b64_len(key.signature_len()),
    );
    let sig = crate::hazmat::sign_rs256(key, token.as_bytes()).map_err(|_| {
        (
            failure(StatusCode::INTERNAL_SERVER_ERROR, 1000, "signing failed"),
            "internal-error",
        )
    })?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut token);
    Ok(success(json!({ "token": token })))
}
