//! Mint Cloudflare Stream signed-URL tokens offline, from a signing key you
//! hold, and verify them.
//!
//! A Stream video that requires signed URLs plays only through a URL that
//! carries an RS256 JWT naming the video (`sub`), the signing key (`kid`) and
//! an expiry (`exp`), optionally a not-before (`nbf`), download permission and
//! access rules. This crate parses the key once, then mints each token with
//! one RSA signature and next to nothing else.
//!
//! ```
//! use std::time::Duration;
//! use cf_stream_token::{Hls, PlaybackTemplate, Signer, SigningKey, StreamHost, Surface, TokenOptions};
//!
//! // At start-up. In production: SigningKey::from_env()? (CF_STREAM_SIGNING_KEY).
//! let signer = Signer::new(SigningKey::from_file("fixtures/demo/demo_create_result.json", None)?);
//! let template = PlaybackTemplate::builder(StreamHost::customer_code("abc123")?)
//!     .options(TokenOptions::builder().lifetime(Duration::from_secs(2 * 3600)).build()?)
//!     .surface(Surface::Hls(Hls::new()))
//!     .build()?;
//!
//! // Per request: one signature, the URL back.
//! let urls = template.mint(&signer, &"ea95132c15732412d22c1476fa83f27a".parse()?)?;
//! let hls: &str = urls.hls().unwrap();
//! # assert!(hls.ends_with("/manifest/video.m3u8"));
//! # Ok::<(), cf_stream_token::Error>(())
//! ```
//!
//! # In a web backend
//!
//! - Minting is one RSA-2048 signature, about a quarter of a millisecond of
//!   CPU: fine to call on an async worker. Reach for `spawn_blocking` only
//!   when one request mints many tokens or the runtime has one thread.
//! - A response carrying tokens or signed URLs is a bearer credential until
//!   it expires: send it with `Cache-Control: no-store`.
//! - With feature `axum`, a handler's `video: VideoId` argument is the
//!   route's path parameter, checked: a bad id is answered with the crate's
//!   JSON error (400) before the handler runs. ([`VideoId`] also
//!   deserialises with its check, for `Path<(…)>` and JSON bodies.)
//! - [`Error::http_status`] maps every kind to 400, 401, 503 or 500 (the
//!   table is in its docs), [`ErrorKind::name`] is a stable name, and with
//!   feature `axum` an [`Error`] is an `IntoResponse` (a 401 with
//!   `WWW-Authenticate: Bearer error="invalid_token"`).
//! - A token check route for one video uses [`Verifier::verify_for`]: a
//!   valid token of another video is [`ErrorKind::WrongVideo`].
//! - [`Claims`], [`Token`], [`SignedUrls`] (its URLs and `expires_at`) and
//!   `api::KeyInfo` serialise;
//!   [`TokenOptions`] deserialise from a config file with every check;
//!   [`AccessRule`] parses `allow:country=GB`; [`parse_duration`] reads `1h30m`.
//! - Tokens and keys are trimmed; a line break inside a token is
//!   [`ErrorKind::MalformedToken`].
//! - [`time`] is re-exported: its types, functions and methods
//!   (`cf_stream_token::time::OffsetDateTime::now_utc()`) need no `time`
//!   dependency of your own. Its macros do: `datetime!` and the rest of
//!   `time::macros` expand to paths that start with `::time`, so they fail
//!   to compile (E0433) in a crate without `time = { version = "0.3",
//!   features = ["macros"] }` among its own dependencies.
//! - On docs.rs every feature-gated item shows the feature it needs.
//!
//! # Key forms
//!
//! [`SigningKey::parse`] detects the form; explicit constructors exist for
//! each: PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), PKCS#8 PEM (`BEGIN PRIVATE
//! KEY`), DER of either, standard base64 of either PEM (Cloudflare's `pem`
//! field), a private RSA JWK and base64 of it (Cloudflare's `jwk` field), and
//! the create-key response (`result` object or whole envelope). Each bad input
//! is refused with its own [`ErrorKind`].
//!
//! # Access rules and playback URLs
//!
//! [`AccessRule`] restricts a token by country or network, in Cloudflare's
//! exact JSON and checked when the options are built (at most five rules,
//! assigned ISO 3166-1 codes, addresses and CIDRs that parse).
//! [`PlaybackUrls`] puts one token, one signature, into the URL of every
//! surface you ask for (player, watch page, HLS, DASH, thumbnails,
//! downloads, WebRTC), with typed, percent-encoded query parameters, and
//! makes the token downloadable when a download is among them. The surfaces,
//! their paths and parameters are one table, [`SurfaceKind`].
//!
//! # Token sources
//!
//! [`Signer`], [`CachingSigner`] (feature `cache`) and a keyring's
//! [`KeyringSigner`] are each a [`TokenSource`], and
//! [`PlaybackTemplate::mint`] and [`PlaybackUrls::mint`] take any of them
//! (also as `&dyn TokenSource` or `Arc<dyn TokenSource>`): a policy such as
//! the ring's maximum token lifetime is kept inside the source. Async
//! sources ([`FallbackMinter`], `WebCryptoSigner`) mint first, then hand the
//! token to [`PlaybackUrls::with_token`], which checks it fits the URLs.
//!
//! # Crate features
//!
//! No feature is on by default: the offline minter needs none.
//!
//! - `cache`: [`CachingSigner`], token reuse for identical requests behind a
//!   bounded concurrent cache (`moka`).
//! - `api`: the async Cloudflare API client in [`api`] (create, list and
//!   delete signing keys; have Cloudflare mint a token) on `reqwest` with
//!   rustls and `tokio`, and [`FallbackMinter`], which signs locally when a
//!   key is configured and otherwise mints through the API with a cache
//!   (`moka`'s async cache, with the freshness rule and settings of
//!   [`CachingSigner`]).
//! - `emulator`: `emulator::Emulator`, a local Stream for tests (the
//!   signing-key and token API in Cloudflare's shapes, and a playback edge
//!   that enforces tokens and says why it refused one) on `axum` and
//!   `tokio`; turns on `api`. Meant for dev-dependencies.
//! - `axum`: `impl axum::response::IntoResponse for Error`: the status of
//!   [`Error::http_status`] and `{"error": "<kind name>", "message":
//!   "<text>"}`, which never holds a secret; [`VideoId`] as an extractor.
//! - `cli`: the `cf-stream-token` command-line tool (turns on `api` and
//!   `emulator`; `clap`, `clap_complete` and `anyhow` live in the binary only).
//! - `tracing`: spans and events through `tracing` (API calls and their
//!   attempts, create-key outcomes, reloads of a [`ReloadingKeyring`], cache
//!   and fallback decisions, and at debug level each mint), never a token,
//!   signature, key, credential or URL. The crate installs no subscriber;
//!   without the feature it emits nothing.
//! - `webcrypto` (`wasm32-unknown-unknown` only; nothing on other targets):
//!   `WebCryptoSigner`, which signs through the JS runtime's WebCrypto
//!   (Cloudflare Workers, Node), asynchronously, with the same options, cap,
//!   errors and bytes as [`Signer`]. There `Signer`, `Verifier` and `hazmat`
//!   are absent (AWS-LC does not build for wasm32); key parsing and all its
//!   checks, claims, rules and URLs are the same code. See
//!   [`guide::workers`].
//!
//! # Guides
//!
//! The longer documents, each with examples run as doc tests:
//! [`guide::minting`] (key forms, access rules, playback URLs),
//! [`guide::api`] (the Cloudflare API client), [`guide::cli`] (the command
//! line's reference), [`guide::emulator`] (testing against a local Stream),
//! [`guide::rotation`] (rotating keys with a [`Keyring`]),
//! [`guide::security`] and [`guide::workers`] (Cloudflare Workers).
//!
//! # Security
//!
//! - **The 24-hour cap.** Cloudflare documents that `exp` may be at most 24
//!   hours after signing, but its edge does not check it. No option of this
//!   crate can produce a token whose `exp` is more than 24 hours after the
//!   signing clock's now; [`ErrorKind::ExpiryTooFar`] is returned instead.
//! - **Key hygiene.** Keys are checked in full when loaded (size at least 2048
//!   bits, exponent, CRT consistency, the ROCA fingerprint), are not `Clone`,
//!   show only their key id in `Debug`, and every decoded buffer holding
//!   private material is zeroized on drop. Errors name the problem, never key
//!   material. A token is a bearer credential: its `Debug` redacts the
//!   signature.
//! - **Backend.** Signing uses AWS-LC (`aws-lc-rs`): constant-time, blinded
//!   RSA. The pure-Rust `rsa` crate is not used (RUSTSEC-2023-0071).
//! - **Verification** pins RS256: `none`, HS256 and any other `alg` are
//!   refused whatever key is configured; so is any `crit` header member
//!   (`null` included), a header that is not a JSON object, a repeated
//!   member name in the header or payload (the same for
//!   [`dangerous::decode_unverified`]), and a string `exp`/`nbf` that is not
//!   plain ASCII digits.
//! - **Dangerous calls live in named modules.** [`hazmat::sign_rs256`]
//!   signs any bytes, so it bypasses the 24-hour cap and every check on the
//!   token; [`dangerous::decode_unverified`] reads a token without checking
//!   anything. Nothing at the crate root does either.
//! - **Every token fits a URL.** [`TokenOptionsBuilder::build`] refuses
//!   options whose tokens could pass [`MAX_TOKEN_LEN`]
//!   ([`ErrorKind::TokenTooLong`]), a bound for any key, key id and clock, so
//!   minting measures nothing; [`PlaybackUrls`] refuses URLs that could pass
//!   Cloudflare's 16 KB ([`MAX_URL_LEN`], [`ErrorKind::UrlTooLong`]); the
//!   verifier refuses tokens over the same [`MAX_TOKEN_LEN`].
//! - **Key input** in DER is read untrimmed (binary may end in a byte that is
//!   ASCII whitespace); more than one PEM key block is
//!   [`ErrorKind::MultipleKeys`].

