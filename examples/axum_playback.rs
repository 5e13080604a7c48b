//! A real backend: an axum service that hands out signed playback URLs,
//! minted per request from one shared signer.
//!
//! ```text
//! cargo run --example axum_playback
//! curl 'http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/playback?country=GB'
//! ```
//!
//! `GET /videos/{uid}/playback` answers
//! `{"video","kid","exp","hls","dash","thumbnail"}`: HLS, DASH and
//! thumbnail URLs carrying one token, valid for an hour. `?country=GB,US`
//! restricts it to viewers in those countries (an `allow` rule for them,
//! then `block` for everyone else). A bad video id or country is a 400 with
//! `{"error"}`.
//!
//! Settings, from the environment:
//!
//! - `CF_STREAM_SIGNING_KEY`: the signing key, any form the crate reads
//!   (the saved create-key response, PEM, JWK, base64 of those), and
//!   `CF_STREAM_KEY_ID` for PEM. Unset, the service signs with the
//!   project's public demo key, which no real account accepts, and says so
//!   when it starts.
//! - `CF_STREAM_CUSTOMER_CODE`: the account's customer subdomain code
//!   (default `demo`, which plays nothing).
//! - `BIND`: the address to listen on (default `127.0.0.1:3000`).

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cf_stream_token::{
    AccessRule, Dash, Hls, KeyId, PlaybackUrls, Signer, SigningKey, StreamHost, Surface, Thumbnail,
    TokenOptions, VideoId,
};
use serde::{Deserialize, Serialize};

/// The project's demo key: public, for demos and tests only.
const DEMO_KEY: &str = include_str!("../fixtures/demo/demo_create_result.json");

/// How long each token lives.
const LIFETIME: Duration = Duration::from_secs(3600);
/// `nbf` this far back, for viewers whose clocks run a little behind.
const SKEW: Duration = Duration::from_secs(60);

/// What every request shares: the signer (an `Arc` inside, so cloning the
/// state per request copies a pointer) and the host.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) signer: Signer,
    pub(crate) host: StreamHost,
}

/// The service's settings, read once at start-up.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) state: AppState,
    pub(crate) bind: String,
    /// What the operator should know (e.g. that the demo key is in use).
    pub(crate) notices: Vec<String>,
}

/// Read the settings through `var` (the process environment in `main`).
///
/// # Errors
/// A key that is set but unreadable, or a bad customer code: refused at
/// start-up rather than on the first request.
pub(crate) fn settings(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Settings, cf_stream_token::Error> {
    let set = |name| var(name).filter(|v: &String| !v.trim().is_empty());
    let mut notices = Vec::new();
    let key = match set("CF_STREAM_SIGNING_KEY") {
        Some(key) => {
            let kid = set("CF_STREAM_KEY_ID")
                .map(|k| KeyId::new(k.trim()))
                .transpose()?;
            SigningKey::parse(key.trim(), kid)?
        }
        None => {
            notices.push(
                "CF_STREAM_SIGNING_KEY is not set: signing with the built-in demo key, \
                 which is public and which no real Stream account accepts"
                    .to_owned(),
            );
            SigningKey::parse(DEMO_KEY, None)?
        }
    };
    let code = set("CF_STREAM_CUSTOMER_CODE").unwrap_or_else(|| {
        notices.push("CF_STREAM_CUSTOMER_CODE is not set: using `demo`".to_owned());
        "demo".to_owned()
    });
    Ok(Settings {
        state: AppState {
            signer: Signer::new(key),
            host: StreamHost::customer_code(code.trim())?,
        },
        bind: set("BIND").unwrap_or_else(|| "127.0.0.1:3000".to_owned()),
        notices,
    })
}

/// The routes.
pub(crate) fn app(state: AppState) -> Router {
    Router::new()
        .route("/videos/{uid}/playback", get(playback))
        .with_state(state)
}

/// Serve `app` on `listener` until the process ends.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).await
}

#[derive(Deserialize)]
struct PlaybackQuery {
    /// Comma-separated ISO 3166-1 alpha-2 codes.
    country: Option<String>,
}

#[derive(Serialize)]
struct Playback {
    video: String,
    kid: String,
    exp: i64,
    hls: String,
    dash: String,
    thumbnail: String,
}

fn error(status: StatusCode, message: impl ToString) -> Response {
    let body = serde_json::json!({ "error": message.to_string() });
    (status, Json(body)).into_response()
}

async fn playback(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    Query(query): Query<PlaybackQuery>,
) -> Response {
    let Ok(video) = VideoId::new(&uid) else {
        return error(
            StatusCode::BAD_REQUEST,
            "not a video id: expected 32 hex characters",
        );
    };
    let mut options = TokenOptions::builder()
        .lifetime(LIFETIME)
        .backdate_not_before(SKEW);
    if let Some(countries) = query.country.as_deref() {
        match AccessRule::allow_only_countries(countries.split(',').map(str::trim)) {
            Ok(rules) => options = options.access_rules(rules),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    }
    let options = match options.build() {
        Ok(options) => options,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let hls = Surface::Hls(Hls::new());
    let dash = Surface::Dash(Dash::new());
    let thumbnail = Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(1)));
    // One token, one RSA signature (well under a millisecond of CPU), for
    // all three URLs: cheap enough to do on the async worker.
    let signed = PlaybackUrls::builder(state.host.clone(), video)
        .options(options)
        .surfaces([hls.clone(), dash.clone(), thumbnail.clone()])
        .build()
        .and_then(|urls| urls.mint(&state.signer));
    let signed = match signed {
        Ok(signed) => signed,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let url = |s: &Surface| signed.get(s).unwrap_or_default().to_owned();
    let body = Playback {
        video: video.to_string(),
        kid: signed.token().kid().to_string(),
        exp: signed.token().exp(),
        hls: url(&hls),
        dash: url(&dash),
        thumbnail: url(&thumbnail),
    };
    // The URLs are bearer credentials until they expire: no caching.
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = settings(|name| std::env::var(name).ok())?;
    for notice in &settings.notices {
        eprintln!("note: {notice}");
    }
    let listener = tokio::net::TcpListener::bind(&settings.bind).await?;
    eprintln!(
        "signing with key {}; listening on http://{}/videos/{{uid}}/playback",
        settings.state.signer.kid(),
        listener.local_addr()?
    );
    serve(listener, settings.state).await?;
    Ok(())
}
