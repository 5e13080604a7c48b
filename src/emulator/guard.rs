//! Who may drive the emulator: requests addressed to a loopback host, from
//! no web page but a loopback one.
//!
//! The control endpoints change what the edge lets play, and a browser
//! sends requests to 127.0.0.1 for any page it shows: a cross-origin
//! `text/plain` POST needs no CORS preflight, and a page whose name is
//! rebound to 127.0.0.1 (DNS rebinding) is even same-origin. So the control
//! endpoints and the API answer only requests whose `Host` is a loopback
//! name or address; control requests with an `Origin` that is not loopback
//! are refused; and control POSTs must say `Content-Type: application/json`
//! (which a page cannot send cross-origin without a preflight, and the
//! emulator answers no preflight). The playback edge is left open: it
//! changes nothing, and browser tests may reach it under any name.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Why a request was refused before it was routed: the value of its
/// `x-emulator-reason` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `Host` is missing or not a loopback name or address (403).
    ForeignHost,
    /// `Origin` is present and not a loopback one (403).
    ForeignOrigin,
    /// A control POST without `Content-Type: application/json` (415).
    NotJson,
}

impl Refused {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refused::ForeignHost => "foreign-host",
            Refused::ForeignOrigin => "foreign-origin",
            Refused::NotJson => "not-json",
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            Refused::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refused::ForeignHost | Refused::ForeignOrigin => StatusCode::FORBIDDEN,
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Refused::ForeignHost => {
                "the emulator answers only requests whose Host is localhost, 127.0.0.0/8 or [::1]"
            }
            Refused::ForeignOrigin => {
                "the emulator's control endpoints refuse requests from a web page that is not on localhost, 127.0.0.0/8 or [::1]"
            }
            Refused::NotJson => "control POSTs must be sent as Content-Type: application/json",
        }
    }
}

/// `localhost`, `127.x.y.z` or `[::1]`, each with or without a port.
pub(crate) fn loopback_authority(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        // [v6] or [v6]:port
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if !(after.is_empty() || port(after)) {
            return false;
        }
        return v6
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|a| a.is_loopback());
    } else {
        match authority.rsplit_once(':') {
            Some((host, p)) if port(&format!(":{p}")) => host,
            Some(_) => return false,
            None => authority,
        }
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// `:` and 1 to 5 digits.
fn port(text: &str) -> bool {
    text.strip_prefix(':')
        .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// An `Origin` of a loopback page: `http://` or `https://` and a loopback
/// authority, nothing after it (`null`, an opaque origin, is not one).
fn loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(loopback_authority)
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<Result<&str, ()>> {
    headers.get(name).map(|v| v.to_str().map_err(|_| ()))
}

/// The check for every request to the API.
pub(crate) fn api(headers: &HeaderMap) -> Result<(), Refused> {
    match text(headers, header::HOST) {
        Some(Ok(host)) if loopback_authority(host) => Ok(()),
        _ => Err(Refused::ForeignHost),
    }
}

/// The check for every request to the control endpoints.
pub(crate) fn control(method: &Method, headers: &HeaderMap) -> Result<(), Refused> {
    api(headers)?;
    match text(headers, header::ORIGIN) {
        None => {}
        Some(Ok(origin)) if loopback_origin(origin) => {}
        Some(_) => return Err(Refused::ForeignOrigin),
    }
    if *method == Method::POST {
        let json = text(headers, header::CONTENT_TYPE)
            .and_then(Result::ok)
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Refused::NotJson);
        }
    }
    Ok(())
}

/// The API's outermost layer: a request that is not for this emulator is
/// answered in Cloudflare's envelope, and not logged.
pub(crate) async fn api_layer(request: Request, next: Next) -> Response {
    match api(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(why) => api_refused(why),
    }
}

/// The control endpoints' layer.
pub(crate) async fn control_layer(request: Request, next: Next) -> Response {
    match control(request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(why) => control_refused(why),
    }
}

/// The answer to a request the guard refused (a `Host` that is not a
/// loopback one), in Cloudflare's envelope.
fn api_refused(why: Refused) -> Response {
    let mut r = super::bodies::failure(why.status(), super::bodies::CODE_INTERNAL, why.message());
    r.headers_mut()
        .insert("x-emulator-reason", HeaderValue::from_static(why.reason()));
    r
}

/// The answer to a request the guard refused.
fn control_refused(why: Refused) -> Response {
    let mut r = super::bodies::json_answer(
        why.status(),
        &serde_json::json!({ "error": why.message(), "reason": why.reason() }),
    );
    r.headers_mut()
        .insert("x-emulator-reason", HeaderValue::from_static(why.reason()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities() {
        for yes in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1",
            "127.0.0.1:1",
            "127.255.0.9:65535",
            "[::1]",
            "[::1]:443",
        ] {
            assert!(loopback_authority(yes), "{yes}");
        }
        for no in [
            "",
            "rebind.evil.example",
            "localhost.evil.example",
            "evil.localhost.example:80",
            "128.0.0.1",
            "10.0.0.1:80",
            "0.0.0.0",
            "[::2]",
            "[::1",
            "[::1]x",
            "[::1]:",
            "127.0.0.1:",
            "127.0.0.1:123456",
            "127.0.0.1:80x",
            "localhost:80:80",
            "::1",
        ] {
            assert!(!loopback_authority(no), "{no}");
        }
        assert!(loopback_origin("http://localhost:3000"));
        assert!(loopback_origin("https://127.0.0.1"));
        for no in [
            "null",
            "http://evil.example",
            "ftp://localhost",
            "localhost",
            "http://localhost/x",
        ] {
            assert!(!loopback_origin(no), "{no}");
        }
    }

    #[test]
    fn reasons_and_statuses() {
        assert_eq!(Refused::ForeignHost.status(), StatusCode::FORBIDDEN);
        assert_eq!(Refused::ForeignOrigin.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            Refused::NotJson.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(Refused::NotJson.reason(), "not-json");
    }
}
