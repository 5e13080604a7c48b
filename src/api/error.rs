//! What Cloudflare said when it refused a request, and how that maps to an
//! [`ErrorKind`].

use std::fmt;
use std::time::Duration;

use serde::de::IgnoredAny;

use super::types::{Envelope, WireMessage};
use crate::error::{Error, ErrorKind};

/// Cloudflare's error code for an authentication failure.
pub(crate) const CODE_AUTHENTICATION: i64 = 10000;

/// At most this much of an undecodable body is kept.
const RAW_BODY_LIMIT: usize = 4096;

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

    /// The message, as Cloudflare wrote it.
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

impl From<WireMessage> for ApiMessage {
    fn from(m: WireMessage) -> Self {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        ApiMessage {
            code: m.code,
            message: m.message,
            documentation_url: non_empty(m.documentation_url),
            pointer: non_empty(m.source.and_then(|s| s.pointer)),
        }
    }
}

/// What Cloudflare answered to a refused request: reached through
/// [`Error::api_details`] (and as the error's `source()`).
///
/// Error bodies never carry secrets; bodies of successful responses (which
/// may hold a private key or a token) are never kept here.
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

    /// The body as received (lossy UTF-8, cut to 4 KiB) when it was not a
    /// Cloudflare envelope, e.g. an HTML page from a proxy.
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
pub(crate) fn refused(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let (errors, raw_body) = match serde_json::from_slice::<Envelope<IgnoredAny>>(body) {
        Ok(env) => (env.errors.into_iter().map(ApiMessage::from).collect(), None),
        Err(_) => {
            let cut = &body[..body.len().min(RAW_BODY_LIMIT)];
            (Vec::new(), Some(String::from_utf8_lossy(cut).into_owned()))
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
    if status == 401 || status == 403 || details.has_code(CODE_AUTHENTICATION) {
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
        let e = refused(403, None, body);
        assert_eq!(e.kind(), &ErrorKind::Unauthorized);
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
        let e = refused(502, None, html.as_bytes());
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
        let kind = |status, body: &str| refused(status, None, body.as_bytes()).into_kind();
        assert_eq!(kind(401, ""), ErrorKind::Unauthorized);
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
}
