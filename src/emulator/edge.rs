//! The playback edge: every surface the crate builds, each request checked
//! as a signed URL.
//!
//! Cloudflare documents what a token must satisfy but not how its edge
//! answers a refusal: the 401/403 split, the `x-emulator-reason` header and
//! the text body are this emulator's model.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::routing::{MethodFilter, get, on};

use super::Route;
use super::bodies::plain;
use super::bodies::{self, Surface};
use super::layers::{self, Decided, Logger};
use super::media::{self, MediaFile};
use super::redact;
use super::state::{LoopbackViewer, Shared};
use crate::claims::MAX_LIFETIME_SECS;
use crate::decide::Viewer;
use crate::error::ErrorKind;
use crate::ids::{KeyId, VideoId};
use crate::jws;
use crate::rules::{Action, CountryCode};

/// Why the edge refused a playback request: the value of its
/// `x-emulator-reason` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// Not a well-formed RS256 JWS with Stream claims (401).
    Malformed,
    /// The signature does not verify with the named key (401).
    BadSignature,
    /// No live key of any account has this kid, the key has not started to
    /// play yet (activation delay), or it is another account's than the
    /// video's (401).
    UnknownKey,
    /// The key was deleted (401).
    RevokedKey,
    /// `exp` is not after the clock's now (401).
    Expired,
    /// `nbf` is after the clock's now (401).
    NotYetValid,
    /// `exp` is more than 24 hours ahead of the clock (401; switchable).
    Beyond24h,
    /// A download without `downloadable: true` (403).
    NotDownloadable,
    /// An access rule blocked the viewer: its position, from 1 (403).
    BlockedByRule(usize),
    /// `CF-Connecting-IP` is present but not an IPv4 or IPv6 address (400):
    /// the edge never falls back to the TCP peer for a header it was given.
    BadConnectingIp,
    /// `CF-IPCountry` is present but not an ISO 3166-1 alpha-2 code, `XX`
    /// or `T1` (400): the edge never reads it as unknown instead.
    BadCountry,
    /// The emulator's clock is outside the range it computes with (500):
    /// nothing plays until it is set back.
    ClockOutOfRange,
}

impl Refusal {
    /// The HTTP status: 401 for the token itself, 403 for who asks or
    /// what, 400 for a viewer header that cannot be read, 500 for the
    /// emulator's own clock.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotDownloadable | Refusal::BlockedByRule(_) => 403,
            Refusal::BadConnectingIp | Refusal::BadCountry => 400,
            Refusal::ClockOutOfRange => 500,
            _ => 401,
        }
    }

    /// Read a header value back (`blocked-by-rule:2`, `expired`, ...).
    pub fn from_header_value(value: &str) -> Option<Refusal> {
        Some(match value {
            "malformed" => Refusal::Malformed,
            "bad-signature" => Refusal::BadSignature,
            "unknown-key" => Refusal::UnknownKey,
            "revoked-key" => Refusal::RevokedKey,
            "expired" => Refusal::Expired,
            "not-yet-valid" => Refusal::NotYetValid,
            "beyond-24h" => Refusal::Beyond24h,
            "not-downloadable" => Refusal::NotDownloadable,
            "bad-cf-connecting-ip" => Refusal::BadConnectingIp,
            "bad-cf-ipcountry" => Refusal::BadCountry,
            "clock-out-of-range" => Refusal::ClockOutOfRange,
            other => {
                let n: usize = other.strip_prefix("blocked-by-rule:")?.parse().ok()?;
                if n == 0 {
                    return None;
                }
                Refusal::BlockedByRule(n)
            }
        })
    }
}

impl fmt::Display for Refusal {
    /// The `x-emulator-reason` value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Malformed => "malformed",
            Refusal::BadSignature => "bad-signature",
            Refusal::UnknownKey => "unknown-key",
            Refusal::RevokedKey => "revoked-key",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not-yet-valid",
            Refusal::Beyond24h => "beyond-24h",
            Refusal::NotDownloadable => "not-downloadable",
            Refusal::BadConnectingIp => "bad-cf-connecting-ip",
            Refusal::BadCountry => "bad-cf-ipcountry",
            Refusal::ClockOutOfRange => "clock-out-of-range",
            Refusal::BlockedByRule(n) => return write!(f, "blocked-by-rule:{n}"),
        })
    }
}

