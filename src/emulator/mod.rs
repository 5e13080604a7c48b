//! A local Cloudflare Stream (feature `emulator`): the signing-key API and a
//! playback edge that enforces tokens for real, on 127.0.0.1.
//!
//! Other clouds' emulators accept any signed URL; this one checks the
//! signature, the key (live, deleted, or not yet propagated), `exp`, `nbf`,
//! the 24-hour cap, `downloadable` and the access rules, and says why it
//! refused in an `x-emulator-reason` header.
//!
//! ```
//! use cf_stream_token::api::{Client, Credentials};
//! use cf_stream_token::emulator::Emulator;
//! use cf_stream_token::{AccountId, Signer, TokenOptions, VideoId};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let stream = Emulator::builder().api_token("test-token").start().await?;
//! let account: AccountId = "023e105f4ecef8ad9ca31a8372d0c353".parse()?;
//! let client = Client::builder(account, Credentials::api_token("test-token")?)
//!     .base_url(stream.api_base_url())
//!     .build()?;
//!
//! let signer = Signer::new(client.create_signing_key().await?.into_signing_key()?);
//! let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
//! let token = signer.mint_at(stream.now(), &video, &TokenOptions::default())?;
//! let url = format!("{}/{token}/manifest/video.m3u8", stream.playback_base_url());
//! let answer = reqwest::get(&url).await?;
//! assert_eq!(answer.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! # What it serves
//!
//! - `{api_base_url}`: `POST`/`GET /accounts/{account_id}/stream/keys`,
//!   `DELETE /accounts/{account_id}/stream/keys/{key_id}` and
//!   `POST /accounts/{account_id}/stream/{video_uid}/token`, in Cloudflare's
//!   envelope, with API-token or email and global-key authentication and a
//!   per-credential rate limit. Any account id works; state is per account.
//! - `{playback_base_url}/{token}/{surface}` for every surface the crate
//!   builds, and `/{video}/{surface}` for videos registered as public.
//!   Refusals are 401 or 403 (400 for an unreadable viewer header, 500
//!   for a clock out of range) with `x-emulator-reason` set to a
//!   [`Refusal`]'s value. Cloudflare does not document its own refusal
//!   bodies or codes: these are a model.
//! - **Media a player plays.** `manifest/video.m3u8` is a real HLS
//!   presentation: six seconds of a test pattern with a 440 Hz tone
//!   (H.264 Constrained Baseline and AAC-LC in MPEG-TS, 320x180, which
//!   hls.js plays in Chromium), as a master playlist naming
//!   `stream.m3u8`, which names `segment_0.ts` to `segment_2.ts`. They are
//!   relative to the manifest, so a player fetches every one under the
//!   same token (`/{token}/manifest/segment_1.ts`), and each request is
//!   decided as the manifest is: once the token expires, its key is
//!   revoked or a rule blocks the viewer, the next segment is refused with
//!   the same status and `x-emulator-reason`. The thumbnails are real
//!   images of the pattern (a JPEG still, an animated GIF); the DASH
//!   manifest, the downloads and the WebRTC answer are small structural
//!   placeholders.
//! - **Players on other origins.** Every edge answer, a refusal too,
//!   carries `Access-Control-Allow-Origin: *` and exposes
//!   `x-emulator-reason`, so a page served by the backend under test can
//!   play from the edge and read why it was refused.
//! - **Viewers.** The edge decides rules for the viewer that
//!   `CF-Connecting-IP` and `CF-IPCountry` name. A browser cannot send
//!   them: requests from a loopback address without them come from the
//!   viewer set with [`Emulator::set_loopback_viewer`] or
//!   `POST /__emulator/viewer` (by default the TCP peer's address and
//!   country `XX`).
//! - `{control_base_url}` (`/__emulator`): the clock, faults, key activation
//!   delay, videos, reset and the request log, as JSON; every one is also a
//!   method of [`Emulator`]. See [Control endpoints](#control-endpoints).
//!
//! The emulator keeps only the public half of each key it hands out, plus
//! one key of its own per account for the token endpoint (made on first
//! use: start-up generates no key).
//!
//! # Safety
//!
//! - **Who may drive it.** The API and the control endpoints answer only
//!   requests whose `Host` is `localhost`, an address in `127.0.0.0/8` or
//!   `[::1]` (any port), else 403 with `x-emulator-reason: foreign-host`: a
//!   web page whose name is rebound to 127.0.0.1 cannot reach them. The
//!   control endpoints also refuse an `Origin` that is not such a host
//!   (403, `foreign-origin`) and a POST that is not `Content-Type:
//!   application/json` (415, `not-json`), which no page can send
//!   cross-origin without a preflight. The playback edge takes any host.
//! - **The request log** never holds a token or a part of one: in every
//!   path segment that could be one (three dot-separated parts, or over 40
//!   bytes once percent-decoded), in any position, it shows `<token>`; the
//!   query is not logged; each path is cut at 1,024 bytes, ending `<cut>`.
//! - **The clock** stays within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z:
//!   [`Emulator::set_now`], [`Emulator::advance`], `POST /__emulator/clock`
//!   and [`EmulatorBuilder::clock_at`] refuse anything outside it, and the
//!   edge refuses to play ([`Refusal::ClockOutOfRange`]) rather than fall
//!   back to another instant.
//! - **Viewer headers** that are present but unreadable are refused with
//!   400 ([`Refusal::BadConnectingIp`], [`Refusal::BadCountry`]), never
//!   replaced by the TCP peer or `XX`. `HEAD` plays as `GET` does, without
//!   the body.
//! - **The state file** is written with
//!   [`files::write_private`] (mode 0600, a
//!   fresh temporary), locked (`STATE.lock`) for the emulator's life so a
//!   second emulator on it refuses to start, and written once at start so
//!   that an unwritable one fails there. A create or delete whose state
//!   cannot be saved is undone and answers 500. A file naming one key or
//!   video twice is refused.
//! - **Credentials** may not be empty (start-up refuses them).
//!
//! # Control endpoints
//!
//! Under [`Emulator::control_base_url`] (`http://127.0.0.1:PORT/__emulator`),
//! for tests in other languages and for `cf-stream-token emulate`. Every
//! answer is JSON. Every POST must say `Content-Type: application/json`
//! (a POST without a body too), else 415; every request must be addressed
//! to a loopback `Host` and carry no `Origin` but a loopback one, else 403
//! (see [Safety](#safety)); such a refusal reads `{"error": "...",
//! "reason": "not-json"}` (or `foreign-host`, `foreign-origin`), the reason
//! also in `x-emulator-reason`. A body that does not parse, or a value out
//! of range, is 400 `{"error": "..."}` and changes nothing; a change whose
//! state file cannot be written is undone and answers 500. Unknown paths
//! and methods are 404. Control requests are not logged.
//!
//! | request | body | answer | handle method |
//! |---|---|---|---|
//! | `GET /clock` | | `{"now": 1767225600}` (unix seconds) | [`Emulator::now`] |
//! | `POST /clock` | `{"now": 1767225600}` or `{"advance_secs": 90}` (exactly one; negative moves back) | `{"now": ...}` | [`Emulator::set_now`], [`Emulator::advance`] |
//! | `GET /faults` | | the faults in force, oldest first, each as `POST /faults` takes it with `times` left: `[{"route": "list_keys", "status": 503, "retry_after": 2, "delay_ms": 0, "drop_connection": false, "times": 2}]` | [`Emulator::faults`] |
//! | `POST /faults` | a fault: `{"route": "create_key", "status": 503, "retry_after": 2, "delay_ms": 300, "drop_connection": false, "times": 1}`; only `route` is required (a [`Route`] name: `create_key`, `list_keys`, `delete_key`, `create_token`, `playback`); `times` defaults to 1 | `{"queued": true}` | [`Emulator::add_fault`] |
//! | `DELETE /faults` | | `{"cleared": true}` | [`Emulator::clear_faults`] |
//! | `POST /key-delay` | `{"secs": 60}` | `{"secs": 60}` | [`Emulator::set_key_activation_delay`] |
//! | `POST /check-24h` | `{"enabled": false}` | `{"enabled": false}` | [`Emulator::set_check_24h`] |
//! | `POST /videos` | `{"account": "023e...c353", "video": "ea95...f27a", "public": false}` (`public` optional, default false) | the body as registered | [`Emulator::register_video`] |
//! | `POST /keys` | `{"account": "023e...c353", "public_key": "..."}`: any public or private key form the crate reads (JWK, PEM, base64 of either), with its kid | `{"id": KID, "account": ...}` | [`Emulator::import_public_key`] |
//! | `GET /keys/{account}` | | the account's live key ids: `["8f3c...d7e8"]` | [`Emulator::keys`] |
//! | `GET /viewer` | | the loopback viewer: `{"ip": null, "country": "US"}` (null: the default) | |
//! | `POST /viewer` | `{"ip": "203.0.113.7", "country": "US"}`; each member optional, absent or null for the default (the TCP peer, `XX`); replaces both | the viewer as set | [`Emulator::set_loopback_viewer`] |
//! | `POST /reset` | none | `{"reset": true}` | [`Emulator::reset`] |
//! | `GET /log` | | the request log, oldest first: `[{"method": "GET", "path": "/<token>/manifest/video.m3u8", "route": "playback", "kid": "...", "status": 200, "decision": "ok"}]` (`route` and `kid` only when known; `status` null for a dropped connection) | [`Emulator::requests`] |
//!
//! # Testing your player end to end
//!
//! In headless Chromium, in CI: see the emulator guide's
//! [section of that name](crate::guide::emulator#testing-your-player-end-to-end).

