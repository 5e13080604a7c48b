//! The HTTP client: authentication, requests, retries and time limits.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::{DeserializeOwned, IgnoredAny};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use base64::Engine as _;

use super::error::{Scrubber, refused};
use super::types::{
    CreatedKey, CreatedKeyAnswer, KeyInfo, TokenFlags, TokenRequest, TokenResult, key_path,
    keys_path, parse_retry_after, split_created_answer, token_path,
};
use super::wire::Envelope;
use crate::b64::URL_SAFE_NO_PAD;
use crate::claims::{Claims, TokenOptions, within_max_lifetime};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::jws;
use crate::telemetry;
use crate::token::Token;

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

const USER_AGENT: &str = concat!("cf-stream-token/", env!("CARGO_PKG_VERSION"));

/// Read an environment variable through `var`, treating blank as unset.
pub(crate) fn env_value(var: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Visible ASCII only: what an HTTP header value can carry unchanged, and
/// what API tokens and keys are made of.
fn is_header_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// How requests authenticate: an API token (preferred) or an account email
/// and the global API key (legacy).
///
/// The token and the key are held in [`SecretString`]s and go out only in
/// headers marked sensitive; `Debug` shows which form is used, never a value.
pub struct Credentials {
    auth: Auth,
}

enum Auth {
    Token(SecretString),
    GlobalKey { email: String, key: SecretString },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.auth {
            Auth::Token(_) => "Credentials::ApiToken(<redacted>)",
            Auth::GlobalKey { .. } => "Credentials::GlobalApiKey(<redacted>)",
        })
    }
}

impl Credentials {
    /// An API token, sent as `Authorization: Bearer`. It needs "Stream
    /// Write" to create and delete keys and tokens ("Stream Read" lists).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredentials`] when the token is empty or has
    /// characters other than visible ASCII.
    pub fn api_token(token: impl Into<SecretString>) -> Result<Self> {
        let token = token.into();
        if !is_header_token(token.expose_secret()) {
            return Err(ErrorKind::InvalidCredentials { what: "API token" }.into());
        }
        Ok(Credentials {
            auth: Auth::Token(token),
        })
    }

    /// The account email and global API key, sent as `X-Auth-Email` and
    /// `X-Auth-Key`. Prefer [`Credentials::api_token`]: a global key can do
    /// anything the user can.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredentials`] when either is empty or has
    /// characters other than visible ASCII.
    pub fn global_api_key(email: impl Into<String>, key: impl Into<SecretString>) -> Result<Self> {
        let email = email.into();
        let key = key.into();
        if !is_header_token(&email) {
            return Err(ErrorKind::InvalidCredentials { what: "email" }.into());
        }
        if !is_header_token(key.expose_secret()) {
            return Err(ErrorKind::InvalidCredentials {
                what: "global API key",
            }
            .into());
        }
        Ok(Credentials {
            auth: Auth::GlobalKey { email, key },
        })
    }

    /// From the process environment: `CLOUDFLARE_API_TOKEN`, or else
    /// `CLOUDFLARE_EMAIL` and `CLOUDFLARE_API_KEY`.
    ///
    /// # Errors
    /// As [`Credentials::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// As [`Credentials::from_env`], reading variables through `var` (for
    /// tests, or configuration that is not the process environment). Blank
    /// values count as unset; surrounding whitespace is dropped.
    ///
    /// # Errors
    /// [`ErrorKind::MissingCredentials`] when neither form is complete, and
    /// [`ErrorKind::InvalidCredentials`] as the explicit constructors.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        if let Some(token) = env_value(&var, "CLOUDFLARE_API_TOKEN") {
            return Self::api_token(token);
        }
        match (
            env_value(&var, "CLOUDFLARE_EMAIL"),
            env_value(&var, "CLOUDFLARE_API_KEY"),
        ) {
            (Some(email), Some(key)) => Self::global_api_key(email, key),
            _ => Err(ErrorKind::MissingCredentials.into()),
        }
    }

    /// What a server's text must not repeat: the secret values (matched
    /// in part) and the email (matched whole).
    pub(crate) fn scrubber(&self) -> Scrubber<'_> {
        match &self.auth {
            Auth::Token(token) => Scrubber {
                secrets: vec![token.expose_secret()],
                plain: Vec::new(),
            },
            Auth::GlobalKey { email, key } => Scrubber {
                secrets: vec![key.expose_secret()],
                plain: vec![email.as_str()],
            },
        }
    }

    fn apply(&self, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        Ok(match &self.auth {
            // `bearer_auth` marks the header sensitive.
            Auth::Token(token) => req.bearer_auth(token.expose_secret()),
            Auth::GlobalKey { email, key } => {
                let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                    Error::from(ErrorKind::InvalidCredentials {
                        what: "global API key",
                    })
                })?;
                value.set_sensitive(true);
                req.header("X-Auth-Email", email.as_str())
                    .header("X-Auth-Key", value)
            }
        })
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// Safe to repeat (GET, DELETE, the token call).
    Safe,
    /// Only while it certainly never reached the server, or was certainly
    /// refused (HTTP 429): creating a key, where a lost response would
    /// orphan a key whose private half is gone.
    UntilSent,
}

