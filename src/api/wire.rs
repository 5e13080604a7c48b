//! The envelope every Cloudflare API answer comes in, and the create-key
//! answer an error keeps: wire shapes only, below both the request types
//! and the errors that read them.

use std::fmt;

use serde::Deserialize;
use zeroize::Zeroizing;

/// Cloudflare's error code for an authentication failure: what the client
/// reads as `Unauthorized`/`Forbidden` and what the emulator answers.
pub(crate) const CODE_AUTHENTICATION: i64 = 10000;

/// The signing-key endpoints' paths under the API base URL, as templates
/// (`{account}`, `{key}`, `{video}`): the client fills them in, the
/// emulator routes them (axum's path syntax).
/// `POST` (create) and `GET` (list).
pub(crate) const KEYS_PATH: &str = "/accounts/{account}/stream/keys";
/// `DELETE` (delete a key).
pub(crate) const KEY_PATH: &str = "/accounts/{account}/stream/keys/{key}";
/// `POST` (the token endpoint).
pub(crate) const TOKEN_PATH: &str = "/accounts/{account}/stream/{video}/token";

/// The envelope around every response. Missing members read as empty so that
/// a partial error body still yields its `errors`.
#[derive(Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) success: Option<bool>,
    #[serde(default)]
    pub(crate) errors: Vec<WireMessage>,
    pub(crate) result: Option<T>,
}

/// One `errors[]` / `messages[]` entry.
#[derive(Deserialize)]
pub(crate) struct WireMessage {
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) documentation_url: Option<String>,
    #[serde(default)]
    pub(crate) source: Option<WireSource>,
}

#[derive(Deserialize)]
pub(crate) struct WireSource {
    #[serde(default)]
    pub(crate) pointer: Option<String>,
}

/// The create-key answer's `result` (or whole body), kept in an
/// [`ErrorKind::CreatedKeyUnusable`] error as its source: zeroized on drop,
/// never shown. Reached through [`Error::secret_created_key_result`].
pub(crate) struct KeptResult(pub(crate) Zeroizing<String>);

impl KeptResult {
    /// The text kept. **Holds private key material.**
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeptResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeptResult(<redacted>)")
    }
}

impl fmt::Display for KeptResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the answer is kept in the error, not shown")
    }
}

impl std::error::Error for KeptResult {}