fn refused(r: Refusal) -> Response {
    let text = format!(
        "refused: {r}\n(an emulator's model: Cloudflare does not document its refusal bodies)\n"
    );
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() =
        StatusCode::from_u16(r.status()).expect("400, 401, 403 and 500 are statuses");
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&r.to_string()) {
        h.insert("x-emulator-reason", v);
    }
    resp
}

/// The kid a well-formed RS256 token names, read before anything is
/// trusted, exactly as the verifier reads it ([`crate::jws`]).
fn token_kid(token: &str) -> Option<KeyId> {
    jws::rs256_kid(token).ok()
}

/// The viewer as Cloudflare names it: `CF-Connecting-IP` and
/// `CF-IPCountry`. Without them, a request from a loopback address comes
/// from the loopback viewer set through the control API, if any; else the
/// address is the TCP peer and the country `XX`. A header that is present
/// but unreadable is refused: falling back would let a test pass a rule
/// with a viewer it did not mean.
fn viewer(
    headers: &HeaderMap,
    peer: SocketAddr,
    loopback: LoopbackViewer,
) -> Result<Viewer, Refusal> {
    let text = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().map(str::trim).map_err(|_| ()))
    };
    let set = if peer.ip().to_canonical().is_loopback() {
        loopback
    } else {
        LoopbackViewer::default()
    };
    let ip = match text("cf-connecting-ip") {
        None => set.ip.unwrap_or(peer.ip()),
        Some(v) => v
            .ok()
            .and_then(|s| s.parse::<IpAddr>().ok())
            .ok_or(Refusal::BadConnectingIp)?,
    };
    let country = match text("cf-ipcountry") {
        None => set.country.unwrap_or(CountryCode::UNKNOWN),
        Some(v) => v
            .ok()
            .and_then(|s| CountryCode::new(s).ok())
            .ok_or(Refusal::BadCountry)?,
    };
    Ok(Viewer { ip, country })
}

/// Check a token for `surface` as of the emulator's clock.
fn check(
    shared: &Shared,
    token: &str,
    surface: Surface,
    viewer: &Viewer,
) -> Result<(), (Refusal, Option<KeyId>)> {
    let kid = token_kid(token).ok_or((Refusal::Malformed, None))?;
    let fail = |r| (r, Some(kid));
    let (verifier, account, now, check_24h) = {
        let st = shared.lock();
        let (now, at) = st.now_at().ok_or(fail(Refusal::ClockOutOfRange))?;
        let entry = st.keys.get(&kid).ok_or(fail(Refusal::UnknownKey))?;
        if entry.revoked {
            return Err(fail(Refusal::RevokedKey));
        }
        if entry.plays_from > now {
            return Err(fail(Refusal::UnknownKey));
        }
        (
            entry.verifier.clone(),
            entry.account,
            (now, at),
            st.check_24h,
        )
    };
    let (now, at) = now;
    let claims = verifier.verify_at(token, at).map_err(|e| {
        fail(match e.kind() {
            ErrorKind::BadSignature => Refusal::BadSignature,
            ErrorKind::Expired { .. } => Refusal::Expired,
            ErrorKind::NotYetValid { .. } => Refusal::NotYetValid,
            _ => Refusal::Malformed,
        })
    })?;
    // A key plays only for its own account's videos (when the video's
    // account is known).
    let owner = shared.lock().videos.get(claims.video()).map(|v| v.account);
    if owner.is_some_and(|owner| owner != account) {
        return Err(fail(Refusal::UnknownKey));
    }
    if check_24h && claims.exp() > now.saturating_add(MAX_LIFETIME_SECS) {
        return Err(fail(Refusal::Beyond24h));
    }
    if surface.is_download() && !claims.downloadable() {
        return Err(fail(Refusal::NotDownloadable));
    }
    let decision = claims.decide(viewer);
    if decision.action() == Action::Block {
        return Err(fail(Refusal::BlockedByRule(decision.rule().unwrap_or(0))));
    }
    Ok(())
}

