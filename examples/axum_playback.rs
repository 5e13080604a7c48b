//! A fleet member: signed HLS and thumbnail URLs per video, GB only (or `?country=GB,US`), 2 h;
//! a token check; `/healthz`. Settings: `ServiceKeys` (a key or a ring; `CF_STREAM_TOKEN_TTL`),
//! `StreamHost::from_env`, `BIND` (`127.0.0.1:3000`); `RUST_LOG` prints telemetry. Try it with
//! `cargo run --example axum_playback --features axum,tracing`; `curl 127.0.0.1:3000/healthz`.

use axum::{Json, Router, extract::Query, extract::State, routing::get, routing::post};
use axum::{http::header::CACHE_CONTROL, response::IntoResponse};
use cf_stream_token::{AccessRule as Rule, Claims, Error, Hls, PlaybackTemplate, ServiceKeys};
use cf_stream_token::{StreamHost, Surface, Thumbnail, VideoId};
use std::{collections::HashMap, sync::Arc, time::Duration};

type App = State<Arc<(ServiceKeys, PlaybackTemplate)>>;
type Countries = Query<HashMap<String, String>>;

/// The service, its settings read through `var` (`std::env::var` in `main`).
pub(crate) fn app(var: impl Fn(&str) -> Option<String>) -> Result<Router, Error> {
    let keys = ServiceKeys::from_env_with(&var)?;
    let options = (keys.token_options_from_env_with(&var, Duration::from_secs(2 * 3600))?)
        .access_rules(Rule::allow_only_countries(["GB"])?) // allow:country=GB, block:any
        .build()?;
    let template = PlaybackTemplate::builder(StreamHost::from_env_with(&var)?)
        .options(options)
        .surface(Surface::Hls(Hls::new()))
        .surface(Surface::Thumbnail(Thumbnail::new()))
        .build()?;
    let health = |app: App| async move { Json(app.0.0.status()) }; // kid, serial, loaded_at, ...
    Ok(Router::new()
        .route("/videos/{video}", get(urls))
        .route("/videos/{video}/playback", get(urls))
        .route("/videos/{video}/check", post(check))
        .route("/healthz", get(health))
        .with_state(Arc::new((keys, template))))
}

/// `{"hls", "thumbnail", "expires_at"}`: a bearer credential, not cached.
async fn urls(State(s): App, id: VideoId, q: Countries) -> Result<impl IntoResponse, Error> {
    let mut opts = s.1.token_options().clone();
    if let Some(list) = q.get("country") {
        let rules = Rule::allow_only_countries(list.split(','))?;
        opts = opts.to_builder().access_rules(rules).build()?;
    }
    let signed = s.1.mint_with(&s.0, &id, &opts)?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(signed)))
}

/// The claims of the token (the body) if it opens this video; else a JSON 401.
async fn check(State(app): App, id: VideoId, token: String) -> Result<Json<Claims>, Error> {
    app.0.verifier().verify_for(&id, &token).map(Json)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init(); // reads RUST_LOG, e.g. cf_stream_token=debug
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(bind).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(|name| std::env::var(name).ok())?).await?;
    Ok(())
}
