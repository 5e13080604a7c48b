//! What Cloudflare said when it refused a request, how that maps to an
//! [`ErrorKind`], and the [`Error`] methods that reach it.
//!
//! The crate's error module knows nothing of the API: the details live
//! here, held as the error's shared cause, and are found again by type.

use std::fmt;
use std::time::Duration;

use serde::de::IgnoredAny;

use super::wire::{Envelope, KeptResult, WireMessage};
use crate::error::{Error, ErrorKind};

impl Error {
    /// What Cloudflare answered, for errors that come from an API response:
    /// the HTTP status, every `errors[]` entry and, when the body could not be
    /// decoded, the raw body. `None` for every other error (including
    /// timeouts and transport errors, where there was no answer).
    ///
    /// A clone of the error (e.g. the one each waiter on a shared request
    /// gets) shares the same details.
    #[cfg_attr(docsrs, doc(cfg(feature = "api")))]
    pub fn api_details(&self) -> Option<&ApiErrorDetails> {
        self.cause()?.downcast_ref()
    }

    /// For [`ErrorKind::CreatedKeyUnusable`]: the create-key answer's
    /// `result` exactly as Cloudflare sent it (or the whole body when it had
    /// none). **It holds the new key's private half**, which Cloudflare never
    /// shows again: save it as a secret. Never part of `Display` or `Debug`.
    #[cfg_attr(docsrs, doc(cfg(feature = "api")))]
    pub fn secret_created_key_result(&self) -> Option<&str> {
        self.cause()?
            .downcast_ref::<KeptResult>()
            .map(KeptResult::secret)
    }
}

pub(crate) use super::wire::CODE_AUTHENTICATION;

/// At most this much of an undecodable body is kept.
const RAW_BODY_LIMIT: usize = 4096;

/// At most this many characters of each server text (a message, a
/// documentation URL, a pointer) are kept; a cut is marked with `…`.
pub(crate) const MESSAGE_LIMIT: usize = 300;

/// The shortest run of a configured secret that counts as an echo of it.
const MIN_ECHO: usize = 8;

/// What replaces a credential found in a server's text.
const REDACTED: &str = "<redacted>";