mod api;
mod bodies;
mod control;
mod edge;
mod guard;
mod host;
mod layers;
mod media;
mod persist;
mod ratelimit;
mod redact;
mod router;
mod state;

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{Error, ErrorKind};
use crate::files::{self, FileLock};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::PublicKey;
use crate::rules::CountryCode;

pub use self::edge::Refusal;
use self::state::{Credential, Shared};

/// Requests allowed per window per credential by default (Cloudflare's
/// documented global limit: 1,200 per 5 minutes).
pub const DEFAULT_RATE_LIMIT: u32 = 1200;
/// The default rate-limit window: 5 minutes.
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(300);
/// Signing keys per account, as Cloudflare documents: the keyring's
/// [`ACCOUNT_KEY_CAP`](crate::ACCOUNT_KEY_CAP).
pub const MAX_KEYS_PER_ACCOUNT: usize = crate::keyring::ACCOUNT_KEY_CAP;

/// Configures an [`Emulator`]; start it with [`EmulatorBuilder::start`].
#[must_use]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    credentials: Vec<Credential>,
    rate_limit: u32,
    rate_window: Duration,
    max_keys: usize,
    check_24h: bool,
    key_delay: Duration,
    state_file: Option<PathBuf>,
    now: Option<OffsetDateTime>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("bind", &self.bind)
            .field("credentials", &self.credentials.len())
            .field("rate_limit", &self.rate_limit)
            .field("rate_window", &self.rate_window)
            .field("max_keys", &self.max_keys)
            .field("check_24h", &self.check_24h)
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    /// Listen on this address (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Accept this API token (`Authorization: Bearer`) with "Stream Write":
    /// every endpoint. Repeatable. With no credential at all, the emulator
    /// makes up a token ([`Emulator::secret_api_token`]). An empty token
    /// makes [`start`](Self::start) fail.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.credentials.push(Credential::token(token.into(), true));
        self
    }

    /// Accept this API token with "Stream Read" only: listing works, the
    /// other endpoints answer 403 with code 10000.
    pub fn read_only_api_token(mut self, token: impl Into<String>) -> Self {
        self.credentials
            .push(Credential::token(token.into(), false));
        self
    }

    /// Accept this email and global API key (`X-Auth-Email`, `X-Auth-Key`).
    /// An empty email or key makes [`start`](Self::start) fail.
    pub fn global_api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.credentials
            .push(Credential::global(email.into(), key.into()));
        self
    }

    /// At most `requests` API calls per `window` per credential (default
    /// 1,200 per 5 minutes, on the emulator's clock); past it, 429 with
    /// code 971 until the window ends.
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = requests;
        self.rate_window = window;
        self
    }

    /// Cap on signing keys per account (default [`MAX_KEYS_PER_ACCOUNT`]).
    pub fn max_keys_per_account(mut self, max: usize) -> Self {
        self.max_keys = max;
        self
    }

    /// Refuse tokens whose `exp` is more than 24 hours ahead of the clock
    /// (`beyond-24h`; default on). Cloudflare documents the cap; whether
    /// its edge enforces it is not documented.
    pub fn check_24h(mut self, on: bool) -> Self {
        self.check_24h = on;
        self
    }

    /// A new key plays only this long after it was created (default none):
    /// for testing rotation. Until then its tokens get `unknown-key`.
    pub fn key_activation_delay(mut self, delay: Duration) -> Self {
        self.key_delay = delay;
        self
    }

    /// Keep keys, revocations, videos and the emulator's own token-endpoint
    /// keys in this file (JSON, mode 0600), read at start, written once at
    /// start and after every change. The emulator holds a lock on
    /// `FILE.lock` as long as it runs.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Start with the clock stopped at `now` instead of following the
    /// system clock ([`start`](Self::start) refuses a `now` before 1970 or
    /// after 9999).
    pub fn clock_at(mut self, now: OffsetDateTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Bind, load the state file if any, and serve in the background until
    /// the handle is dropped or [`Emulator::shutdown`] is called.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] for an empty credential or a
    /// [`clock_at`](Self::clock_at) out of range; for a state file, an
    /// error naming it when another emulator holds its lock
    /// ([`io::ErrorKind::WouldBlock`]), when it cannot be read
    /// ([`io::ErrorKind::InvalidData`] when it is not one this emulator
    /// wrote, or names a key or video twice) or written; the I/O error of
    /// binding.
    pub async fn start(mut self) -> io::Result<Emulator> {
        for c in &self.credentials {
            if let Some(what) = c.empty_part() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{what} is empty: it would let requests without one in"),
                ));
            }
        }
        if let Some(now) = self.now
            && !state::clock_in_range(now.unix_timestamp())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the clock must start within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z",
            ));
        }
        let lock = self.state_file.as_deref().map(lock_state).transpose()?;
        let generated = if self.credentials.is_empty() {
            let token = state::random_hex(20);
            self.credentials
                .push(Credential::token(token.clone(), true));
            Some(token)
        } else {
            None
        };
        let first_token = generated.or_else(|| {
            self.credentials
                .iter()
                .find_map(|c| c.write_token().map(str::to_owned))
        });
        let shared = Arc::new(Shared::new(
            self.credentials,
            state::Config {
                rate_limit: self.rate_limit,
                rate_window_secs: self.rate_window.as_secs().max(1),
                max_keys: self.max_keys,
                state_file: self.state_file,
            },
            self.check_24h,
            i64::try_from(self.key_delay.as_secs()).unwrap_or(i64::MAX),
            self.now.map(OffsetDateTime::unix_timestamp),
        ));
        shared.load()?;
        // Written once now, so that a state file that cannot be written
        // fails here and not at the first create.
        if let Some(path) = &shared.config.state_file {
            shared.persist().map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot write the state file {}: {e}", path.display()),
                )
            })?;
        }
        let listener = tokio::net::TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        let app = router::app(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            // Nothing to report to: the handle is the only observer, and a
            // failed accept loop shows as refused connections.
            let _ = serve.await;
        });
        Ok(Emulator {
            addr,
            shared,
            api_token: first_token,
            shutdown: Some(tx),
            task: Some(task),
            _lock: lock,
        })
    }
}