/// The edge's routes: one per surface of the crate's table, at
/// `/{token}/{path}` (or `/{video}/{path}` for a public video), each with
/// its fault layer; a method the surface does not take is 405; anything
/// else 404. Around them all, the request log.
pub(crate) fn routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let fault = || from_fn_with_state((shared.clone(), Route::Playback), layers::fault);
    let mut router = Router::new();
    for surface in Surface::ALL {
        let handler = move |State(shared): State<Arc<Shared>>,
                            ConnectInfo(peer): ConnectInfo<SocketAddr>,
                            uri: Uri,
                            headers: HeaderMap| async move {
            play(&shared, Served::Surface(surface), &uri, &headers, peer)
        };
        // HEAD is GET without the body: axum runs the GET handler and
        // hyper keeps the length the GET would have.
        let filter = Method::from_bytes(surface.method().as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok())
            .expect("every surface's method is GET or POST");
        let endpoint = on(filter, handler)
            .route_layer(fault())
            .fallback(method_not_allowed);
        router = router.route(&format!("/{{token}}/{}", surface.path()), endpoint);
    }
    // The files the HLS manifest names, relative to it: under the same
    // token, decided as the manifest is.
    for file in &media::FILES {
        let handler = move |State(shared): State<Arc<Shared>>,
                            ConnectInfo(peer): ConnectInfo<SocketAddr>,
                            uri: Uri,
                            headers: HeaderMap| async move {
            play(&shared, Served::Media(file), &uri, &headers, peer)
        };
        let endpoint = get(handler)
            .route_layer(fault())
            .fallback(method_not_allowed);
        router = router.route(&format!("/{{token}}/manifest/{}", file.name), endpoint);
    }
    let logger = Logger {
        shared: shared.clone(),
        redact: redact::playback_path,
    };
    router
        .fallback(no_route)
        .layer(map_response(cors))
        .layer(from_fn_with_state(logger, layers::log))
}

/// Every edge answer may be read by a page on any origin (a player served
/// by the backend under test fetches playlists and segments from the
/// edge's), refusals included, with their `x-emulator-reason`.
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-emulator-reason"),
    );
    response
}

/// What a playback route serves.
#[derive(Clone, Copy)]
enum Served {
    /// A surface of the crate's table.
    Surface(Surface),
    /// A file of the HLS presentation: decided as the HLS surface.
    Media(&'static MediaFile),
}

impl Served {
    fn surface(self) -> Surface {
        match self {
            Served::Surface(s) => s,
            Served::Media(_) => Surface::Hls,
        }
    }

    fn answer(self, query: Option<&str>) -> Response {
        match self {
            Served::Surface(s) => bodies::serve(s, query),
            Served::Media(file) => bodies::serve_media(file),
        }
    }
}

async fn no_route() -> Response {
    Decided::new(None, "no-route").on(plain(StatusCode::NOT_FOUND, "not found\n"))
}

async fn method_not_allowed() -> Response {
    Decided::new(Some(Route::Playback), "method-not-allowed").on(plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed\n",
    ))
}

