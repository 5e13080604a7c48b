//! The crate's telemetry, in one place (feature `tracing`): every span and
//! event it emits is built here, so that what may appear in them is
//! reviewed once. Without the feature every function is empty and inlined
//! away, and the crate installs no subscriber either way.
//!
//! What never appears: a token, a signature, a key (any part of it), an API
//! credential, a URL (playback URLs carry tokens; API URLs are given as the
//! route template, `/accounts/{account_id}/stream/keys`). What does: key
//! ids, video ids, account-free route templates, statuses, Cloudflare's
//! error codes, `Retry-After`, counts and durations, and the crate's own
//! error kinds and messages (which never quote a secret).
//!
//! Targets: `cf_stream_token::api` (a span per call, one per attempt,
//! events for retries and create-key outcomes), `cf_stream_token::reload`,
//! `cf_stream_token::cache`, `cf_stream_token::fallback`,
//! `cf_stream_token::mint` (debug).

#![cfg_attr(not(feature = "tracing"), allow(dead_code, unused_variables))]

use crate::error::Error;
use crate::ids::{KeyId, VideoId};

#[cfg(all(feature = "tracing", feature = "api"))]
pub(crate) use tracing::Span;

/// Without the feature, a span that is nothing.
#[cfg(all(not(feature = "tracing"), feature = "api"))]
#[derive(Clone, Debug)]
pub(crate) struct Span;

/// One mint by a local signer (debug level): never the token.
#[inline]
pub(crate) fn mint(kid: &KeyId, video: &VideoId, lifetime_secs: i64, rules: usize) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "cf_stream_token::mint",
        kid = kid.as_str(),
        video = video.as_str(),
        lifetime_secs,
        rules,
        "minted"
    );
}

/// A decision of the local token cache: `hit`, `miss`, `stale` or
/// `coalesced` (another caller minted it while this one waited).
#[cfg(feature = "cache")]
#[inline]
pub(crate) fn cache(decision: &'static str, video: &VideoId) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "cf_stream_token::cache",
        decision,
        video = video.as_str(),
        "token cache"
    );
}

/// A decision of the fallback minter: `local`, `hit`, `remote` (this
/// caller's API call), `coalesced` (another caller's call), `stale` or
/// `uncached`.
#[cfg(feature = "api")]
#[inline]
pub(crate) fn fallback(decision: &'static str, video: &VideoId) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "cf_stream_token::fallback",
        decision,
        video = video.as_str(),
        "fallback minter"
    );
}

/// A reloading source's first load.
pub(crate) fn loaded(source: &str, kid: &KeyId, serial: Option<u64>) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "cf_stream_token::reload",
        source,
        outcome = "loaded",
        kid = kid.as_str(),
        serial,
        "keys loaded"
    );
}

/// A reload: `outcome` is `unchanged`, `replaced` or `failed`; `kid` and
/// `serial` are what is in force afterwards.
pub(crate) fn reload(
    source: &str,
    outcome: &'static str,
    kid: &KeyId,
    serial: Option<u64>,
    error: Option<&Error>,
) {
    #[cfg(feature = "tracing")]
    match error {
        Some(e) => tracing::warn!(
            target: "cf_stream_token::reload",
            source,
            outcome,
            kid = kid.as_str(),
            serial,
            error = e.kind().name(),
            reason = %e,
            "reload failed; the keys in force stay"
        ),
        None if outcome == "unchanged" => tracing::debug!(
            target: "cf_stream_token::reload",
            source,
            outcome,
            kid = kid.as_str(),
            serial,
            "reload: unchanged"
        ),
        None => tracing::info!(
            target: "cf_stream_token::reload",
            source,
            outcome,
            kid = kid.as_str(),
            serial,
            "reloaded"
        ),
    }
}

/// The route template of an API path: ids replaced by their names, so no
/// account, key or video id (and never a query) is recorded.
#[cfg(feature = "api")]
pub(crate) fn route(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["accounts", _, "stream", "keys"] => "/accounts/{account_id}/stream/keys",
        ["accounts", _, "stream", "keys", _] => "/accounts/{account_id}/stream/keys/{key_id}",
        ["accounts", _, "stream", _, "token"] => "/accounts/{account_id}/stream/{video_uid}/token",
        _ => "other",
    }
}