#![cfg_attr(docsrs, feature(doc_cfg))]
// wasm32 without `webcrypto` has key parsing, claims, rules and URLs but no
// signer: the signing helpers they share with the signers are unused there.
#![cfg_attr(
    all(target_arch = "wasm32", not(feature = "webcrypto")),
    allow(dead_code)
)]

#[macro_use]
mod macros;

mod b64;
#[cfg(feature = "cache")]
mod cache;
mod claims;
mod clock;
pub mod dangerous;
mod decide;
mod duration;
mod error;
#[cfg(any(feature = "cache", feature = "api"))]
mod freshness;
pub mod hazmat;
mod http;
mod ids;
mod jws;
mod key;
// The keyring signs and verifies with the native backend (WebCrypto's
// signer is async and has no verifier yet), so it is native-only. Public as a
// module (`keyring::{Keyring, KeyState, ...}`); the main types are also at the root.
#[cfg(not(target_arch = "wasm32"))]
pub mod keyring;
// Sources that reload their keys while serving: a background std thread
// and an atomic swap, native like the keyring they hold.
#[cfg(not(target_arch = "wasm32"))]
pub mod reload;
// A service's keys from its environment: a ring or a key, reloaded from a file.
mod rules;
#[cfg(not(target_arch = "wasm32"))]
mod service_keys;
#[cfg(not(target_arch = "wasm32"))]
mod signer;
#[cfg(not(target_arch = "wasm32"))]
mod source;
// What the native sources report (feature `tracing`); nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
mod telemetry;
mod text;
mod token;
mod url;
// Every check but the signature's on every target; the native `Verifier`
// checks signatures with AWS-LC, which does not build for wasm32.
mod verify;
#[cfg(all(target_arch = "wasm32", feature = "webcrypto"))]
mod webcrypto;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub use crate::cache::{CachingSigner, CachingSignerBuilder};
#[cfg(any(feature = "cache", feature = "api"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "cache", feature = "api"))))]
pub use crate::freshness::{DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING_SHARE};
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub mod api;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub mod files;