/// Take `STATE.lock` for the emulator's life: two emulators on one state
/// file would each overwrite the other's keys.
fn lock_state(path: &std::path::Path) -> io::Result<FileLock> {
    let lock = files::with_suffix(path, ".lock");
    FileLock::try_acquire(&lock).map_err(|e| {
        let why = if e.kind() == io::ErrorKind::WouldBlock {
            "another emulator uses it".to_owned()
        } else {
            e.to_string()
        };
        io::Error::new(
            e.kind(),
            format!(
                "cannot lock the state file {} ({}): {why}",
                path.display(),
                lock.display()
            ),
        )
    })
}

/// A running emulator. Dropping it stops the server (as
/// `wiremock::MockServer` does).
///
/// Its `Debug` shows the address only, never a credential.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    api_token: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Held as long as the handle lives (released when it is dropped or
    /// after [`shutdown`](Emulator::shutdown)).
    _lock: Option<FileLock>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Graceful: the listener closes at once and open connections,
        // keep-alive ones included, close after their current request.
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Emulator {
    /// Configure an emulator: 127.0.0.1 on a free port, Cloudflare's
    /// limits, the system clock, no state file.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: Vec::new(),
            rate_limit: DEFAULT_RATE_LIMIT,
            rate_window: DEFAULT_RATE_WINDOW,
            max_keys: MAX_KEYS_PER_ACCOUNT,
            check_24h: true,
            key_delay: Duration::ZERO,
            state_file: None,
            now: None,
        }
    }

    /// Start with the defaults and a made-up API token.
    ///
    /// # Errors
    /// As [`EmulatorBuilder::start`].
    pub async fn start() -> io::Result<Emulator> {
        Self::builder().start().await
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/client/v4`: the API base URL, for
    /// [`ClientBuilder::base_url`](crate::api::ClientBuilder::base_url) or
    /// an SDK's base-URL option.
    pub fn api_base_url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// `http://127.0.0.1:PORT`: where `/{token}/{surface}` plays.
    pub fn playback_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/__emulator`: the control endpoints.
    pub fn control_base_url(&self) -> String {
        format!("http://{}/__emulator", self.addr)
    }

    /// An API token with "Stream Write": the one made up when no
    /// credential was configured, else the first one given.
    pub fn secret_api_token(&self) -> Option<&str> {
        self.api_token.as_deref()
    }

    /// The emulator's clock.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.shared.now()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Stop the clock at `now` (it moves only by [`advance`](Self::advance)
    /// from then on).
    ///
    /// # Errors
    /// [`ErrorKind::TimeOutOfRange`] for a `now` before
    /// 1970-01-01T00:00:00Z or after 9999-12-31T23:59:59Z; the clock is
    /// unchanged.
    pub fn set_now(&self, now: OffsetDateTime) -> Result<(), Error> {
        self.shared.set_now(now.unix_timestamp())
    }

    /// Move the clock forward (stopped or not).
    ///
    /// # Errors
    /// [`ErrorKind::TimeOutOfRange`] when the clock would pass
    /// 9999-12-31T23:59:59Z; the clock is unchanged.
    pub fn advance(&self, by: Duration) -> Result<(), Error> {
        let secs = i64::try_from(by.as_secs()).map_err(|_| ErrorKind::TimeOutOfRange)?;
        self.shared.advance(secs)
    }

    /// Queue a scripted fault; faults for a route play in the order added.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.add_fault(fault);
    }

    /// The faults in force, in the order they were added, each with the
    /// number of times it has left to play (a fault that has played its
    /// last time is gone).
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults()
    }

    /// Drop every queued fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Keys created from now on play only this long after creation.
    pub fn set_key_activation_delay(&self, delay: Duration) {
        self.shared
            .set_key_delay(i64::try_from(delay.as_secs()).unwrap_or(i64::MAX));
    }

    /// Who a playback request from a loopback address (`127.0.0.0/8`,
    /// `::1`) is, when it sends no `CF-Connecting-IP` or `CF-IPCountry`:
    /// a browser cannot send them, so this is how a page's player is made a
    /// viewer in `US` or at a given address. `None` keeps the default (the
    /// TCP peer's address; country `XX`). A header a request does send
    /// still wins; requests from other addresses are not affected.
    /// [`reset`](Self::reset) clears it.
    ///
    /// ```
    /// # use cf_stream_token::emulator::Emulator;
    /// # use cf_stream_token::CountryCode;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let stream = Emulator::start().await?;
    /// // Requests from 127.0.0.1 come from the US.
    /// stream.set_loopback_viewer(None, Some(CountryCode::new("US")?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_loopback_viewer(&self, ip: Option<IpAddr>, country: Option<CountryCode>) {
        self.shared
            .set_loopback_viewer(state::LoopbackViewer { ip, country });
    }

    /// Turn the edge's 24-hour check on or off.
    pub fn set_check_24h(&self, on: bool) {
        self.shared.set_check_24h(on);
    }

    /// Register `video` as `account`'s: tokens signed by another account's
    /// keys then get `unknown-key` for it. A public video plays by its UID,
    /// without a token.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] when
    /// the video already belongs to another account, or when the state
    /// file cannot be written (the registration is then undone).
    pub fn register_video(
        &self,
        account: &AccountId,
        video: &VideoId,
        public: bool,
    ) -> Result<(), Error> {
        self.shared.register_video(*account, *video, public)
    }

    /// Make a key you already hold (its public half) one of `account`'s
    /// live keys, as if created through the API at the emulator's now: for
    /// fixtures, or to fill an account.
    ///
    /// # Errors
    /// [`ErrorKind::KeyIdRequired`] for a
    /// key without a kid, and
    /// [`ErrorKind::InvalidConfig`] when
    /// the kid is taken, the account is full, or the state file cannot be
    /// written (the import is then undone);
    /// [`ErrorKind::TimeOutOfRange`] when the clock is out of range.
    pub fn import_public_key(&self, account: &AccountId, key: &PublicKey) -> Result<(), Error> {
        self.shared.import_public_key(*account, key)
    }

    /// The live signing keys of `account` (those the list endpoint shows).
    pub fn keys(&self, account: &AccountId) -> Vec<KeyId> {
        self.shared.keys(account)
    }

    /// Forget everything: keys, revocations, videos, faults, the log, rate
    /// counters, the loopback viewer; the clock follows the system clock again and the options
    /// return to the builder's.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Every request so far (API and playback, not control), oldest first;
    /// at most the last 10,000.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Stop serving: no new connections, and wait for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// The routes faults can be scripted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Route {
    /// `POST .../stream/keys`
    CreateKey,
    /// `GET .../stream/keys`
    ListKeys,
    /// `DELETE .../stream/keys/{id}`
    DeleteKey,
    /// `POST .../stream/{video}/token`
    CreateToken,
    /// Any playback request.
    Playback,
}