/// The span of one API call (all its attempts).
#[cfg(feature = "api")]
pub(crate) fn api_call(method: &str, path: &str) -> Span {
    #[cfg(feature = "tracing")]
    return tracing::info_span!(
        target: "cf_stream_token::api",
        "cf_stream_token.api",
        method,
        route = route(path),
        attempts = tracing::field::Empty,
        outcome = tracing::field::Empty,
        error = tracing::field::Empty,
    );
    #[cfg(not(feature = "tracing"))]
    Span
}

/// The span of one attempt of a call, from 1.
#[cfg(feature = "api")]
pub(crate) fn api_attempt(attempt: u32) -> Span {
    #[cfg(feature = "tracing")]
    return tracing::info_span!(
        target: "cf_stream_token::api",
        "cf_stream_token.api.attempt",
        attempt,
        status = tracing::field::Empty,
        cf_errors = tracing::field::Empty,
        retry_after_ms = tracing::field::Empty,
        error = tracing::field::Empty,
    );
    #[cfg(not(feature = "tracing"))]
    Span
}

/// What an attempt came to: the status of an answer, or the error with
/// what Cloudflare said (status, error codes, `Retry-After`).
#[cfg(feature = "api")]
pub(crate) fn attempt_done(span: &Span, status: Option<u16>, error: Option<&Error>) {
    #[cfg(feature = "tracing")]
    {
        let status = status.or_else(|| error.and_then(|e| e.api_details()).map(|d| d.status()));
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(e) = error {
            span.record("error", e.kind().name());
            if let Some(d) = e.api_details() {
                let codes: Vec<String> = d.errors().iter().map(|m| m.code().to_string()).collect();
                if !codes.is_empty() {
                    span.record("cf_errors", codes.join(",").as_str());
                }
            }
            if let Some(wait) = retry_after(e) {
                span.record(
                    "retry_after_ms",
                    u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                );
            }
        }
    }
}

#[cfg(all(feature = "api", feature = "tracing"))]
fn retry_after(e: &Error) -> Option<std::time::Duration> {
    use crate::error::ErrorKind;
    match e.kind() {
        ErrorKind::RateLimited { retry_after } | ErrorKind::ServerError { retry_after, .. } => {
            *retry_after
        }
        _ => None,
    }
}

/// A failed attempt is sent again after `wait`.
#[cfg(feature = "api")]
pub(crate) fn retrying(attempt: u32, wait: std::time::Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "cf_stream_token::api",
        attempt,
        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        "retrying"
    );
}

/// What a call came to, after `attempts` attempts.
#[cfg(feature = "api")]
pub(crate) fn call_done(span: &Span, attempts: u32, error: Option<&Error>) {
    #[cfg(feature = "tracing")]
    {
        span.record("attempts", attempts);
        span.record("outcome", if error.is_none() { "ok" } else { "error" });
        if let Some(e) = error {
            span.record("error", e.kind().name());
        }
    }
}

/// A create-key request's outcome: `saved` (an answer to keep arrived),
/// `unusable` (it arrived but cannot be used as it came), `unknown` (the
/// answer was lost: a key may exist), `refused`.
#[cfg(feature = "api")]
pub(crate) fn create_key(outcome: &'static str, error: Option<&Error>) {
    #[cfg(feature = "tracing")]
    {
        let level_warn = outcome != "saved";
        let error = error.map(|e| e.kind().name());
        if level_warn {
            tracing::warn!(target: "cf_stream_token::api", outcome, error, "create signing key");
        } else {
            tracing::info!(target: "cf_stream_token::api", outcome, "create signing key");
        }
    }
}

/// `fut` inside `span` (with the feature; `fut` itself without).
#[cfg(feature = "api")]
pub(crate) fn instrument<F: std::future::Future>(
    fut: F,
    span: Span,
) -> impl std::future::Future<Output = F::Output> {
    #[cfg(feature = "tracing")]
    return tracing::Instrument::instrument(fut, span);
    #[cfg(not(feature = "tracing"))]
    fut
}

#[cfg(all(test, feature = "api"))]
mod tests {
    use super::route;

    #[test]
    fn routes_name_ids_never_show_them() {
        assert_eq!(
            route("/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/keys"),
            "other"
        );
        assert_eq!(
            route("/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/keys"),
            "/accounts/{account_id}/stream/keys"
        );
        assert_eq!(
            route("/accounts/a/stream/keys/8f3c2a1b9d4e5f60718293a4b5c6d7e8"),
            "/accounts/{account_id}/stream/keys/{key_id}"
        );
        assert_eq!(
            route("/accounts/a/stream/ea95132c15732412d22c1476fa83f27a/token?x=1"),
            "/accounts/{account_id}/stream/{video_uid}/token"
        );
    }
}
