//! A web backend, one instance of a fleet: signed HLS and thumbnail URLs per
//! video, for viewers in GB (or `?country=`), for 2 hours, with keys it
//! reloads while it serves; a check that a token opens a given video; health.
//!
//! ```text
//! cargo run --example axum_playback --features axum
//! curl http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a
//! curl 'http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/playback?country=GB,US'
//! curl -d "$TOKEN" http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/check
//! curl http://127.0.0.1:3000/healthz
//! ```
//! Settings: the ring in `CF_STREAM_KEYRING_FILE` or `CF_STREAM_KEYRING`, or one
//! key in `CF_STREAM_SIGNING_KEY_FILE` or `CF_STREAM_SIGNING_KEY` (`CF_STREAM_KEY_ID`
//! for PEM), a file read again every `CF_STREAM_RELOAD_INTERVAL` (`60s`);
//! `CF_STREAM_CUSTOMER_CODE` or `CF_STREAM_HOST` (a host of your own, or the
//! emulator's `http://127.0.0.1:PORT`); `CF_STREAM_TOKEN_TTL` (`2h`, at most
//! the ring's maximum); `BIND` (`127.0.0.1:3000`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router, http::header::CACHE_CONTROL, response::IntoResponse};
use cf_stream_token::time::format_description::well_known::Rfc3339;
use cf_stream_token::{
    AccessRule, Claims, Error, ErrorKind, Hls, PlaybackTemplate, ServiceKeys, StreamHost, Surface,
    Thumbnail, TokenOptions, VideoId, parse_duration,
};
use serde_json::{Value, json};

type App = State<Arc<(ServiceKeys, PlaybackTemplate)>>;

/// The service, its settings read through `var` (`std::env::var` in `main`).
pub(crate) fn app(var: impl Fn(&str) -> Option<String>) -> Result<Router, Error> {
    let keys = ServiceKeys::from_env_with(&var)?;
    let ttl = parse_duration(
        var("CF_STREAM_TOKEN_TTL")
            .as_deref()
            .map_or("2h", str::trim),
    )?;
    if keys.max_token_lifetime().is_some_and(|max| ttl > max) {
        let what = "CF_STREAM_TOKEN_TTL: at most the ring's maximum token lifetime";
        return Err(ErrorKind::InvalidConfig { what }.into());
    }
    let options = TokenOptions::builder()
        .lifetime(ttl)
        .access_rules(AccessRule::allow_only_countries(["GB"])?) // allow:country=GB, block:any
        .build()?;
    let template = PlaybackTemplate::builder(StreamHost::from_env_with(&var)?)
        .options(options)
        .surface(Surface::Hls(Hls::new()))
        .surface(Surface::Thumbnail(Thumbnail::new()))
        .build()?;
    Ok(Router::new()
        .route("/videos/{video}", get(urls))
        .route("/videos/{video}/playback", get(urls))
        .route("/videos/{video}/check", post(check))
        .route("/healthz", get(health))
        .with_state(Arc::new((keys, template))))
}

#[derive(serde::Deserialize)]
struct Where {
    /// `GB,US`: viewers in those countries only, instead of GB.
    country: Option<String>,
}

/// `{"hls", "thumbnail", "expires_at"}`: one token, one signature; a bearer credential, not cached.
async fn urls(
    State(app): App,
    id: VideoId,
    Query(q): Query<Where>,
) -> Result<impl IntoResponse, Error> {
    let (keys, t) = &*app;
    let signed = match q.country {
        None => t.mint(keys, &id)?,
        Some(list) => {
            let rules = AccessRule::allow_only_countries(list.split(','))?;
            t.mint_with(
                keys,
                &id,
                &t.token_options().to_builder().access_rules(rules).build()?,
            )?
        }
    };
    Ok(([(CACHE_CONTROL, "no-store")], Json(signed)))
}

/// The claims of the token (the body) if it opens this video; else a JSON 401.
async fn check(State(app): App, id: VideoId, token: String) -> Result<Json<Claims>, Error> {
    app.0.verifier().verify_for(&id, &token).map(Json)
}

/// The keys in force, and how their reloads go.
async fn health(State(app): App) -> Json<Value> {
    let s = app.0.status();
    Json(json!({
        "kid": s.kid(), "serial": s.serial(), "digest": s.digest().to_string(), "reloads": s.reloads(),
        "loaded_at": s.loaded_at().format(&Rfc3339).ok(), "checked_at": s.checked_at().format(&Rfc3339).ok(),
        "last_error": s.last_error().map(|f| f.error().to_string()),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(bind).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(|name| std::env::var(name).ok())?).await?;
    Ok(())
}