impl Route {
    /// The name used in JSON and the request log (`create_key`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Route::CreateKey => "create_key",
            Route::ListKeys => "list_keys",
            Route::DeleteKey => "delete_key",
            Route::CreateToken => "create_token",
            Route::Playback => "playback",
        }
    }
}

/// A scripted failure for one route: answer with a status (and
/// `Retry-After`), wait first, or drop the connection, a number of times.
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::emulator::{Fault, Route};
/// let twice_503 = Fault::status(Route::ListKeys, 503).retry_after(2).times(2);
/// let slow = Fault::delay(Route::CreateKey, Duration::from_millis(300));
/// let lost = Fault::drop_connection(Route::CreateKey);
/// # drop((twice_503, slow, lost));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    route: Route,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    drop_connection: bool,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    fn new(route: Route) -> Self {
        Fault {
            route,
            status: None,
            retry_after: None,
            delay_ms: 0,
            drop_connection: false,
            times: 1,
        }
    }

    /// Answer `status` instead of serving the request (an API route gets a
    /// Cloudflare envelope with error code `status`).
    pub fn status(route: Route, status: u16) -> Self {
        Fault {
            status: Some(status),
            ..Fault::new(route)
        }
    }

    /// Wait this long, then serve the request normally (or play the rest of
    /// the fault).
    pub fn delay(route: Route, delay: Duration) -> Self {
        Fault::new(route).with_delay(delay)
    }

    /// Close the connection without an answer (after the request arrived).
    pub fn drop_connection(route: Route) -> Self {
        Fault {
            drop_connection: true,
            ..Fault::new(route)
        }
    }

    /// Add a `Retry-After: secs` header to the status answer.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Wait this long before the fault plays.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Play this many times (default once).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// The route it applies to.
    pub fn route(&self) -> Route {
        self.route
    }
}

/// One request as the emulator logged it: never a credential, a key, or a
/// token or a part of one (any path segment that could hold one is shown as
/// `<token>`, wherever it is), and at most 1 KiB of path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    method: String,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<Route>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<KeyId>,
    status: Option<u16>,
    decision: String,
}

impl LoggedRequest {
    /// `GET`, `POST`, ...
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, without the query: every segment that could hold a token
    /// (three dot-separated parts, or over 40 bytes once percent-decoded)
    /// replaced by `<token>`, the first segment of a playback path always
    /// unless it is a video id, and cut at 1,024 bytes ending `<cut>`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The route, when the path is one of the API's or the edge's.
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// The kid a playback token named, when it could be read.
    pub fn kid(&self) -> Option<&KeyId> {
        self.kid.as_ref()
    }

    /// The status answered; `None` when the connection was dropped.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// What was decided: `ok`, `public`, a [`Refusal`] value, `unauthorized`,
    /// `forbidden`, `rate-limited`, `fault`, `dropped`, or an API error name.
    pub fn decision(&self) -> &str {
        &self.decision
    }
}
