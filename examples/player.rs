//! A backend with a video player page: the page asks the backend for a
//! signed HLS URL and plays it with hls.js. `scripts/browser-test.sh`
//! serves it against the emulator and drives it in headless Chromium.
//!
//! ```text
//! CF_STREAM_SIGNING_KEY="$(cat stream-key.json)" \
//! CF_STREAM_HOST=http://127.0.0.1:8787 \
//! HLS_JS=node_modules/hls.js/dist/hls.min.js \
//!   cargo run --example player
//! # then open http://127.0.0.1:PORT/?video=ea95132c15732412d22c1476fa83f27a
//! ```
//!
//! - `GET /` is the page (`examples/player/index.html`), `GET /hls.js` the
//!   hls.js build named by `HLS_JS` (installed from npm, never a CDN).
//! - `GET /api/videos/{uid}/hls` answers `{"url", "expires"}`: the HLS
//!   manifest's URL with a token for viewers in GB only (an `allow` rule,
//!   then `block` for everyone else), valid for an hour, minted through a
//!   [`PlaybackTemplate`] built once at start-up, as a production backend
//!   does.
//!
//! Settings, from the environment: `CF_STREAM_SIGNING_KEY` (any form the
//! crate reads), the host as [`StreamHost::from_env`] reads it
//! (`CF_STREAM_CUSTOMER_CODE` for Cloudflare, or `CF_STREAM_HOST`, such as
//! an emulator's `http://127.0.0.1:PORT`), `HLS_JS`, and `BIND` (default
//! `127.0.0.1:0`, a free port). Once it serves, it prints one JSON line:
//! `{"url":"http://127.0.0.1:PORT/"}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cf_stream_token::{
    AccessRule, Hls, PlaybackTemplate, Signer, SigningKey, StreamHost, Surface, TokenOptions,
    VideoId,
};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

struct App {
    signer: Signer,
    template: PlaybackTemplate,
    hls_js: String,
}

/// The manifest URL for `uid`, with a fresh token.
async fn hls_url(State(app): State<Arc<App>>, Path(uid): Path<String>) -> Response {
    let minted = VideoId::new(&uid)
        .map_err(|e| (StatusCode::BAD_REQUEST, e))
        .and_then(|video| {
            (app.template.mint(&app.signer, &video))
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))
        });
    match minted {
        Ok(signed) => {
            let expires = signed
                .token()
                .expires_at()
                .format(&Rfc3339)
                .unwrap_or_default();
            Json(json!({ "url": signed.hls(), "expires": expires })).into_response()
        }
        Err((status, e)) => (status, Json(json!({ "error": e.to_string() }))).into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let signer = Signer::new(SigningKey::from_env()?);
    let template = PlaybackTemplate::builder(StreamHost::from_env()?)
        .options(
            TokenOptions::builder()
                .lifetime(Duration::from_secs(3600))
                .access_rules(AccessRule::allow_only_countries(["GB"])?)
                .build()?,
        )
        .surface(Surface::Hls(Hls::new()))
        .build()?;
    let hls_js = var("HLS_JS").ok_or("HLS_JS is not set (the path of hls.min.js)")?;
    let hls_js = std::fs::read_to_string(&hls_js).map_err(|e| format!("HLS_JS {hls_js}: {e}"))?;
    let app = Arc::new(App {
        signer,
        template,
        hls_js,
    });
    let router = Router::new()
        .route(
            "/",
            get(|| async { Html(include_str!("player/index.html")) }),
        )
        .route(
            "/hls.js",
            get(|State(app): State<Arc<App>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/javascript")],
                    app.hls_js.clone(),
                )
            }),
        )
        .route("/api/videos/{uid}/hls", get(hls_url))
        .with_state(app);
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!(
        "{}",
        json!({ "url": format!("http://{}/", listener.local_addr()?) })
    );
    axum::serve(listener, router).await?;
    Ok(())
}
