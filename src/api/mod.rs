//! The Cloudflare API client (feature `api`): create, list and delete
//! signing keys, and have Cloudflare mint tokens.
//!
//! Tokens are best minted locally with a [`Signer`](crate::Signer): the API is
//! for managing keys, and for deployments that hold no key (see
//! [`FallbackMinter`](crate::FallbackMinter)).
//!
//! ```no_run
//! use cf_stream_token::api::{Client, Credentials};
//! use cf_stream_token::{AccountId, SigningKey, TokenOptions, VideoId};
//!
//! # async fn run() -> Result<(), cf_stream_token::Error> {
//! let account: AccountId = "023e105f4ecef8ad9ca31a8372d0c353".parse()?;
//! let client = Client::builder(account, Credentials::api_token("<API token>")?).build()?;
//! // Or: Client::from_env()? (CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, ...).
//!
//! // Cloudflare shows a key's private half once: save it before anything else.
//! let created = client.create_signing_key().await?;
//! std::fs::write("stream-key.json", created.secret_result_json()).expect("saved");
//! let key: SigningKey = created.into_signing_key()?;
//!
//! for info in client.list_signing_keys().await? {
//!     println!("{} created {}", info.id(), info.created_raw().unwrap_or("?"));
//! }
//!
//! let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
//! let remote = client.create_token(&video, &TokenOptions::default()).await?;
//! # drop((key, remote));
//! # Ok(())
//! # }
//! ```
//!
//! # Authentication
//!
//! An API token with "Stream Write" (`Authorization: Bearer`), or the
//! account email and global API key (`X-Auth-Email`/`X-Auth-Key`), given
//! explicitly ([`Credentials`]) or read from `CLOUDFLARE_API_TOKEN`, or
//! `CLOUDFLARE_EMAIL` and `CLOUDFLARE_API_KEY`. The account comes from
//! `CLOUDFLARE_ACCOUNT_ID` and the base URL (default [`DEFAULT_BASE_URL`])
//! from `CLOUDFLARE_BASE_URL`. [`Credentials::from_env_with`],
//! [`ClientBuilder::from_env_with`] and
//! [`FallbackMinterBuilder::from_env_with`](crate::FallbackMinterBuilder::from_env_with)
//! read the same variables through a closure instead of the process
//! environment.
//!
//! # Errors, retries and time limits
//!
//! Cloudflare's refusals map to [`ErrorKind`](crate::ErrorKind)s:
//! `Unauthorized` (401 or error code 10000), `Forbidden` (403: a missing
//! permission), `NotFound`,
//! `RateLimited { retry_after }`, `ServerError { status, retry_after }`,
//! `ApiError { status }`; and `Timeout`, `Transport`, `InvalidResponse`.
//! [`Error::api_details`](crate::Error::api_details) keeps the status, every
//! `errors[]` entry and, for a body that is not an envelope, the raw body.
//! Every text from the server is scrubbed of the configured credentials
//! and bounded (300 characters a message) before an error keeps it. No
//! error holds a token, key or credential, and the crate logs nothing.
//!
//! Each call has a connect timeout (10 s) and an overall timeout (30 s).
//! Listing, deleting and the token call are retried (twice by default) on
//! connection errors, timeouts, 408, 429 and 5xx with jittered exponential
//! backoff; a `Retry-After` (seconds or HTTP-date) up to 10 s is waited out,
//! a longer one returns the error at once. Creating a key is never sent
//! again once it may have reached Cloudflare (a 429, a definite refusal, is
//! waited out and sent again): a lost answer would orphan a key whose
//! private half cannot be read again, and is reported as
//! [`CreateOutcomeUnknown`](crate::ErrorKind::CreateOutcomeUnknown). A
//! success answer is never dropped: see [`Client::create_signing_key`]. All
//! of it is configurable on [`ClientBuilder`].
//!
//! Tokens from the token endpoint are checked against the request (see
//! [`Client::create_token_at`]) but their signature cannot be: Cloudflare
//! signs them with a key of its own whose public half is not published.

mod client;
mod error;
// Public at the crate root (`cf_stream_token::FallbackMinter`), its one path.
pub(crate) mod fallback;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
mod types;
mod wire;

pub use self::client::{Client, ClientBuilder, Credentials, DEFAULT_BASE_URL};
pub use self::error::{ApiErrorDetails, ApiMessage};
pub use self::types::{CreatedKey, CreatedKeyAnswer, KeyInfo, TokenFlags};
/// Re-exported so that secrets can be handed over without a direct dependency.
pub use secrecy::SecretString;
