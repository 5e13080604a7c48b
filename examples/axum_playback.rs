//! A web backend: signed HLS and thumbnail URLs per video, for viewers in
//! GB only, for 2 hours; and a check that a token opens a given video.
//!
//! ```text
//! cargo run --example axum_playback --features axum
//! curl http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a
//! curl -d "$TOKEN" http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/check
//! ```
//! Settings: `CF_STREAM_SIGNING_KEY` (or `CF_STREAM_SIGNING_KEY_FILE`;
//! `CF_STREAM_KEY_ID` for PEM), `CF_STREAM_CUSTOMER_CODE` or `CF_STREAM_HOST`
//! (a host of your own, or the emulator's `http://127.0.0.1:PORT`), `BIND`.

use std::time::Duration;

use axum::routing::{get, post};
use axum::{Json, Router, extract::State, http::header::CACHE_CONTROL, response::IntoResponse};
use cf_stream_token::{
    AccessRule, Claims, Error, Hls, PlaybackTemplate, Signer, SigningKey, StreamHost, Surface,
    Thumbnail, TokenOptions, Verifier, VideoId,
};

type App = State<(Signer, Verifier, PlaybackTemplate)>;

/// The service, its settings read through `var` (`std::env::var` in `main`).
pub(crate) fn app(var: impl Fn(&str) -> Option<String>) -> Result<Router, Error> {
    let signer = Signer::new(SigningKey::from_env_with(&var)?);
    let options = TokenOptions::builder()
        .lifetime(Duration::from_secs(2 * 3600))
        .access_rules(AccessRule::allow_only_countries(["GB"])?) // allow:country=GB, block:any
        .build()?;
    let template = PlaybackTemplate::builder(StreamHost::from_env_with(&var)?)
        .options(options)
        .surface(Surface::Hls(Hls::new()))
        .surface(Surface::Thumbnail(Thumbnail::new()))
        .build()?;
    Ok(Router::new()
        .route("/videos/{video}", get(urls))
        .route("/videos/{video}/check", post(check))
        .with_state((signer.clone(), signer.verifier(), template)))
}

/// `{"hls", "thumbnail", "expires_at"}`: one token, one signature; a bearer credential, not cached.
async fn urls(State((signer, _, t)): App, video: VideoId) -> Result<impl IntoResponse, Error> {
    let signed = t.mint(&signer, &video)?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(signed)))
}

/// The claims of the token (the body) if it opens this video; else a JSON 401.
async fn check(State((_, v, _)): App, id: VideoId, token: String) -> Result<Json<Claims>, Error> {
    v.verify_for(&id, &token).map(Json)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app(|name| std::env::var(name).ok())?).await?;
    Ok(())
}