/// A surface's (or a media file's) answer: a public video's by its UID,
/// else the token's decision for this viewer.
fn play(
    shared: &Shared,
    served: Served,
    uri: &Uri,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    let first = uri
        .path()
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .map_or("", |(first, _)| first);
    let decided = |decision: String| Decided::new(Some(Route::Playback), decision);
    let video = VideoId::new(first).ok().filter(|v| v.as_str() == first);
    let (public, loopback) = {
        let st = shared.lock();
        let public = video.is_some_and(|v| st.videos.get(&v).is_some_and(|e| e.public));
        (public, st.loopback)
    };
    if public {
        return decided("public".to_owned()).on(served.answer(uri.query()));
    }
    let checked = viewer(headers, peer, loopback)
        .map_err(|refusal| (refusal, None))
        .and_then(|viewer| check(shared, first, served.surface(), &viewer));
    match checked {
        Ok(()) => decided("ok".to_owned())
            .kid(token_kid(first))
            .on(served.answer(uri.query())),
        Err((refusal, kid)) => decided(refusal.to_string()).kid(kid).on(refused(refusal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::state::{CLOCK_MAX, Clock, Config};

    fn shared(now: i64) -> Shared {
        let config = Config {
            rate_limit: 1,
            rate_window_secs: 1,
            max_keys: 1,
            state_file: None,
        };
        Shared::new(Vec::new(), config, true, 0, Some(now))
    }

    fn reason(r: &Response) -> Option<&str> {
        r.headers()
            .get("x-emulator-reason")
            .map(|v| v.to_str().unwrap())
    }

    /// The one refusal no integration test can reach (the handle and the
    /// control API keep the clock in range): a segment gets it as the
    /// manifest does.
    #[test]
    fn a_clock_out_of_range_refuses_segments_as_it_refuses_the_manifest() {
        let s = shared(0);
        s.lock().clock = Clock::Stopped(CLOCK_MAX + 1);
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        let token =
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IjhmM2MyYTFiOWQ0ZTVmNjA3MTgyOTNhNGI1YzZkN2U4In0.e30.c2ln";
        for (served, path) in [
            (Served::Surface(Surface::Hls), "manifest/video.m3u8"),
            (Served::Media(&media::FILES[0]), "manifest/stream.m3u8"),
            (Served::Media(&media::FILES[2]), "manifest/segment_1.ts"),
        ] {
            let uri: Uri = format!("/{token}/{path}").parse().unwrap();
            let r = play(&s, served, &uri, &HeaderMap::new(), peer);
            assert_eq!(r.status(), 500, "{path}");
            assert_eq!(reason(&r), Some("clock-out-of-range"), "{path}");
        }
    }

    /// The loopback viewer stands in for missing headers only, and only
    /// for loopback peers (IPv4, IPv6 and IPv4-mapped).
    #[test]
    fn the_loopback_viewer_is_for_loopback_peers_without_headers() {
        let set = LoopbackViewer {
            ip: Some("203.0.113.7".parse().unwrap()),
            country: Some(CountryCode::new("US").unwrap()),
        };
        let us = Viewer {
            ip: "203.0.113.7".parse().unwrap(),
            country: CountryCode::new("US").unwrap(),
        };
        let none = HeaderMap::new();
        for peer in [
            "127.0.0.1:9",
            "127.3.2.1:9",
            "[::1]:9",
            "[::ffff:127.0.0.1]:9",
        ] {
            let peer: SocketAddr = peer.parse().unwrap();
            assert_eq!(viewer(&none, peer, set), Ok(us), "{peer}");
            assert_eq!(
                viewer(&none, peer, LoopbackViewer::default()),
                Ok(Viewer {
                    ip: peer.ip(),
                    country: CountryCode::UNKNOWN
                }),
                "{peer}"
            );
        }
        let lan: SocketAddr = "192.0.2.10:9".parse().unwrap();
        assert_eq!(
            viewer(&none, lan, set),
            Ok(Viewer {
                ip: lan.ip(),
                country: CountryCode::UNKNOWN
            })
        );
        let mut headers = HeaderMap::new();
        headers.insert("cf-ipcountry", HeaderValue::from_static("GB"));
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(
            viewer(&headers, peer, set),
            Ok(Viewer {
                ip: us.ip,
                country: CountryCode::new("GB").unwrap()
            })
        );
        headers.insert("cf-connecting-ip", HeaderValue::from_static("198.51.100.1"));
        assert_eq!(
            viewer(&headers, peer, set).map(|v| v.ip),
            Ok("198.51.100.1".parse().unwrap())
        );
    }

    #[test]
    fn reasons_round_trip_through_the_header() {
        for r in [
            Refusal::Malformed,
            Refusal::BadSignature,
            Refusal::UnknownKey,
            Refusal::RevokedKey,
            Refusal::Expired,
            Refusal::NotYetValid,
            Refusal::Beyond24h,
            Refusal::NotDownloadable,
            Refusal::BlockedByRule(3),
            Refusal::BadConnectingIp,
            Refusal::BadCountry,
            Refusal::ClockOutOfRange,
        ] {
            assert_eq!(Refusal::from_header_value(&r.to_string()), Some(r));
        }
        assert_eq!(Refusal::BlockedByRule(2).to_string(), "blocked-by-rule:2");
        assert_eq!(Refusal::from_header_value("blocked-by-rule:0"), None);
        assert_eq!(Refusal::from_header_value("nope"), None);
        assert_eq!(Refusal::Expired.status(), 401);
        assert_eq!(Refusal::BlockedByRule(1).status(), 403);
        assert_eq!(Refusal::NotDownloadable.status(), 403);
        assert_eq!(Refusal::BadConnectingIp.status(), 400);
        assert_eq!(Refusal::BadCountry.status(), 400);
        assert_eq!(Refusal::ClockOutOfRange.status(), 500);
        assert_eq!(Refusal::BadConnectingIp.to_string(), "bad-cf-connecting-ip");
        assert_eq!(Refusal::BadCountry.to_string(), "bad-cf-ipcountry");
        assert_eq!(Refusal::ClockOutOfRange.to_string(), "clock-out-of-range");
    }
}
