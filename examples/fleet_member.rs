//! One instance of a fleet: an axum service that mints signed playback URLs
//! with keys it reloads while it serves, as every instance behind a load
//! balancer runs it (docs/fleet.md; `scripts/fleet-proof.sh` runs four).
//!
//! ```text
//! CF_STREAM_KEYRING_FILE=/etc/stream/keyring.json CF_STREAM_CUSTOMER_CODE=f33zs165nr7gyfy4 \
//!     cargo run --example fleet_member --features axum
//! curl 'http://127.0.0.1:3000/videos/ea95132c15732412d22c1476fa83f27a/playback?country=GB'
//! curl http://127.0.0.1:3000/healthz
//! ```
//!
//! Settings, from the environment: `BIND` (default `127.0.0.1:3000`); the
//! ring from `CF_STREAM_KEYRING_FILE` (a path) or `CF_STREAM_KEYRING`, else
//! one key from `CF_STREAM_SIGNING_KEY_FILE` or `CF_STREAM_SIGNING_KEY`
//! (`CF_STREAM_KEY_ID` for PEM); `CF_STREAM_RELOAD_INTERVAL` (default `60s`),
//! how often a file is read again; `CF_STREAM_CUSTOMER_CODE` or
//! `CF_STREAM_HOST`; `CF_STREAM_TOKEN_TTL` (default `2h`, at most the ring's
//! maximum token lifetime).
//!
//! `GET /videos/{uid}/playback?country=GB,US` answers
//! `{"video","kid","exp","hls","thumbnail","expires_at"}`, playable in those
//! countries only; `GET /healthz` answers what the instance signs with: the
//! kid, the ring's serial, the document's digest, when it was loaded and
//! last read, and the last reload error (`null` when the last read went well).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use cf_stream_token::time::{OffsetDateTime, format_description::well_known::Rfc3339};
use cf_stream_token::{
    AccessRule, Error, Hls, KeyId, PlaybackTemplate, ReloadingKey, ReloadingKeyring, SecretSource,
    SignedUrls, StreamHost, Surface, Thumbnail, TokenOptions, TokenSource, VideoId, parse_duration,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The keys: a ring (rotations are safe across a fleet) or one key.
#[derive(Debug)]
enum Keys {
    Ring(ReloadingKeyring),
    Key(ReloadingKey),
}

#[derive(Debug)]
struct App {
    keys: Keys,
    template: PlaybackTemplate,
}

type Shared = State<Arc<App>>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn duration(name: &str, default: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    let text = env(name).unwrap_or_else(|| default.to_owned());
    parse_duration(text.trim()).map_err(|e| format!("{name}: {e}").into())
}

fn load(interval: Duration, ttl: Duration) -> Result<Keys, Box<dyn std::error::Error>> {
    let ring = env("CF_STREAM_KEYRING")
        .or(env("CF_STREAM_KEYRING_FILE"))
        .is_some();
    let source = SecretSource::env_or_file(if ring {
        "CF_STREAM_KEYRING"
    } else {
        "CF_STREAM_SIGNING_KEY"
    });
    // A variable does not change under a running process: only a file is read again.
    let reload = source.kind() == "file";
    if !ring {
        let mut key = ReloadingKey::builder(source)
            .interval(interval)
            .background(reload);
        if let Some(kid) = env("CF_STREAM_KEY_ID") {
            key = key.kid(kid.trim().parse()?);
        }
        return Ok(Keys::Key(key.start()?));
    }
    let ring = ReloadingKeyring::builder(source)
        .interval(interval)
        .background(reload)
        .start()?;
    let max = ring.snapshot().ring().max_token_lifetime();
    if ttl > max {
        return Err(format!(
            "CF_STREAM_TOKEN_TTL ({}s) is longer than the ring's maximum token lifetime ({}s)",
            ttl.as_secs(),
            max.as_secs()
        )
        .into());
    }
    Ok(Keys::Ring(ring))
}

#[derive(Deserialize)]
struct Countries {
    country: Option<String>,
}

/// The URLs (`hls`, `thumbnail`, `expires_at`) and the token's key and expiry.
#[derive(Serialize)]
struct Playback {
    video: VideoId,
    kid: KeyId,
    exp: i64,
    #[serde(flatten)]
    urls: SignedUrls,
}

async fn playback(
    State(app): Shared,
    video: VideoId,
    Query(q): Query<Countries>,
) -> Result<Json<Playback>, Error> {
    let source: &dyn TokenSource = match &app.keys {
        Keys::Ring(ring) => ring,
        Keys::Key(key) => key,
    };
    let urls = match q.country.as_deref() {
        None => app.template.mint(source, &video)?,
        Some(list) => {
            let rules = AccessRule::allow_only_countries(list.split(',').map(str::trim))?;
            let options = app
                .template
                .token_options()
                .to_builder()
                .access_rules(rules)
                .build()?;
            app.template.mint_with(source, &video, &options)?
        }
    };
    let (kid, exp) = (*urls.token().kid(), urls.token().exp());
    Ok(Json(Playback {
        video,
        kid,
        exp,
        urls,
    }))
}

async fn healthz(State(app): Shared) -> Json<Value> {
    let s = match &app.keys {
        Keys::Ring(ring) => ring.status(),
        Keys::Key(key) => key.status(),
    };
    let at = |t: OffsetDateTime| t.format(&Rfc3339).ok();
    Json(json!({
        "source": s.source(), "kid": s.kid(), "serial": s.serial(), "digest": s.digest().to_string(),
        "loaded_at": at(s.loaded_at()), "checked_at": at(s.checked_at()), "reloads": s.reloads(),
        "last_error": s.last_error().map(|f| f.error().to_string()),
        "consecutive_failures": s.consecutive_failures(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ttl = duration("CF_STREAM_TOKEN_TTL", "2h")?;
    let keys = load(duration("CF_STREAM_RELOAD_INTERVAL", "60s")?, ttl)?;
    let options = TokenOptions::builder().lifetime(ttl).build()?;
    let template = PlaybackTemplate::builder(StreamHost::from_env()?)
        .options(options)
        .surfaces([
            Surface::Hls(Hls::new()),
            Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(1))),
        ])
        .build()?;
    let app = Arc::new(App { keys, template });
    let routes = Router::new()
        .route("/videos/{uid}/playback", get(playback))
        .route("/healthz", get(healthz))
        .with_state(app);
    let listener =
        tokio::net::TcpListener::bind(env("BIND").as_deref().unwrap_or("127.0.0.1:3000")).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, routes).await?;
    Ok(())
}
