//! A real backend: an axum service that hands out signed playback URLs,
//! minted per request from one shared signer and one URL template.
//!
//! ```text
//! cargo run --example axum_playback --features axum
//! curl 'http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/playback?country=GB'
//! ```
//!
//! `GET /videos/{uid}/playback` answers
//! `{"video","kid","exp","hls","dash","thumbnail"}`: HLS, DASH and
//! thumbnail URLs carrying one token, valid for an hour. `?country=GB,US`
//! restricts it to viewers in those countries (an `allow` rule for them,
//! then `block` for everyone else). A refusal is the crate's own
//! `{"error","message"}` answer, with its `http_status` (400 for a bad
//! video id or country).
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
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use cf_stream_token::{
    AccessRule, Dash, Error, ErrorKind, Hls, KeyId, PlaybackTemplate, SignedUrls, Signer,
    SigningKey, StreamHost, Surface, Thumbnail, TokenOptions, VideoId,
};
use serde::{Deserialize, Serialize};

/// The project's demo key: public, for demos and tests only.
const DEMO_KEY: &str = include_str!("../fixtures/demo/demo_create_result.json");

/// What every request shares: the signer and the template (an `Arc`
/// inside each, so cloning the state per request copies pointers).
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) signer: Signer,
    pub(crate) template: PlaybackTemplate,
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
pub(crate) fn settings(var: impl Fn(&str) -> Option<String>) -> Result<Settings, Error> {
    let set = |name| var(name).filter(|v: &String| !v.trim().is_empty());
    let mut notices = Vec::new();
    let key = match SigningKey::from_env_with(&var) {
        Err(e) if matches!(e.kind(), ErrorKind::MissingConfig { .. }) => {
            notices.push("CF_STREAM_SIGNING_KEY is not set: signing with the built-in demo key, which is public and which no real Stream account accepts".to_owned());
            SigningKey::parse(DEMO_KEY, None)?
        }
        key => key?,
    };
    let code = set("CF_STREAM_CUSTOMER_CODE").unwrap_or_else(|| {
        notices.push("CF_STREAM_CUSTOMER_CODE is not set: using `demo`".to_owned());
        "demo".to_owned()
    });
    // Built once: an hour, `nbf` a minute back for viewers' clock skew.
    let options = TokenOptions::builder()
        .lifetime(Duration::from_secs(3600))
        .backdate_not_before(Duration::from_secs(60));
    let template = PlaybackTemplate::builder(StreamHost::customer_code(code.trim())?)
        .options(options.build()?)
        .surfaces([Surface::Hls(Hls::new()), Surface::Dash(Dash::new())])
        .surface(Surface::Thumbnail(
            Thumbnail::new().time(Duration::from_secs(1)),
        ))
        .build()?;
    let signer = Signer::new(key);
    let bind = set("BIND").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    Ok(Settings {
        state: AppState { signer, template },
        bind,
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
    video: VideoId,
    kid: KeyId,
    exp: i64,
    /// `hls`, `dash`, `thumbnail`: the surfaces' names.
    #[serde(flatten)]
    urls: SignedUrls,
}

async fn playback(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    Query(query): Query<PlaybackQuery>,
) -> Result<impl IntoResponse, Error> {
    // `Path<VideoId>` works too; parsing here makes a bad id the crate's JSON 400.
    let video: VideoId = uid.parse()?;
    // One token, one RSA signature (a quarter of a millisecond of CPU), for
    // all three URLs: cheap enough to do on the async worker.
    let urls = match query.country.as_deref() {
        None => state.template.mint(&state.signer, &video)?,
        Some(countries) => {
            let rules = AccessRule::allow_only_countries(countries.split(',').map(str::trim))?;
            let options = state
                .template
                .token_options()
                .to_builder()
                .access_rules(rules);
            state
                .template
                .mint_with(&state.signer, &video, &options.build()?)?
        }
    };
    let (kid, exp) = (*urls.token().kid(), urls.token().exp());
    // The URLs are bearer credentials until they expire: no caching.
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Playback {
            video,
            kid,
            exp,
            urls,
        }),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = settings(|name| std::env::var(name).ok())?;
    for notice in &settings.notices {
        eprintln!("note: {notice}");
    }
    let listener = tokio::net::TcpListener::bind(&settings.bind).await?;
    let (kid, addr) = (settings.state.signer.kid(), listener.local_addr()?);
    eprintln!("signing with key {kid}; listening on http://{addr}/videos/{{uid}}/playback");
    serve(listener, settings.state).await?;
    Ok(())
}