/// Remove every echo of the configured credentials from a server's text:
/// any run of at least 8 characters (or the whole value, if shorter) of an
/// API token or global API key, the account email, and whatever follows
/// `Bearer ` (ASCII case ignored throughout, in case a proxy changed it).
pub(crate) fn scrub(text: &str, secrets: &[&str], plain: &[&str]) -> String {
    let hay = text.as_bytes();
    let mut hidden = vec![false; hay.len()];
    let lower = |b: &u8| b.to_ascii_lowercase();
    for secret in secrets
        .iter()
        .map(|s| s.as_bytes())
        .filter(|s| !s.is_empty())
    {
        let w = MIN_ECHO.min(secret.len());
        let secret: Vec<u8> = secret.iter().map(lower).collect();
        for i in 0..hay.len().saturating_sub(w - 1) {
            let window: Vec<u8> = hay[i..i + w].iter().map(lower).collect();
            if secret.windows(w).any(|s| s == window.as_slice()) {
                hidden[i..i + w].iter_mut().for_each(|h| *h = true);
            }
        }
    }
    for value in plain.iter().map(|s| s.as_bytes()).filter(|s| !s.is_empty()) {
        for i in 0..hay.len().saturating_sub(value.len() - 1) {
            if hay[i..i + value.len()].eq_ignore_ascii_case(value) {
                hidden[i..i + value.len()]
                    .iter_mut()
                    .for_each(|h| *h = true);
            }
        }
    }
    const BEARER: &[u8] = b"bearer ";
    for i in 0..hay.len().saturating_sub(BEARER.len() - 1) {
        if hay[i..i + BEARER.len()].eq_ignore_ascii_case(BEARER) {
            let start = i + BEARER.len();
            let end = hay[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || b"\"',;".contains(b))
                .map_or(hay.len(), |n| start + n);
            hidden[start..end].iter_mut().for_each(|h| *h = true);
        }
    }
    // Hidden runs are ASCII (credentials are visible ASCII) or end at an
    // ASCII byte, so they start and end on character boundaries... except a
    // `Bearer` run, which may cover other characters whole: walk by chars.
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for (i, c) in text.char_indices() {
        if hidden[i] {
            if !in_run {
                out.push_str(REDACTED);
                in_run = true;
            }
        } else {
            in_run = false;
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `text`, `…` marking a cut.
pub(crate) fn bounded(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The configured credentials, for [`scrub`]: the secret values, matched
/// in part, and the plain ones (the email), matched whole.
#[derive(Default)]
pub(crate) struct Scrubber<'a> {
    pub(crate) secrets: Vec<&'a str>,
    pub(crate) plain: Vec<&'a str>,
}

impl Scrubber<'_> {
    /// A server's text as an error may keep it: cut first (so that the scan
    /// stays short), scrubbed, then bounded to `max` characters.
    pub(crate) fn clean(&self, text: &str, max: usize) -> String {
        // A few characters beyond the bound, so that an echo cut by the
        // first step is still long enough to be recognised.
        let mut chars = text.chars();
        let head: String = chars.by_ref().take(max + MIN_ECHO).collect();
        let longer = chars.next().is_some();
        let cut = bounded(&scrub(&head, &self.secrets, &self.plain), max);
        if longer && !cut.ends_with('…') {
            cut + "…"
        } else {
            cut
        }
    }
}

/// One entry of the envelope's `errors` array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiMessage {
    code: i64,
    message: String,
    documentation_url: Option<String>,
    pointer: Option<String>,
}

impl ApiMessage {
    /// Cloudflare's error code (e.g. 10000 for an authentication error).
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The message as Cloudflare wrote it, less any echo of the configured
    /// credentials (replaced by `<redacted>`), and cut to 300 characters
    /// (`…` marking a cut).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `documentation_url`, when given and not empty.
    pub fn documentation_url(&self) -> Option<&str> {
        self.documentation_url.as_deref()
    }

    /// `source.pointer` (the request member at fault), when given.
    pub fn pointer(&self) -> Option<&str> {
        self.pointer.as_deref()
    }
}

impl ApiMessage {
    fn from_wire(m: WireMessage, scrubber: &Scrubber<'_>) -> Self {
        let clean = |s: Option<String>| {
            s.filter(|s| !s.is_empty())
                .map(|s| scrubber.clean(&s, MESSAGE_LIMIT))
        };
        ApiMessage {
            code: m.code,
            message: scrubber.clean(&m.message, MESSAGE_LIMIT),
            documentation_url: clean(m.documentation_url),
            pointer: clean(m.source.and_then(|s| s.pointer)),
        }
    }
}

/// What Cloudflare answered to a refused request: reached through
/// [`Error::api_details`] (and as the error's `source()`).
///
/// Every text from the server is scrubbed of the configured credentials
/// (a server or proxy that echoes the `Authorization` header or the global
/// API key leaks nothing through an error) and bounded. Bodies of
/// successful responses (which may hold a private key or a token) are never
/// kept here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiErrorDetails {
    status: u16,
    errors: Vec<ApiMessage>,
    raw_body: Option<String>,
}

impl ApiErrorDetails {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Every entry of `errors`, in order (empty when the body had none or
    /// could not be decoded).
    pub fn errors(&self) -> &[ApiMessage] {
        &self.errors
    }

    /// The body as received (lossy UTF-8, cut to 4 KiB, scrubbed of the
    /// configured credentials) when it was not a Cloudflare envelope, e.g.
    /// an HTML page from a proxy.
    pub fn raw_body(&self) -> Option<&str> {
        self.raw_body.as_deref()
    }

    /// Whether any entry of `errors` has this code.
    pub fn has_code(&self, code: i64) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }
}

impl fmt::Display for ApiErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cloudflare answered HTTP {}", self.status)?;
        if let Some(raw) = &self.raw_body {
            return write!(
                f,
                " with a body that is not an API envelope ({} bytes)",
                raw.len()
            );
        }
        for (i, e) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{} {}", e.code, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiErrorDetails {}

/// The error for a response Cloudflare refused: a non-2xx status, or a 2xx
/// envelope with `success: false`. `body` must not be a successful
/// response's body (it may be kept verbatim).
pub(crate) fn refused(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    scrubber: &Scrubber<'_>,
) -> Error {
    let (errors, raw_body) = match serde_json::from_slice::<Envelope<IgnoredAny>>(body) {
        Ok(env) => (
            env.errors
                .into_iter()
                .map(|m| ApiMessage::from_wire(m, scrubber))
                .collect(),
            None,
        ),
        Err(_) => {
            let cut = &body[..body.len().min(RAW_BODY_LIMIT)];
            let text = String::from_utf8_lossy(cut);
            let clean = scrub(&text, &scrubber.secrets, &scrubber.plain);
            // `<redacted>` may be longer than what it replaced.
            let mut end = clean.len().min(RAW_BODY_LIMIT);
            while !clean.is_char_boundary(end) {
                end -= 1;
            }
            (Vec::new(), Some(clean[..end].to_owned()))
        }
    };
    let details = ApiErrorDetails {
        status,
        errors,
        raw_body,
    };
    Error::with_source(kind_for(status, retry_after, &details), details)
}