pub use crate::claims::{
    Claims, DEFAULT_LIFETIME, MAX_LIFETIME, MAX_TOKEN_LEN, MAX_URL_LEN, ResolvedTimes,
    TokenOptions, TokenOptionsBuilder,
};
pub use crate::decide::{Decision, RulesExplanation, Viewer};
pub use crate::duration::parse_duration;
pub use crate::error::{Error, ErrorArea, ErrorKind, Result};
pub use crate::ids::{AccountId, KeyId, VideoId};
pub use crate::key::{KEY_FILE_LIMIT, PublicKey, SigningKey};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::keyring::{
    ACCOUNT_KEY_CAP, KEYRING_ENV, KEYRING_FILE_ENV, KEYRING_FILE_LIMIT, KeyEntry, KeyState,
    Keyring, KeyringSigner, Reconciliation,
};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::reload::{
    DEFAULT_RELOAD_INTERVAL, DocumentDigest, ReloadFailure, ReloadOutcome, ReloadStatus,
    ReloadingKey, ReloadingKeyBuilder, ReloadingKeyring, ReloadingKeyringBuilder, RingSnapshot,
    SecretSource,
};
pub use crate::rules::{AccessRule, Action, CountryCode, IpNetwork, MAX_ACCESS_RULES};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::service_keys::{RELOAD_INTERVAL_ENV, ServiceKeys};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::signer::Signer;
#[cfg(not(target_arch = "wasm32"))]
pub use crate::source::TokenSource;
pub use crate::token::Token;
pub use crate::url::{
    AnimatedThumbnail, Dash, Download, Fit, Hls, PlaybackTemplate, PlaybackTemplateBuilder,
    PlaybackUrls, PlaybackUrlsBuilder, SignedUrls, StreamHost, Surface, SurfaceKind, Thumbnail,
};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::verify::Verifier;
#[cfg(all(target_arch = "wasm32", feature = "webcrypto"))]
pub use crate::webcrypto::{WebCryptoSigner, WebCryptoVerifier};