#[derive(Clone, Copy, Debug)]
struct RetryPolicy {
    max_retries: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
    max_retry_after: Duration,
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter": half of the step fixed, half
    /// random, so that clients that failed together do not retry together.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        let step = self
            .backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max);
        let half = step / 2;
        half + half.mul_f64(random_unit())
    }

    /// How long to wait before sending a request again after `retries`
    /// retries and a failure that allows `again`; `None` to give up: no
    /// retries left, a failure that is final, or a `Retry-After` longer
    /// than the cap (better to say so now than to sleep or hammer the API).
    fn delay(&self, again: Again, retries: u32) -> Option<Duration> {
        if retries >= self.max_retries {
            return None;
        }
        match again {
            Again::Never => None,
            Again::Refused {
                retry_after: Some(wait),
            } if wait > self.max_retry_after => None,
            Again::Refused {
                retry_after: Some(wait),
            } => Some(wait),
            Again::Backoff | Again::Refused { retry_after: None } => Some(self.backoff(retries)),
        }
    }
}

/// A uniform number in `[0, 1)`, from the system RNG.
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Configures a [`Client`]. Start with [`Client::builder`] or
/// [`ClientBuilder::from_env`].
#[must_use]
pub struct ClientBuilder {
    account: AccountId,
    credentials: Credentials,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account", &self.account)
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.retry.max_retries)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Everything from the process environment: `CLOUDFLARE_ACCOUNT_ID`, the
    /// credentials of [`Credentials::from_env`], and `CLOUDFLARE_BASE_URL`
    /// if set. Other settings keep their defaults and can still be changed.
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// As [`ClientBuilder::from_env`], reading variables through `var`.
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`] without `CLOUDFLARE_ACCOUNT_ID`,
    /// [`ErrorKind::InvalidAccountId`], and the errors of
    /// [`Credentials::from_env_with`].
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let account = env_value(&var, "CLOUDFLARE_ACCOUNT_ID").ok_or(ErrorKind::MissingConfig {
            name: "CLOUDFLARE_ACCOUNT_ID",
        })?;
        let account = AccountId::new(&account)?;
        Self::from_env_for_with(account, var)
    }

    /// For `account`, given by the caller (a command line, a configuration
    /// file), with everything else from the process environment: the
    /// credentials of [`Credentials::from_env`] and `CLOUDFLARE_BASE_URL`
    /// if set. `CLOUDFLARE_ACCOUNT_ID` is not read.
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env_for_with`].
    pub fn from_env_for(account: AccountId) -> Result<Self> {
        Self::from_env_for_with(account, |name| std::env::var(name).ok())
    }

    /// As [`ClientBuilder::from_env_for`], reading variables through `var`.
    ///
    /// # Errors
    /// The errors of [`Credentials::from_env_with`].
    pub fn from_env_for_with(
        account: AccountId,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let credentials = Credentials::from_env_with(&var)?;
        let builder = Client::builder(account, credentials);
        Ok(match env_value(&var, "CLOUDFLARE_BASE_URL") {
            Some(url) => builder.base_url(url),
            None => builder,
        })
    }

    /// The API base URL (default [`DEFAULT_BASE_URL`]). Must be `https`,
    /// except to a loopback address (a test server); no credentials, query
    /// or fragment. Checked by [`build`](Self::build).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Longest wait for a connection to be established (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest wait for one attempt, from sending the request to the end of
    /// the response body (default 30 s). Retries get a fresh allowance each.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a retryable request is sent again (default 2; 0
    /// disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Backoff before the first retry, doubling for each further retry up to
    /// `max` (defaults 500 ms and 8 s); each wait is jittered between half
    /// of its step and the full step.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.backoff_initial = initial;
        self.retry.backoff_max = max;
        self
    }

    /// The longest `Retry-After` honoured by sleeping (default 10 s,
    /// inclusive). When Cloudflare asks for longer, the error
    /// ([`ErrorKind::RateLimited`] or [`ErrorKind::ServerError`]) is returned
    /// at once, without another request.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.retry.max_retry_after = max;
        self
    }

    /// The clock for token expiries and `Retry-After` dates (default the
    /// system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Check the settings and make the client.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a bad base URL or a zero timeout, or
    /// when the TLS backend cannot be set up.
    pub fn build(self) -> Result<Client> {
        let base = check_base_url(&self.base_url)?;
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(ErrorKind::InvalidConfig {
                what: "timeouts must be longer than zero",
            }
            .into());
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // The API does not redirect; following one could carry the
            // credentials somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::with_source(
                    ErrorKind::InvalidConfig {
                        what: "the HTTP client could not be built",
                    },
                    e,
                )
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                account: self.account,
                credentials: self.credentials,
                retry: self.retry,
                clock: self.clock,
            }),
        })
    }
}