fn kind_for(status: u16, retry_after: Option<Duration>, details: &ApiErrorDetails) -> ErrorKind {
    // Cloudflare sends code 10000 with both; 403 means the credentials are
    // good but lack a permission.
    if status == 403 {
        return ErrorKind::Forbidden;
    }
    if status == 401 || details.has_code(CODE_AUTHENTICATION) {
        return ErrorKind::Unauthorized;
    }
    match status {
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited { retry_after },
        500..=599 => ErrorKind::ServerError {
            status,
            retry_after,
        },
        _ => ErrorKind::ApiError { status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_entry_is_kept() {
        let body = br#"{"success":false,"errors":[
            {"code":10000,"message":"Authentication error","documentation_url":"https://x.test/a","source":{"pointer":"/p"}},
            {"code":1001,"message":"second"}],"messages":[],"result":null}"#;
        let e = refused(403, None, body, &Scrubber::default());
        assert_eq!(e.kind(), &ErrorKind::Forbidden);
        let d = e.api_details().unwrap();
        assert_eq!(d.status(), 403);
        assert_eq!(d.errors().len(), 2);
        assert_eq!(d.errors()[0].code(), 10000);
        assert_eq!(d.errors()[0].message(), "Authentication error");
        assert_eq!(d.errors()[0].documentation_url(), Some("https://x.test/a"));
        assert_eq!(d.errors()[0].pointer(), Some("/p"));
        assert_eq!(d.errors()[1].documentation_url(), None);
        assert_eq!(d.raw_body(), None);
        assert_eq!(
            d.to_string(),
            "Cloudflare answered HTTP 403: 10000 Authentication error; 1001 second"
        );
    }

    #[test]
    fn undecodable_body_is_kept_raw_and_cut() {
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        let e = refused(502, None, html.as_bytes(), &Scrubber::default());
        assert_eq!(
            e.kind(),
            &ErrorKind::ServerError {
                status: 502,
                retry_after: None
            }
        );
        let d = e.api_details().unwrap();
        assert!(d.errors().is_empty());
        assert_eq!(d.raw_body().unwrap().len(), RAW_BODY_LIMIT);
        assert!(d.raw_body().unwrap().starts_with("<html>x"));
    }

    #[test]
    fn kinds_by_status_and_code() {
        let kind = |status, body: &str| {
            refused(status, None, body.as_bytes(), &Scrubber::default()).into_kind()
        };
        assert_eq!(kind(401, ""), ErrorKind::Unauthorized);
        assert_eq!(
            kind(403, r#"{"errors":[{"code":10000,"message":"m"}]}"#),
            ErrorKind::Forbidden
        );
        assert_eq!(
            kind(400, r#"{"errors":[{"code":10000,"message":"m"}]}"#),
            ErrorKind::Unauthorized
        );
        assert_eq!(kind(404, "{}"), ErrorKind::NotFound);
        assert_eq!(kind(408, "{}"), ErrorKind::Timeout);
        assert_eq!(
            kind(429, "{}"),
            ErrorKind::RateLimited { retry_after: None }
        );
        assert_eq!(kind(400, "{}"), ErrorKind::ApiError { status: 400 });
        assert_eq!(kind(200, "{}"), ErrorKind::ApiError { status: 200 });
    }

    #[test]
    fn a_clone_shares_the_details() {
        let body = br#"{"success":false,"errors":[{"code":971,"message":"slow down"}]}"#;
        let e = refused(
            429,
            Some(Duration::from_secs(2)),
            body,
            &Scrubber::default(),
        );
        let c = e.clone();
        assert_eq!(
            c.kind(),
            &ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert!(c.is_transient() && c.is_api());
        assert!(std::ptr::eq(
            e.api_details().unwrap(),
            c.api_details().unwrap()
        ));
        assert_eq!(c.api_details().unwrap().errors()[0].code(), 971);
        assert_eq!(c.secret_created_key_result(), None);
    }
}