/// The `time` crate this one takes and returns times in
/// ([`OffsetDateTime`](time::OffsetDateTime)), so that code using this
/// crate needs no dependency of its own on a matching version.
///
/// Except for its macros: `datetime!` and the rest of `time::macros` expand
/// to paths that start with `::time`, which resolve only in a crate that
/// depends on `time` itself (with feature `macros`); through this
/// re-export they fail with E0433.
pub use time;

#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub use crate::{
    api::fallback::{FallbackMinter, FallbackMinterBuilder},
    clock::{Clock, SystemClock},
};

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The guides of the repository's `docs/` folder, rendered here.
///
/// Their examples are compiled and run with the crate's doc tests (their
/// fixture paths are relative to `docs/`, where the guides live).
#[cfg(any(doc, doctest))]
pub mod guide {
    #[doc = include_str!("../docs/minting.md")]
    pub mod minting {}

    #[doc = include_str!("../docs/api.md")]
    pub mod api {}

    #[doc = include_str!("../docs/cli.md")]
    pub mod cli {}

    #[doc = include_str!("../docs/emulator.md")]
    pub mod emulator {}

    #[doc = include_str!("../docs/fleet.md")]
    pub mod fleet {}

    #[doc = include_str!("../docs/rotation.md")]
    pub mod rotation {}

    #[doc = include_str!("../docs/security.md")]
    pub mod security {}

    #[doc = include_str!("../docs/workers.md")]
    pub mod workers {}
}