fn check_base_url(raw: &str) -> Result<String> {
    let bad = |what| Error::from(ErrorKind::InvalidConfig { what });
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|_| bad("base URL is not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("base URL must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("base URL must not have a query or fragment"));
    }
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(bad(
                "base URL must be https (plain http only to a loopback address)",
            ));
        }
        _ => return Err(bad("base URL must be https")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// An async client for the Stream signing-key and token endpoints of the
/// Cloudflare API, for one account.
///
/// Cheap to clone (the connection pool and settings are shared). Every call
/// has a connect timeout and an overall timeout; calls that are safe to
/// repeat are retried on connection errors, timeouts, 408, 429 and 5xx with
/// jittered exponential backoff, honouring `Retry-After` up to a cap.
/// Creating a key is never repeated once the request may have reached
/// Cloudflare.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    account: AccountId,
    credentials: Credentials,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("account", &self.inner.account)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Configure a client for `account`, authenticating with `credentials`.
    /// Defaults: Cloudflare's base URL, 10 s connect timeout, 30 s overall
    /// timeout, 2 retries, backoff from 500 ms to 8 s, `Retry-After` honoured
    /// up to 10 s, the system clock.
    pub fn builder(account: AccountId, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            account,
            credentials,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy {
                max_retries: 2,
                backoff_initial: Duration::from_millis(500),
                backoff_max: Duration::from_secs(8),
                max_retry_after: Duration::from_secs(10),
            },
            clock: Arc::new(SystemClock),
        }
    }

    /// A client configured from the process environment with the defaults;
    /// see [`ClientBuilder::from_env`].
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env`] and [`ClientBuilder::build`].
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// The account this client works on.
    pub fn account(&self) -> &AccountId {
        &self.inner.account
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// Create a signing key: `POST /accounts/{account_id}/stream/keys`.
    ///
    /// The answer holds the key's private half, which Cloudflare never shows
    /// again: save [`CreatedKey::secret_result_json`] before anything else.
    /// The key has been loaded and checked (as [`SigningKey::parse`](crate::SigningKey::parse)
    /// reads the saved text) before this returns `Ok`.
    ///
    /// Sent again only when it certainly created nothing: after a
    /// connection error that proves it never left, or an HTTP 429 (waiting
    /// its `Retry-After` up to the cap, else the backoff). Never after a
    /// timeout, a lost answer or a 5xx.
    ///
    /// # Errors
    /// - [`ErrorKind::CreatedKeyUnusable`] for a success answer that cannot
    ///   be used (metadata that does not parse, a key that does not load,
    ///   `pem` and `jwk` that disagree, a JWK `kid` that is not the `id`):
    ///   **a key now exists at Cloudflare**, and the answer as received is
    ///   in [`Error::secret_created_key_result`] so that it can still be
    ///   saved; delete the key with [`Client::delete_signing_key`] if it is
    ///   of no use.
    /// - [`ErrorKind::CreateOutcomeUnknown`] when the request was sent but
    ///   the answer was lost (timeout, broken connection): a key may exist;
    ///   [`Client::list_signing_keys`] shows it.
    /// - The API errors ([`ErrorKind::Unauthorized`],
    ///   [`ErrorKind::Forbidden`], [`ErrorKind::RateLimited`],
    ///   [`ErrorKind::ServerError`], [`ErrorKind::ApiError`], ...),
    ///   [`ErrorKind::Timeout`] (HTTP 408) and [`ErrorKind::Transport`]
    ///   (the request never left).
    pub async fn create_signing_key(&self) -> Result<CreatedKey> {
        let created = self.create_signing_key_raw().await?.check();
        if let Err(e) = &created {
            telemetry::create_key("unusable", Some(e));
        }
        created
    }

    /// Create a signing key as [`Client::create_signing_key`] does, but
    /// stop as soon as a success answer has arrived: its `result` as
    /// received, not yet parsed or checked, so that it can be saved before
    /// anything else happens. [`CreatedKeyAnswer::check`] then does every
    /// check `create_signing_key` does.
    ///
    /// # Errors
    /// As [`Client::create_signing_key`], except
    /// [`ErrorKind::CreatedKeyUnusable`], which comes from
    /// [`CreatedKeyAnswer::check`].
    pub async fn create_signing_key_raw(&self) -> Result<CreatedKeyAnswer> {
        let path = keys_path(&self.inner.account);
        let answer = async {
            let (status, body) = self
                .send(Method::POST, &path, Some(b"{}".to_vec()), Replay::UntilSent)
                .await?;
            split_created_answer(status.as_u16(), &body, &self.inner.credentials.scrubber())
        }
        .await;
        match &answer {
            Ok((_, None)) => telemetry::create_key("saved", None),
            Ok((_, Some(_))) => telemetry::create_key("unusable", None),
            Err(e) if matches!(e.kind(), ErrorKind::CreateOutcomeUnknown { .. }) => {
                telemetry::create_key("unknown", Some(e));
            }
            Err(e) => telemetry::create_key("refused", Some(e)),
        }
        let (kept, problem) = answer?;
        Ok(CreatedKeyAnswer::new(kept, problem, self.clone()))
    }

    /// What a server's text must not repeat, for checks that run after the
    /// answer has left the client.
    pub(crate) fn scrubber(&self) -> Scrubber<'_> {
        self.inner.credentials.scrubber()
    }

    /// List the account's signing keys: `GET /accounts/{account_id}/stream/keys`.
    ///
    /// # Errors
    /// The API errors, [`ErrorKind::Timeout`], [`ErrorKind::Transport`], and
    /// [`ErrorKind::InvalidResponse`] for an answer that is not a list of
    /// entries with a valid `id`. An entry whose `created` is missing or
    /// not RFC 3339 is listed all the same ([`KeyInfo::created`] is `None`).
    pub async fn list_signing_keys(&self) -> Result<Vec<KeyInfo>> {
        let path = keys_path(&self.inner.account);
        let mut keys: Vec<KeyInfo> = self
            .call(Method::GET, &path, None, Replay::Safe)
            .await?
            .ok_or_else(missing_result)?;
        let scrubber = self.inner.credentials.scrubber();
        keys.iter_mut().for_each(|k| k.scrub(&scrubber));
        Ok(keys)
    }

    /// Delete a signing key, which revokes every token signed with it:
    /// `DELETE /accounts/{account_id}/stream/keys/{key_id}`.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown key, the other API errors,
    /// [`ErrorKind::Timeout`] and [`ErrorKind::Transport`].
    pub async fn delete_signing_key(&self, id: &KeyId) -> Result<()> {
        let path = key_path(&self.inner.account, id);
        let _: Option<IgnoredAny> = self.call(Method::DELETE, &path, None, Replay::Safe).await?;
        Ok(())
    }

    /// Have Cloudflare mint a token for `video`, as of the client's clock:
    /// `POST /accounts/{account_id}/stream/{video_uid}/token`. See
    /// [`Client::create_token_at`].
    ///
    /// # Errors
    /// As [`Client::create_token_at`].
    pub async fn create_token(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token> {
        self.create_token_at(self.now(), video, opts).await
    }

    /// Have Cloudflare mint a token for `video` with the same options as
    /// local minting, resolved against `now`. The 24-hour cap and every
    /// other check run before any request; the body carries `exp`, `nbf`,
    /// `downloadable` and `accessRules` only as set (and `flags` only with
    /// [`Client::create_token_with`]), never a key.
    ///
    /// The answer is accepted only if it is a compact RS256 JWS whose header
    /// names a key id (the payload's `kid`), with an RSA-sized signature,
    /// whose `sub` is `video`, whose `exp` is after `now` and at most 24
    /// hours after it, and whose `downloadable` and `accessRules` are
    /// exactly those asked for. **Its signature cannot be checked**: it is
    /// made with a key of Cloudflare's whose public half is not published.
    /// A token minted locally ([`crate::Signer`]) needs no such trust.
    ///
    /// Cloudflare advises this endpoint for low volume only (about 1,000
    /// tokens a day); above that, sign locally with [`crate::Signer`] or
    /// let [`crate::FallbackMinter`] cache tokens.
    ///
    /// # Errors
    /// The policy errors of [`TokenOptions`] (e.g.
    /// [`ErrorKind::ExpiryTooFar`]) before anything is sent; then the API
    /// errors, [`ErrorKind::Timeout`], [`ErrorKind::Transport`], and
    /// [`ErrorKind::InvalidResponse`] naming the mismatch when the answer
    /// is not what was asked: see [`Client::create_token_at`]'s checks.
    pub async fn create_token_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token> {
        self.create_token_with_at(now, video, opts, TokenFlags::new())
            .await
    }

    /// [`Client::create_token`] with the endpoint's API-only
    /// [`TokenFlags`] in the body (`flags.original`). The flags are
    /// Cloudflare's to act on: they are not claims of the token and are not
    /// checked in its answer.
    ///
    /// # Errors
    /// As [`Client::create_token_at`].
    pub async fn create_token_with(
        &self,
        video: &VideoId,
        opts: &TokenOptions,
        flags: TokenFlags,
    ) -> Result<Token> {
        self.create_token_with_at(self.now(), video, opts, flags)
            .await
    }

    /// [`Client::create_token_with`] as of `now`.
    ///
    /// # Errors
    /// As [`Client::create_token_at`].
    pub async fn create_token_with_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
        flags: TokenFlags,
    ) -> Result<Token> {
        let crate::ResolvedTimes { exp, nbf } = opts.resolve_at(now)?;
        let body = serde_json::to_vec(&TokenRequest {
            exp,
            nbf,
            downloadable: opts.downloadable(),
            access_rules: opts.access_rules(),
            flags,
        })
        .expect("the token request serialises");
        let path = token_path(&self.inner.account, video);
        let result: TokenResult = self
            .call(Method::POST, &path, Some(body), Replay::Safe)
            .await?
            .ok_or_else(missing_result)?;
        let compact = result.token.trim().to_owned();
        let claims = check_remote_token(&compact, now, video, opts)?;
        Ok(Token::from_parts(compact, claims))
    }

    /// Send a request, retrying as `replay` allows, and open the envelope.
    /// `Ok(None)` when a successful envelope has no `result`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        replay: Replay,
    ) -> Result<Option<T>> {
        let (status, bytes) = self.send(method, path, body, replay).await?;
        open_envelope(status, &bytes, &self.inner.credentials.scrubber())
    }

    /// Send a request, retrying as `replay` allows: the status and body of
    /// a 2xx answer; any other status is the API error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        replay: Replay,
    ) -> Result<(StatusCode, Zeroizing<Vec<u8>>)> {
        let url = format!("{}{}", self.inner.base, path);
        let policy = self.inner.retry;
        let call = telemetry::api_call(method.as_str(), path);
        let mut retries = 0u32;
        let attempts = async {
            loop {
                let span = telemetry::api_attempt(retries + 1);
                let answer = telemetry::instrument(
                    self.attempt(&method, &url, body.as_deref(), replay),
                    span.clone(),
                )
                .await;
                let failure = match answer {
                    Ok(answer) => {
                        telemetry::attempt_done(&span, Some(answer.0.as_u16()), None);
                        return Ok(answer);
                    }
                    Err(failure) => failure,
                };
                telemetry::attempt_done(&span, None, Some(&failure.error));
                let Some(wait) = policy.delay(failure.again, retries) else {
                    return Err(failure.error);
                };
                telemetry::retrying(retries + 1, wait);
                tokio::time::sleep(wait).await;
                retries += 1;
            }
        };
        let result = telemetry::instrument(attempts, call.clone()).await;
        telemetry::call_done(&call, retries + 1, result.as_ref().err());
        result
    }

    /// One request and its answer: the status and body of a 2xx answer, or
    /// the error with whether (and after how long) it may be sent again.
    async fn attempt(
        &self,
        method: &Method,
        url: &str,
        body: Option<&[u8]>,
        replay: Replay,
    ) -> std::result::Result<(StatusCode, Zeroizing<Vec<u8>>), Failure> {
        let inner = &*self.inner;
        let mut req = inner
            .http
            .request(method.clone(), url)
            .header(ACCEPT, "application/json");
        req = inner.credentials.apply(req).map_err(Failure::last)?;
        if let Some(body) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }

        let response = req.send().await.map_err(|e| {
            // A connect error means the request never left; any other
            // failure may have happened after it arrived.
            let again = match replay {
                Replay::Safe => !e.is_builder(),
                Replay::UntilSent => e.is_connect(),
            };
            let error = if replay == Replay::UntilSent && !e.is_connect() && !e.is_builder() {
                outcome_unknown(e)
            } else {
                transport_error(e)
            };
            Failure {
                error,
                again: if again { Again::Backoff } else { Again::Never },
            }
        })?;

        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, inner.clock.now()));
        let bytes = match response.bytes().await {
            // Zeroized when dropped: a created key's answer holds its
            // private half.
            Ok(bytes) => Zeroizing::new(Vec::from(bytes)),
            Err(e) => {
                if replay == Replay::Safe {
                    return Err(Failure {
                        error: transport_error(e),
                        again: Again::Backoff,
                    });
                }
                // The status arrived but not the body: for a created key,
                // that body held its private half.
                return Err(Failure::last(if status.is_success() {
                    outcome_unknown(e)
                } else {
                    transport_error(e)
                }));
            }
        };

        if status.is_success() {
            return Ok((status, bytes));
        }
        let error = refused(
            status.as_u16(),
            retry_after,
            &bytes,
            &inner.credentials.scrubber(),
        );
        // A 429 is a definite refusal: nothing was done, so even a key
        // creation may be sent again.
        let retryable = match replay {
            Replay::Safe => {
                status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            Replay::UntilSent => status == StatusCode::TOO_MANY_REQUESTS,
        };
        Err(Failure {
            error,
            again: if retryable {
                Again::Refused { retry_after }
            } else {
                Again::Never
            },
        })
    }
}

/// An attempt that failed.
struct Failure {
    error: Error,
    again: Again,
}

impl Failure {
    /// A failure after which the request is not sent again.
    fn last(error: Error) -> Self {
        Failure {
            error,
            again: Again::Never,
        }
    }
}

/// Whether a failed attempt may be repeated, and what sets the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Again {
    Never,
    /// After the backoff (a connection or body that failed).
    Backoff,
    /// After the server's `Retry-After` if it sent one (within the cap),
    /// else the backoff.
    Refused {
        retry_after: Option<Duration>,
    },
}

/// Check a token from the token endpoint against what was asked. Nothing
/// in it is echoed: every refusal is a fixed text naming the mismatch.
fn check_remote_token(
    compact: &str,
    now: OffsetDateTime,
    video: &VideoId,
    opts: &TokenOptions,
) -> Result<Claims> {
    let invalid = |what| Error::from(ErrorKind::InvalidResponse { what });
    // Read as the verifier reads a token (crate::jws), without the key.
    let not_a_token = |_| invalid("result is not a Stream token");
    let parts = jws::split(compact).map_err(not_a_token)?;
    let claims = jws::claims(parts.payload).map_err(not_a_token)?;
    jws::with_header(parts.header, |header| {
        if header.alg != "RS256" {
            return Err(invalid("token algorithm is not RS256"));
        }
        if header.has_crit() {
            return Err(invalid("token header has critical extensions"));
        }
        match header.kid_str() {
            None => Err(invalid("token header has no kid")),
            Some(kid) if kid == claims.kid.as_str() => Ok(()),
            Some(_) => Err(invalid("token header kid is not the payload kid")),
        }
    })
    .map_err(|e| match e.kind() {
        ErrorKind::MalformedToken { .. } => invalid("result is not a Stream token"),
        _ => e,
    })?;
    // RS256 with a 2048- to 8192-bit key: 256 to 1024 bytes.
    let sig_len = URL_SAFE_NO_PAD
        .decode(parts.signature)
        .map_or(0, |s| s.len());
    if !(256..=1024).contains(&sig_len) {
        return Err(invalid("token signature is not an RS256 signature"));
    }
    if claims.video() != video {
        return Err(invalid("token is for another video"));
    }
    let now = now.unix_timestamp();
    if claims.exp() <= now {
        return Err(invalid("token has already expired"));
    }
    if !within_max_lifetime(claims.exp().saturating_sub(now)) {
        return Err(invalid("token expires more than 24 hours ahead"));
    }
    if claims.downloadable() != opts.downloadable() {
        return Err(invalid("token downloadable is not what was asked"));
    }
    if claims.access_rules() != opts.access_rules() {
        return Err(invalid("token access rules are not those asked"));
    }
    Ok(claims)
}

/// A create-key request that may have arrived, without its answer.
fn outcome_unknown(e: reqwest::Error) -> Error {
    Error::with_source(
        ErrorKind::CreateOutcomeUnknown {
            timed_out: e.is_timeout(),
        },
        e,
    )
}

fn missing_result() -> Error {
    ErrorKind::InvalidResponse {
        what: "success without a result",
    }
    .into()
}

fn transport_error(e: reqwest::Error) -> Error {
    // The error names the URL, which holds ids only: the base URL is refused
    // if it carries credentials, and secrets travel in headers.
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    Error::with_source(kind, e)
}

/// A 2xx body: `result` of a successful envelope, the API error of
/// `success: false`. The body of a successful response may hold a private
/// key or a token, so it is never kept in an error.
pub(crate) fn open_envelope<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    scrubber: &Scrubber<'_>,
) -> Result<Option<T>> {
    let invalid = |what| Error::from(ErrorKind::InvalidResponse { what });
    match serde_json::from_slice::<Envelope<T>>(body) {
        Ok(env) => match env.success {
            Some(true) => Ok(env.result),
            Some(false) => Err(refused(status.as_u16(), None, body, scrubber)),
            None => Err(invalid("body is not an API envelope")),
        },
        Err(_) => match serde_json::from_slice::<Envelope<IgnoredAny>>(body) {
            Ok(env) if env.success == Some(false) => {
                Err(refused(status.as_u16(), None, body, scrubber))
            }
            Ok(env) if env.success == Some(true) => {
                Err(invalid("result is not of the documented shape"))
            }
            _ => Err(invalid("body is not an API envelope")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert_eq!(
            check_base_url("https://api.cloudflare.com/client/v4/").unwrap(),
            "https://api.cloudflare.com/client/v4"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_base_url("http://[::1]:8080/x").unwrap(),
            "http://[::1]:8080/x"
        );
        assert!(check_base_url("http://localhost:1/").is_ok());
        for bad in [
            "api.cloudflare.com",
            "http://api.cloudflare.com/client/v4",
            "https://user:pass@api.cloudflare.com/client/v4",
            "https://api.cloudflare.com/client/v4?x=1",
            "https://api.cloudflare.com/client/v4#f",
            "ftp://api.cloudflare.com/",
        ] {
            assert!(
                matches!(
                    check_base_url(bad).unwrap_err().kind(),
                    ErrorKind::InvalidConfig { .. }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let p = RetryPolicy {
            max_retries: 5,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(10),
        };
        for _ in 0..50 {
            let b0 = p.backoff(0);
            assert!(b0 >= Duration::from_millis(50) && b0 <= Duration::from_millis(100));
            let b2 = p.backoff(2);
            assert!(b2 >= Duration::from_millis(200) && b2 <= Duration::from_millis(400));
            let b9 = p.backoff(40);
            assert!(b9 >= Duration::from_millis(500) && b9 <= Duration::from_millis(1000));
        }
    }

    /// One rule for every failure: no retries left or a final failure give
    /// up; a Retry-After within the cap is the wait, over it gives up; else
    /// the backoff.
    #[test]
    fn retry_delay_rule() {
        let p = RetryPolicy {
            max_retries: 2,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(10),
        };
        let after = |secs| Again::Refused {
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(p.delay(Again::Never, 0), None);
        assert_eq!(p.delay(after(10), 0), Some(Duration::from_secs(10)));
        assert_eq!(p.delay(after(11), 0), None);
        assert_eq!(p.delay(after(0), 1), Some(Duration::ZERO));
        assert_eq!(p.delay(after(0), 2), None);
        assert_eq!(p.delay(Again::Backoff, 2), None);
        for again in [Again::Backoff, Again::Refused { retry_after: None }] {
            let wait = p.delay(again, 1).unwrap();
            assert!(wait >= Duration::from_millis(100) && wait <= Duration::from_millis(200));
        }
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let t = Credentials::api_token("tok-SECRET-123").unwrap();
        assert_eq!(format!("{t:?}"), "Credentials::ApiToken(<redacted>)");
        let g = Credentials::global_api_key("me@example.com", "KEYSECRET").unwrap();
        assert_eq!(format!("{g:?}"), "Credentials::GlobalApiKey(<redacted>)");
        for bad in ["", "has space", "line\nbreak", "caf\u{e9}"] {
            assert_eq!(
                Credentials::api_token(bad).unwrap_err().kind(),
                &ErrorKind::InvalidCredentials { what: "API token" }
            );
        }
    }

    #[test]
    fn credentials_from_env() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = env(&[
            ("CLOUDFLARE_API_TOKEN", " tok \n"),
            ("CLOUDFLARE_EMAIL", "me@example.com"),
            ("CLOUDFLARE_API_KEY", "k"),
        ]);
        let c = Credentials::from_env_with(both).unwrap();
        assert!(matches!(&c.auth, Auth::Token(t) if t.expose_secret() == "tok"));
        let global = env(&[
            ("CLOUDFLARE_API_TOKEN", "  "),
            ("CLOUDFLARE_EMAIL", "me@example.com"),
            ("CLOUDFLARE_API_KEY", "k"),
        ]);
        let c = Credentials::from_env_with(global).unwrap();
        assert!(matches!(&c.auth, Auth::GlobalKey { email, .. } if email == "me@example.com"));
        let half = env(&[("CLOUDFLARE_EMAIL", "me@example.com")]);
        assert_eq!(
            Credentials::from_env_with(half).unwrap_err().kind(),
            &ErrorKind::MissingCredentials
        );
    }
}
