//! The crate's one error type.
//!
//! # Design
//!
//! One [`Error`] for the whole crate, not one per module: a single call can
//! fail for reasons from several areas (jiff's argument). Minting playback
//! URLs can fail on the token policy, an access rule, a URL part or the
//! signing backend; a fallback mint on the policy, the key or the Cloudflare
//! API. One type lets such a call return `Result<T, Error>` without wrapping,
//! and lets a caller branch on the area with the predicates
//! ([`Error::is_key`], [`Error::is_policy`], [`Error::is_verification`],
//! `Error::is_api`, [`Error::is_transient`]) or on the exact reason with
//! [`Error::kind`].
//!
//! What to match on: [`ErrorKind`] (from [`Error::kind`]) and its fields.
//! The `Display` texts of [`Error`], [`ErrorKind`] and of any `source()`
//! are for people only: their wording may change in any release, so never
//! match on them.
//!
//! This module depends on nothing above it: what is specific to the
//! Cloudflare API (what Cloudflare answered, a kept create-key answer) is
//! reached through methods defined in `api/error.rs`.

use std::fmt;
use std::sync::Arc;

/// What went wrong, as one value to match on.
///
/// No variant carries key material or a token: only kinds, lengths, positions
/// and values that are public by nature (key ids, claim times, rule values).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- key loading ----
    /// The key input was empty or only whitespace.
    EmptyInput,
    /// The input is not in any key form this crate reads.
    NotAKey,
    /// A base64 layer could not be decoded; `layer` says which one.
    InvalidBase64 {
        /// The layer that failed: `"base64 wrapper"`, `"PEM body"` or a JWK member name.
        layer: &'static str,
    },
    /// A PEM block has no matching `END` line.
    TruncatedPem,
    /// The input holds more than one PEM key block: which one was meant
    /// cannot be known, so none is used.
    MultipleKeys {
        /// How many `BEGIN … KEY` blocks the input holds.
        count: usize,
    },
    /// A PEM block is encrypted (`Proc-Type`/`ENCRYPTED PRIVATE KEY`); decrypt it first.
    EncryptedPem,
    /// The DER structure of a key is malformed or cut short.
    InvalidDer {
        /// Which structure failed to parse.
        what: &'static str,
    },
    /// JSON input (a JWK or a create-key response) is not well formed.
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON is well formed but not of the expected shape.
    UnexpectedJson {
        /// What was expected.
        expected: &'static str,
    },
    /// The input holds only a public key where a private key is needed.
    PublicKeyOnly,
    /// The key is not an RSA key.
    NotRsa {
        /// The key type found (`"EC"`, `"Ed25519"`, `"oct"`, an OID, ...).
        found: String,
    },
    /// The RSA modulus is shorter than 2048 bits (RFC 7518 section 3.3).
    KeyTooSmall {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The RSA modulus is longer than 8192 bits.
    KeyTooLarge {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The public exponent is 1, even, or too large.
    InvalidExponent,
    /// The private key's numbers do not belong together (e.g. a wrong `dp`).
    InconsistentKey,
    /// The key is structurally valid but known to be weak.
    WeakKey {
        /// Why it is refused.
        reason: &'static str,
    },
    /// A private JWK lacks a member this crate requires.
    MissingJwkMember {
        /// The member's name.
        member: &'static str,
    },
    /// A JWK declares a use or algorithm other than RS256 signing.
    KeyUseMismatch {
        /// The member that disagrees (`"use"`, `"alg"`, `"key_ops"`).
        member: &'static str,
        /// Its value.
        value: String,
    },
    /// The key file could not be read (its name is not repeated: it may be
    /// key contents passed where a name belongs).
    KeyFileUnreadable {
        /// What the operating system said.
        io: std::io::ErrorKind,
    },
    /// A key file is larger than any key form (1 MiB).
    KeyFileTooLarge,
    /// A key setting holds what looks like a file path, not key contents.
    KeyLooksLikePath {
        /// Where the value came from (an environment variable name).
        name: &'static str,
    },
    /// Two-prime RSA only: multi-prime keys and other variants are refused.
    UnsupportedKey {
        /// What is unsupported.
        what: &'static str,
    },
    /// An explicit constructor was given another key form.
    WrongKeyForm {
        /// The form that constructor reads.
        expected: &'static str,
    },
    /// The key form carries no key id (PEM, DER) and none was given.
    KeyIdRequired,
    /// Two sources disagree about the key id.
    KeyIdMismatch {
        /// The key id given (or the create-key response's `id`).
        expected: String,
        /// The key id the key itself carries.
        found: String,
    },
    /// A create-key response's `pem` and `jwk` are not the same key.
    ResponseKeyMismatch,

    // ---- identifiers ----
    /// Not a Stream video UID (32 hexadecimal characters).
    InvalidVideoId,
    /// Not a usable key id (1 to 32 of `A-Z a-z 0-9 - _`).
    InvalidKeyId,

    // ---- token options and policy ----
    /// `exp` would be more than 24 hours after the signing clock's now.
    ExpiryTooFar {
        /// The requested expiry, unix seconds.
        exp: i64,
        /// The latest allowed expiry, unix seconds.
        max: i64,
    },
    /// `exp` is not after the signing clock's now.
    ExpiryNotInFuture {
        /// The requested expiry, unix seconds.
        exp: i64,
        /// The signing clock's now, unix seconds.
        now: i64,
    },
    /// `nbf` is not before `exp`.
    NotBeforeAfterExpiry {
        /// The requested not-before, unix seconds.
        nbf: i64,
        /// The expiry, unix seconds.
        exp: i64,
    },
    /// A lifetime or back-dating duration is zero, negative, or not whole seconds.
    InvalidDuration {
        /// Which option.
        what: &'static str,
    },
    /// A token lifetime longer than the 24-hour cap.
    LifetimeTooLong {
        /// The lifetime asked for, in seconds.
        seconds: u64,
    },
    /// A time is outside the range this crate represents.
    TimeOutOfRange,
    /// Tokens minted with these options could be longer than
    /// [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) (too many or too long access
    /// rules), too long for a URL Cloudflare serves.
    TokenTooLong {
        /// The bound on the token's length, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },

    // ---- access rules ----
    /// More than 5 access rules.
    TooManyRules {
        /// How many were given.
        count: usize,
    },
    /// A rule follows an `any` rule and could never match.
    RuleAfterAny {
        /// Zero-based index of the unreachable rule.
        index: usize,
    },
    /// A rule has an empty list of countries or addresses.
    EmptyRuleList {
        /// Zero-based index of the rule.
        index: usize,
    },
    /// Not an assigned ISO 3166-1 alpha-2 country code (nor `T1`/`XX`).
    InvalidCountryCode {
        /// The value given (cut to 64 characters).
        value: String,
    },
    /// Not an IPv4/IPv6 address or CIDR.
    InvalidIpNetwork {
        /// The value given (cut to 64 characters).
        value: String,
    },

    /// A text form (an access rule such as `allow:country=GB`, a duration
    /// such as `1h30m`) does not parse.
    InvalidSyntax {
        /// What was being read (`"access rule"`, `"duration"`).
        what: &'static str,
        /// The value given (cut to 64 characters).
        value: String,
        /// What is wrong, and the forms that are accepted.
        reason: &'static str,
    },

    // ---- playback URLs ----
    /// A playback URL part is invalid.
    InvalidUrlPart {
        /// Which part (`"customer code"`, `"host"`, `"filename"`, a query parameter).
        what: &'static str,
        /// The value given (cut to 64 characters).
        value: String,
    },
    /// A playback URL could be longer than the 16 KB Cloudflare serves
    /// ([`MAX_URL_LEN`](crate::MAX_URL_LEN)).
    UrlTooLong {
        /// The URL's length (or the bound on it), in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },

    // ---- verification ----
    /// The token is not a well-formed compact JWS with Stream claims.
    MalformedToken {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The token's `alg` is not RS256.
    WrongAlgorithm {
        /// The `alg` the token declares (cut to 16 characters).
        alg: String,
    },
    /// The token's `kid` (header or payload) is not this key's.
    WrongKey {
        /// The `kid` the token carries.
        kid: String,
    },
    /// The signature does not verify.
    BadSignature,
    /// The token has expired.
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The clock it was checked against.
        now: i64,
    },
    /// The token is not valid yet.
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The clock it was checked against.
        now: i64,
    },

    // ---- Cloudflare API ----
    // Produced only with the `api` feature. What Cloudflare said (status,
    // every `errors[]` entry, the raw body if undecodable) is reachable
    // through `Error::api_details` (defined in `api/error.rs`).
    /// Not a usable account id (1 to 32 of `A-Z a-z 0-9 - _`).
    InvalidAccountId,
    /// Neither an API token nor an email and global API key were given or
    /// found in the environment.
    MissingCredentials,
    /// A credential cannot be sent (empty, or not a valid HTTP header value).
    InvalidCredentials {
        /// Which credential.
        what: &'static str,
    },
    /// A required setting was neither given nor found in the environment.
    MissingConfig {
        /// The setting (an environment variable name).
        name: &'static str,
    },
    /// Cloudflare refused the credentials themselves: HTTP 401, or error
    /// code 10000 with a status other than 403. They are wrong, expired or
    /// revoked.
    Unauthorized,
    /// The credentials are valid but lack a permission the call needs
    /// (HTTP 403): "Stream Write" to create and delete keys and to mint
    /// tokens, "Stream Read" (or Write) to list keys.
    Forbidden,
    /// The account, key or video does not exist (HTTP 404).
    NotFound,
    /// Too many requests (HTTP 429). Returned at once, without sleeping,
    /// when Cloudflare asks for a longer wait than the client allows.
    RateLimited {
        /// How long Cloudflare asked to wait (`Retry-After`), if it said.
        retry_after: Option<std::time::Duration>,
    },
    /// Cloudflare failed (HTTP 5xx), after any retries.
    ServerError {
        /// The HTTP status.
        status: u16,
        /// How long Cloudflare asked to wait (`Retry-After`), if it said.
        retry_after: Option<std::time::Duration>,
    },
    /// Any other refusal: another 4xx, or `success: false`.
    ApiError {
        /// The HTTP status.
        status: u16,
    },
    /// The request timed out (connecting, or waiting for the whole
    /// response), or Cloudflare answered 408, after any retries.
    Timeout,
    /// The connection failed or broke, after any retries.
    Transport,
    /// A successful response that is not what the API documents.
    InvalidResponse {
        /// What is wrong with it.
        what: &'static str,
    },
    /// Cloudflare answered a create-key request with success, so a signing
    /// key now exists at Cloudflare, but the answer cannot be used as it
    /// came (its metadata does not parse, or the key does not load). The
    /// answer's `result` as received (or the whole body when it has none)
    /// is kept in the error, `Error::secret_created_key_result` (feature
    /// `api`), so that it can still be saved; delete the key when it is of
    /// no use.
    CreatedKeyUnusable {
        /// The new key's id, when the answer names a valid one.
        id: Option<String>,
        /// Why the key cannot be used.
        cause: Box<ErrorKind>,
    },
    /// A create-key request may have reached Cloudflare, but its answer was
    /// lost (a timeout, or a connection broken after the request was sent):
    /// a signing key may have been created; listing the keys shows it. Never
    /// retried, since its private half could not be read again.
    CreateOutcomeUnknown {
        /// Whether the request timed out (rather than lost its connection).
        timed_out: bool,
    },

    // ---- signing ----
    /// The cryptographic backend failed to sign.
    SigningFailed,

    // ---- configuration ----
    /// A setting is out of its range.
    InvalidConfig {
        /// Which setting, and its range.
        what: &'static str,
    },

    // ---- keyring ----
    /// A token's `kid` names no key of the keyring (a key that was
    /// retired, or one the ring never held).
    UnknownKey {
        /// The `kid` the token carries (always a valid key id).
        kid: String,
    },
    /// The token would outlive the keyring's maximum token lifetime (set
    /// lower than the 24-hour cap): the retirement horizon counts on it.
    TokenOutlivesRing {
        /// The requested expiry, unix seconds.
        exp: i64,
        /// The latest expiry the ring allows, unix seconds.
        max: i64,
    },
    /// A keyring document is malformed or breaks an invariant (exactly one
    /// current key, at most one next key, unique kids, the times each
    /// state needs).
    InvalidKeyring {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key of a keyring document does not load.
    KeyringKeyUnusable {
        /// The key's position in the document's `keys`, from 0.
        index: usize,
        /// Why it does not load.
        cause: Box<ErrorKind>,
    },
    /// The ring has no `next` key to promote.
    NoNextKey,
    /// The ring already has a `next` key: promote it before adding another.
    NextKeyExists {
        /// The next key's id.
        kid: String,
    },
    /// The next key is younger than the ring's minimum age for promotion.
    KeyTooYoung {
        /// The next key's id.
        kid: String,
        /// When it may be promoted, unix seconds.
        ready_at: i64,
    },
    /// A previous key's tokens may still be playing: it may be deleted
    /// only from its retirement horizon on.
    RetireTooEarly {
        /// The key's id.
        kid: String,
        /// Its retirement horizon, unix seconds.
        safe_at: i64,
    },
    /// The key is not in the keyring, or not in the state the operation
    /// needs.
    NotInKeyring {
        /// The key id asked for.
        kid: String,
    },
    /// Removing this key would leave the ring with no key to sign with.
    LastSigningKey {
        /// The current key's id.
        kid: String,
    },
    /// The keyring belongs to another Cloudflare account than the one
    /// given: one ring holds the keys of one account.
    KeyringAccountMismatch {
        /// The account the ring records.
        ring: String,
        /// The account given.
        given: String,
    },
    /// A keyring file could not be read.
    KeyringFileUnreadable {
        /// What the operating system said.
        io: std::io::ErrorKind,
    },
    /// A keyring file is larger than
    /// [`KEYRING_FILE_LIMIT`](crate::KEYRING_FILE_LIMIT) bytes: far more
    /// than the 1,000 keys an account can hold.
    KeyringFileTooLarge,
}

/// Longest caller-supplied value an error repeats back, in characters.
pub(crate) const ECHO_MAX_CHARS: usize = 64;

/// What a refused query parameter of a playback URL must be, for the
/// message: the rules `src/url.rs` enforces (its tests pin that these
/// texts name its bounds).
fn url_part_rule(what: &str) -> Option<&'static str> {
    Some(match what {
        "width" | "height" => "expected a whole number of pixels above zero",
        "fps" => "expected 1 to 15",
        "clientBandwidthHint" => "expected 0.001 to 1000 Mbps",
        _ => return None,
    })
}

/// A caller-supplied value as an error repeats it: at most `max` characters
/// (`…` marking a cut) and control characters shown as `?`, so an error
/// never grows with its input and nothing in it can break a log line.
pub(crate) fn echo(value: &str, max: usize) -> String {
    let mut chars = value.chars();
    let mut out: String = chars
        .by_ref()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The crate's error: an [`ErrorKind`] and, sometimes, an underlying cause.
///
/// `Clone` (the cause is shared through an `Arc`), so one failure can be
/// handed to every caller that waited on the same request. Match on
/// [`kind`](Error::kind), never on the `Display` text.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error { kind, source: None }
    }

    /// Attach a cause. Only causes whose messages cannot carry secrets go here
    /// (transport errors, I/O); never a parser error that quotes its input.
    #[allow(dead_code)] // used by optional features
    pub(crate) fn with_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error {
            kind,
            source: Some(Arc::new(source)),
        }
    }

    /// The cause, for the modules that know its concrete type (`api`).
    #[allow(dead_code)] // used by optional features
    pub(crate) fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Consume the error, keeping what went wrong.
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }

    /// The signing key could not be loaded or does not fit: every key-form,
    /// key-content and key-id-agreement kind ([`EmptyInput`], [`NotAKey`],
    /// [`InvalidBase64`], [`TruncatedPem`], [`MultipleKeys`],
    /// [`EncryptedPem`], [`InvalidDer`], [`InvalidJson`],
    /// [`UnexpectedJson`], [`PublicKeyOnly`], [`NotRsa`], [`KeyTooSmall`],
    /// [`KeyTooLarge`], [`InvalidExponent`], [`InconsistentKey`],
    /// [`WeakKey`], [`MissingJwkMember`], [`KeyUseMismatch`],
    /// [`KeyLooksLikePath`], [`KeyFileUnreadable`], [`KeyFileTooLarge`],
    /// [`UnsupportedKey`], [`WrongKeyForm`],
    /// [`KeyIdRequired`], [`KeyIdMismatch`], [`ResponseKeyMismatch`]).
    ///
    /// Not [`InvalidKeyId`] (a malformed identifier, whatever the key) nor
    /// [`CreatedKeyUnusable`] (an API outcome: see `is_api`).
    ///
    /// [`EmptyInput`]: ErrorKind::EmptyInput
    /// [`NotAKey`]: ErrorKind::NotAKey
    /// [`InvalidBase64`]: ErrorKind::InvalidBase64
    /// [`TruncatedPem`]: ErrorKind::TruncatedPem
    /// [`MultipleKeys`]: ErrorKind::MultipleKeys
    /// [`EncryptedPem`]: ErrorKind::EncryptedPem
    /// [`InvalidDer`]: ErrorKind::InvalidDer
    /// [`InvalidJson`]: ErrorKind::InvalidJson
    /// [`UnexpectedJson`]: ErrorKind::UnexpectedJson
    /// [`PublicKeyOnly`]: ErrorKind::PublicKeyOnly
    /// [`NotRsa`]: ErrorKind::NotRsa
    /// [`KeyTooSmall`]: ErrorKind::KeyTooSmall
    /// [`KeyTooLarge`]: ErrorKind::KeyTooLarge
    /// [`InvalidExponent`]: ErrorKind::InvalidExponent
    /// [`InconsistentKey`]: ErrorKind::InconsistentKey
    /// [`WeakKey`]: ErrorKind::WeakKey
    /// [`MissingJwkMember`]: ErrorKind::MissingJwkMember
    /// [`KeyUseMismatch`]: ErrorKind::KeyUseMismatch
    /// [`KeyLooksLikePath`]: ErrorKind::KeyLooksLikePath
    /// [`KeyFileUnreadable`]: ErrorKind::KeyFileUnreadable
    /// [`KeyFileTooLarge`]: ErrorKind::KeyFileTooLarge
    /// [`UnsupportedKey`]: ErrorKind::UnsupportedKey
    /// [`WrongKeyForm`]: ErrorKind::WrongKeyForm
    /// [`KeyIdRequired`]: ErrorKind::KeyIdRequired
    /// [`KeyIdMismatch`]: ErrorKind::KeyIdMismatch
    /// [`ResponseKeyMismatch`]: ErrorKind::ResponseKeyMismatch
    /// [`InvalidKeyId`]: ErrorKind::InvalidKeyId
    /// [`CreatedKeyUnusable`]: ErrorKind::CreatedKeyUnusable
    pub fn is_key(&self) -> bool {
        use ErrorKind::*;
        matches!(
            self.kind,
            EmptyInput
                | NotAKey
                | InvalidBase64 { .. }
                | TruncatedPem
                | MultipleKeys { .. }
                | EncryptedPem
                | InvalidDer { .. }
                | InvalidJson { .. }
                | UnexpectedJson { .. }
                | PublicKeyOnly
                | NotRsa { .. }
                | KeyTooSmall { .. }
                | KeyTooLarge { .. }
                | InvalidExponent
                | InconsistentKey
                | WeakKey { .. }
                | MissingJwkMember { .. }
                | KeyUseMismatch { .. }
                | KeyLooksLikePath { .. }
                | KeyFileUnreadable { .. }
                | KeyFileTooLarge
                | UnsupportedKey { .. }
                | WrongKeyForm { .. }
                | KeyIdRequired
                | KeyIdMismatch { .. }
                | ResponseKeyMismatch
        )
    }

    /// The token (or URL) asked for breaks a rule of the token policy:
    /// its times ([`ExpiryTooFar`], the 24-hour cap; [`ExpiryNotInFuture`];
    /// [`NotBeforeAfterExpiry`]; [`InvalidDuration`]; [`LifetimeTooLong`];
    /// [`TimeOutOfRange`]), its access rules ([`TooManyRules`],
    /// [`RuleAfterAny`], [`EmptyRuleList`], [`InvalidCountryCode`],
    /// [`InvalidIpNetwork`]) or its size ([`TokenTooLong`], [`UrlTooLong`]),
    /// or a keyring's lifetime ([`TokenOutlivesRing`]).
    /// Asking again with the same options fails the same way.
    ///
    /// Not the identifiers ([`InvalidVideoId`], [`InvalidKeyId`],
    /// [`InvalidAccountId`]) nor [`InvalidUrlPart`]: malformed input, not a
    /// policy refusal.
    ///
    /// [`ExpiryTooFar`]: ErrorKind::ExpiryTooFar
    /// [`ExpiryNotInFuture`]: ErrorKind::ExpiryNotInFuture
    /// [`NotBeforeAfterExpiry`]: ErrorKind::NotBeforeAfterExpiry
    /// [`InvalidDuration`]: ErrorKind::InvalidDuration
    /// [`LifetimeTooLong`]: ErrorKind::LifetimeTooLong
    /// [`TimeOutOfRange`]: ErrorKind::TimeOutOfRange
    /// [`TooManyRules`]: ErrorKind::TooManyRules
    /// [`RuleAfterAny`]: ErrorKind::RuleAfterAny
    /// [`EmptyRuleList`]: ErrorKind::EmptyRuleList
    /// [`InvalidCountryCode`]: ErrorKind::InvalidCountryCode
    /// [`InvalidIpNetwork`]: ErrorKind::InvalidIpNetwork
    /// [`TokenTooLong`]: ErrorKind::TokenTooLong
    /// [`UrlTooLong`]: ErrorKind::UrlTooLong
    /// [`TokenOutlivesRing`]: ErrorKind::TokenOutlivesRing
    /// [`InvalidVideoId`]: ErrorKind::InvalidVideoId
    /// [`InvalidKeyId`]: ErrorKind::InvalidKeyId
    /// [`InvalidAccountId`]: ErrorKind::InvalidAccountId
    /// [`InvalidUrlPart`]: ErrorKind::InvalidUrlPart
    pub fn is_policy(&self) -> bool {
        use ErrorKind::*;
        matches!(
            self.kind,
            ExpiryTooFar { .. }
                | ExpiryNotInFuture { .. }
                | NotBeforeAfterExpiry { .. }
                | InvalidDuration { .. }
                | LifetimeTooLong { .. }
                | TimeOutOfRange
                | TokenTooLong { .. }
                | TooManyRules { .. }
                | RuleAfterAny { .. }
                | EmptyRuleList { .. }
                | InvalidCountryCode { .. }
                | InvalidIpNetwork { .. }
                | UrlTooLong { .. }
                | TokenOutlivesRing { .. }
        )
    }

    /// The token was refused by [`Verifier`](crate::Verifier) (or could not
    /// be read by `dangerous::decode_unverified`): [`MalformedToken`],
    /// [`WrongAlgorithm`], [`WrongKey`], [`BadSignature`], [`Expired`],
    /// [`NotYetValid`], and a keyring verifier's [`UnknownKey`]. A web
    /// handler answers these with 401/403.
    ///
    /// [`MalformedToken`]: ErrorKind::MalformedToken
    /// [`WrongAlgorithm`]: ErrorKind::WrongAlgorithm
    /// [`WrongKey`]: ErrorKind::WrongKey
    /// [`BadSignature`]: ErrorKind::BadSignature
    /// [`Expired`]: ErrorKind::Expired
    /// [`NotYetValid`]: ErrorKind::NotYetValid
    /// [`UnknownKey`]: ErrorKind::UnknownKey
    pub fn is_verification(&self) -> bool {
        use ErrorKind::*;
        matches!(
            self.kind,
            MalformedToken { .. }
                | WrongAlgorithm { .. }
                | WrongKey { .. }
                | BadSignature
                | Expired { .. }
                | NotYetValid { .. }
                | UnknownKey { .. }
        )
    }

    /// Worth trying again later, unchanged: [`Timeout`] (including HTTP
    /// 408), [`Transport`], [`RateLimited`] (429; wait its `retry_after`
    /// when given) and [`ServerError`] (5xx). The API client has already
    /// retried these as configured before returning them.
    ///
    /// Not [`CreateOutcomeUnknown`]: the create-key request may have made a
    /// key, and sending it again could make a second one whose private half
    /// is lost with the first answer; list the keys before anything else.
    /// Not [`SigningFailed`] (the backend refused this key and input; it
    /// will again) nor any refusal ([`Unauthorized`], [`Forbidden`],
    /// [`NotFound`], [`ApiError`]) or malformed answer ([`InvalidResponse`]).
    ///
    /// [`Timeout`]: ErrorKind::Timeout
    /// [`Transport`]: ErrorKind::Transport
    /// [`RateLimited`]: ErrorKind::RateLimited
    /// [`ServerError`]: ErrorKind::ServerError
    /// [`CreateOutcomeUnknown`]: ErrorKind::CreateOutcomeUnknown
    /// [`SigningFailed`]: ErrorKind::SigningFailed
    /// [`Unauthorized`]: ErrorKind::Unauthorized
    /// [`Forbidden`]: ErrorKind::Forbidden
    /// [`NotFound`]: ErrorKind::NotFound
    /// [`ApiError`]: ErrorKind::ApiError
    /// [`InvalidResponse`]: ErrorKind::InvalidResponse
    pub fn is_transient(&self) -> bool {
        use ErrorKind::*;
        matches!(
            self.kind,
            Timeout | Transport | RateLimited { .. } | ServerError { .. }
        )
    }
}

#[cfg(feature = "api")]
impl Error {
    /// Anything from the Cloudflare API client (feature `api`): its
    /// configuration ([`InvalidAccountId`], [`MissingCredentials`],
    /// [`InvalidCredentials`], [`MissingConfig`]), Cloudflare's refusals
    /// ([`Unauthorized`], [`Forbidden`], [`NotFound`], [`RateLimited`],
    /// [`ServerError`], [`ApiError`]), the exchange ([`Timeout`],
    /// [`Transport`], [`InvalidResponse`]) and the create-key outcomes
    /// ([`CreatedKeyUnusable`], [`CreateOutcomeUnknown`]). What Cloudflare
    /// answered, when it did, is in `Error::api_details`.
    ///
    /// [`InvalidAccountId`]: ErrorKind::InvalidAccountId
    /// [`MissingCredentials`]: ErrorKind::MissingCredentials
    /// [`InvalidCredentials`]: ErrorKind::InvalidCredentials
    /// [`MissingConfig`]: ErrorKind::MissingConfig
    /// [`Unauthorized`]: ErrorKind::Unauthorized
    /// [`Forbidden`]: ErrorKind::Forbidden
    /// [`NotFound`]: ErrorKind::NotFound
    /// [`RateLimited`]: ErrorKind::RateLimited
    /// [`ServerError`]: ErrorKind::ServerError
    /// [`ApiError`]: ErrorKind::ApiError
    /// [`Timeout`]: ErrorKind::Timeout
    /// [`Transport`]: ErrorKind::Transport
    /// [`InvalidResponse`]: ErrorKind::InvalidResponse
    /// [`CreatedKeyUnusable`]: ErrorKind::CreatedKeyUnusable
    /// [`CreateOutcomeUnknown`]: ErrorKind::CreateOutcomeUnknown
    #[cfg_attr(docsrs, doc(cfg(feature = "api")))]
    pub fn is_api(&self) -> bool {
        use ErrorKind::*;
        matches!(
            self.kind,
            InvalidAccountId
                | MissingCredentials
                | InvalidCredentials { .. }
                | MissingConfig { .. }
                | Unauthorized
                | Forbidden
                | NotFound
                | RateLimited { .. }
                | ServerError { .. }
                | ApiError { .. }
                | Timeout
                | Transport
                | InvalidResponse { .. }
                | CreatedKeyUnusable { .. }
                | CreateOutcomeUnknown { .. }
        )
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            EmptyInput => f.write_str("key input is empty"),
            NotAKey => f.write_str(
                "input is not a key: expected PEM, DER, base64 of PEM, a JWK or a create-key response",
            ),
            InvalidBase64 { layer } => write!(f, "invalid base64 in the {layer}"),
            TruncatedPem => f.write_str("PEM block is truncated: no matching END line"),
            MultipleKeys { count } => {
                write!(f, "input holds {count} PEM key blocks; give exactly one key")
            }
            EncryptedPem => f.write_str("PEM key is encrypted; decrypt it first"),
            InvalidDer { what } => write!(f, "malformed DER in {what}"),
            InvalidJson { line, column } => {
                write!(f, "invalid JSON at line {line} column {column}")
            }
            UnexpectedJson { expected } => write!(f, "unexpected JSON: expected {expected}"),
            PublicKeyOnly => f.write_str("a private key is required but only a public key was given"),
            NotRsa { found } => write!(f, "not an RSA key (found {found})"),
            KeyTooSmall { bits } => {
                write!(f, "RSA key is {bits} bits; at least 2048 are required")
            }
            KeyTooLarge { bits } => write!(f, "RSA key is {bits} bits; at most 8192 are supported"),
            InvalidExponent => f.write_str("RSA public exponent is invalid (1, even, or too large)"),
            InconsistentKey => {
                f.write_str("RSA private key is inconsistent (its numbers do not belong together)")
            }
            WeakKey { reason } => write!(f, "weak RSA key refused: {reason}"),
            MissingJwkMember { member } => write!(f, "private JWK is missing member `{member}`"),
            KeyUseMismatch { member, value } => {
                write!(f, "JWK `{member}` is {value:?}, not RS256 signing")
            }
            KeyFileUnreadable { io } => write!(f, "cannot read the key file: {io}"),
            KeyFileTooLarge => f.write_str("the key file is larger than 1 MiB: not a key"),
            KeyLooksLikePath { name } => write!(
                f,
                "{name} looks like a path, not a key: use SigningKey::from_file, or `--key FILE` on the command line"
            ),
            UnsupportedKey { what } => write!(f, "unsupported key: {what}"),
            WrongKeyForm { expected } => write!(f, "wrong key form: expected {expected}"),
            KeyIdRequired => f.write_str(
                "this key form (PEM or DER) carries no key id; give one: CF_STREAM_KEY_ID, or `--key-id` on the command line",
            ),
            KeyIdMismatch { expected, found } => {
                write!(f, "key id mismatch: expected {expected:?}, the key says {found:?}")
            }
            ResponseKeyMismatch => {
                f.write_str("create-key response's pem and jwk are not the same key")
            }
            InvalidVideoId => f.write_str("invalid video id: expected 32 hexadecimal characters"),
            InvalidKeyId => {
                f.write_str("invalid key id: expected 1 to 32 of A-Z, a-z, 0-9, '-' or '_'")
            }
            ExpiryTooFar { exp, max } => write!(
                f,
                "exp {exp} is more than 24 hours after the signing time (latest allowed {max})"
            ),
            ExpiryNotInFuture { exp, now } => {
                write!(f, "exp {exp} is not after the signing time {now}")
            }
            NotBeforeAfterExpiry { nbf, exp } => write!(f, "nbf {nbf} is not before exp {exp}"),
            InvalidDuration { what } => {
                write!(f, "{what} must be a positive whole number of seconds")
            }
            LifetimeTooLong { seconds } => write!(
                f,
                "token lifetime of {seconds} seconds exceeds the 24-hour cap"
            ),
            TimeOutOfRange => f.write_str("time is out of range"),
            TokenTooLong { len, max } => write!(
                f,
                "tokens with these options could be {len} bytes long; at most {max} fit a playback URL"
            ),
            TooManyRules { count } => write!(f, "{count} access rules given; at most 5 are allowed"),
            RuleAfterAny { index } => write!(
                f,
                "access rule {index} follows an `any` rule and could never match"
            ),
            EmptyRuleList { index } => write!(f, "access rule {index} has an empty list"),
            InvalidCountryCode { value } => write!(
                f,
                "{value:?} is not an ISO 3166-1 alpha-2 country code"
            ),
            InvalidIpNetwork { value } => {
                write!(f, "{value:?} is not an IP address or CIDR network")
            }
            InvalidUrlPart { what, value }
                if *what == "customer code" && value.starts_with("customer-") =>
            {
                write!(
                    f,
                    "invalid {what}: {value:?} (give the code without its `customer-` prefix)"
                )
            }
            InvalidUrlPart { what, value } => match url_part_rule(what) {
                Some(rule) => write!(f, "invalid {what}: {value:?} ({rule})"),
                None => write!(f, "invalid {what}: {value:?}"),
            },
            InvalidSyntax {
                what,
                value,
                reason,
            } => write!(f, "invalid {what} {value:?}: {reason}"),
            UrlTooLong { len, max } => write!(
                f,
                "playback URL could be {len} bytes long; Cloudflare serves at most {max}"
            ),
            MalformedToken { reason } => write!(f, "malformed token: {reason}"),
            WrongAlgorithm { alg } => write!(f, "token algorithm {alg:?} refused; only RS256 is accepted"),
            WrongKey { kid } => write!(f, "token was made for another key (kid {kid:?})"),
            BadSignature => f.write_str("token signature does not verify"),
            Expired { exp, now } => write!(f, "token expired at {exp} (now {now})"),
            NotYetValid { nbf, now } => write!(f, "token is not valid before {nbf} (now {now})"),
            InvalidAccountId => {
                f.write_str("invalid account id: expected 1 to 32 of A-Z, a-z, 0-9, '-' or '_'")
            }
            MissingCredentials => f.write_str(
                "no Cloudflare credentials: give an API token or an email and global API key, or set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)",
            ),
            InvalidCredentials { what } => write!(f, "invalid Cloudflare {what}"),
            MissingConfig { name } => write!(f, "{name} is not set"),
            Unauthorized => f.write_str(
                "Cloudflare API refused the credentials (wrong, expired or revoked)",
            ),
            Forbidden => f.write_str(
                "Cloudflare API: the credentials lack a permission this request needs (HTTP 403)",
            ),
            NotFound => f.write_str("Cloudflare API: not found"),
            RateLimited {
                retry_after: Some(d),
            } => write!(f, "Cloudflare API: rate limited; retry after {} s", d.as_secs()),
            RateLimited { retry_after: None } => f.write_str("Cloudflare API: rate limited"),
            ServerError {
                status,
                retry_after: Some(d),
            } => write!(
                f,
                "Cloudflare API: server error (HTTP {status}); retry after {} s",
                d.as_secs()
            ),
            ServerError {
                status,
                retry_after: None,
            } => write!(f, "Cloudflare API: server error (HTTP {status})"),
            ApiError { status } => write!(f, "Cloudflare API refused the request (HTTP {status})"),
            Timeout => f.write_str("Cloudflare API: request timed out"),
            Transport => f.write_str("Cloudflare API: connection failed"),
            InvalidResponse { what } => write!(f, "Cloudflare API: invalid response: {what}"),
            CreatedKeyUnusable { id: Some(id), cause } => write!(
                f,
                "Cloudflare created signing key {id}, but it is unusable: {cause}"
            ),
            CreatedKeyUnusable { id: None, cause } => write!(
                f,
                "Cloudflare answered the create-key request with success (a key was probably \
                 created; its id is unreadable), but the answer is unusable: {cause}"
            ),
            CreateOutcomeUnknown { timed_out } => write!(
                f,
                "Cloudflare API: the create-key request {} after it was sent: a signing key \
                 may have been created; listing the keys shows it",
                if *timed_out { "timed out" } else { "lost its connection" }
            ),
            SigningFailed => f.write_str("signing failed"),
            InvalidConfig { what } => write!(f, "invalid configuration: {what}"),
            UnknownKey { kid } => write!(f, "token was signed by a key not in the keyring (kid {kid:?})"),
            TokenOutlivesRing { exp, max } => write!(
                f,
                "exp {exp} is past the keyring's maximum token lifetime (latest allowed {max})"
            ),
            InvalidKeyring { reason } => write!(f, "invalid keyring: {reason}"),
            KeyringKeyUnusable { index, cause } => {
                write!(f, "keyring key {index} does not load: {cause}")
            }
            NoNextKey => f.write_str("the keyring has no next key to promote"),
            NextKeyExists { kid } => write!(
                f,
                "the keyring already has a next key ({kid}); promote it before adding another"
            ),
            KeyTooYoung { kid, ready_at } => write!(
                f,
                "next key {kid} is too young to promote; it may be promoted from {ready_at}"
            ),
            RetireTooEarly { kid, safe_at } => write!(
                f,
                "previous key {kid} may still have tokens playing; it can be retired from {safe_at}"
            ),
            NotInKeyring { kid } => write!(f, "key {kid} is not in the keyring in a state this allows"),
            LastSigningKey { kid } => write!(
                f,
                "key {kid} is the ring's only key able to sign; add and promote another first"
            ),
            KeyringAccountMismatch { ring, given } => write!(
                f,
                "the keyring holds keys of account {ring}, not of account {given}"
            ),
            KeyringFileUnreadable { io } => write!(f, "cannot read the keyring file: {io}"),
            KeyringFileTooLarge => f.write_str(
                "the keyring file is larger than 8 MiB (a ring of 1,000 keys needs about 5 MiB): not a keyring",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Which predicates hold for a kind.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    struct Areas {
        key: bool,
        policy: bool,
        verification: bool,
        api: bool,
        transient: bool,
    }

    const NONE: Areas = Areas {
        key: false,
        policy: false,
        verification: false,
        api: false,
        transient: false,
    };
    const KEY: Areas = Areas { key: true, ..NONE };
    const POLICY: Areas = Areas {
        policy: true,
        ..NONE
    };
    const VERIFICATION: Areas = Areas {
        verification: true,
        ..NONE
    };
    const API: Areas = Areas { api: true, ..NONE };
    const API_TRANSIENT: Areas = Areas {
        api: true,
        transient: true,
        ..NONE
    };

    /// The position of `kind`'s variant in the enum. No wildcard arm: a new
    /// variant does not compile until it is given a number here, and then
    /// `table_lists_every_kind` fails until it has a row in `table`.
    fn ordinal(kind: &ErrorKind) -> usize {
        use ErrorKind::*;
        match kind {
            EmptyInput => 0,
            NotAKey => 1,
            InvalidBase64 { .. } => 2,
            TruncatedPem => 3,
            MultipleKeys { .. } => 4,
            EncryptedPem => 5,
            InvalidDer { .. } => 6,
            InvalidJson { .. } => 7,
            UnexpectedJson { .. } => 8,
            PublicKeyOnly => 9,
            NotRsa { .. } => 10,
            KeyTooSmall { .. } => 11,
            KeyTooLarge { .. } => 12,
            InvalidExponent => 13,
            InconsistentKey => 14,
            WeakKey { .. } => 15,
            MissingJwkMember { .. } => 16,
            KeyUseMismatch { .. } => 17,
            UnsupportedKey { .. } => 18,
            WrongKeyForm { .. } => 19,
            KeyIdRequired => 20,
            KeyIdMismatch { .. } => 21,
            ResponseKeyMismatch => 22,
            InvalidVideoId => 23,
            InvalidKeyId => 24,
            ExpiryTooFar { .. } => 25,
            ExpiryNotInFuture { .. } => 26,
            NotBeforeAfterExpiry { .. } => 27,
            InvalidDuration { .. } => 28,
            LifetimeTooLong { .. } => 29,
            TimeOutOfRange => 30,
            TokenTooLong { .. } => 31,
            TooManyRules { .. } => 32,
            RuleAfterAny { .. } => 33,
            EmptyRuleList { .. } => 34,
            InvalidCountryCode { .. } => 35,
            InvalidIpNetwork { .. } => 36,
            InvalidUrlPart { .. } => 37,
            UrlTooLong { .. } => 38,
            MalformedToken { .. } => 39,
            WrongAlgorithm { .. } => 40,
            WrongKey { .. } => 41,
            BadSignature => 42,
            Expired { .. } => 43,
            NotYetValid { .. } => 44,
            InvalidAccountId => 45,
            MissingCredentials => 46,
            InvalidCredentials { .. } => 47,
            MissingConfig { .. } => 48,
            Unauthorized => 49,
            Forbidden => 50,
            NotFound => 51,
            RateLimited { .. } => 52,
            ServerError { .. } => 53,
            ApiError { .. } => 54,
            Timeout => 55,
            Transport => 56,
            InvalidResponse { .. } => 57,
            CreatedKeyUnusable { .. } => 58,
            CreateOutcomeUnknown { .. } => 59,
            SigningFailed => 60,
            InvalidConfig { .. } => 61,
            KeyLooksLikePath { .. } => 62,
            InvalidSyntax { .. } => 63,
            KeyFileUnreadable { .. } => 64,
            KeyFileTooLarge => 65,
            UnknownKey { .. } => 66,
            TokenOutlivesRing { .. } => 67,
            InvalidKeyring { .. } => 68,
            KeyringKeyUnusable { .. } => 69,
            NoNextKey => 70,
            NextKeyExists { .. } => 71,
            KeyTooYoung { .. } => 72,
            RetireTooEarly { .. } => 73,
            NotInKeyring { .. } => 74,
            LastSigningKey { .. } => 75,
            KeyringAccountMismatch { .. } => 76,
            KeyringFileUnreadable { .. } => 77,
            KeyringFileTooLarge => 78,
        }
    }
    const KINDS: usize = 79;

    /// Every kind (some twice, where a field could matter) and what each
    /// predicate must say of it.
    fn table() -> Vec<(ErrorKind, Areas)> {
        use ErrorKind::*;
        let s = String::from;
        let wait = Some(Duration::from_secs(3));
        vec![
            (EmptyInput, KEY),
            (NotAKey, KEY),
            (InvalidBase64 { layer: "PEM body" }, KEY),
            (TruncatedPem, KEY),
            (MultipleKeys { count: 2 }, KEY),
            (EncryptedPem, KEY),
            (InvalidDer { what: "PKCS#8" }, KEY),
            (InvalidJson { line: 1, column: 2 }, KEY),
            (UnexpectedJson { expected: "a JWK" }, KEY),
            (PublicKeyOnly, KEY),
            (NotRsa { found: s("EC") }, KEY),
            (KeyTooSmall { bits: 1024 }, KEY),
            (KeyTooLarge { bits: 16384 }, KEY),
            (InvalidExponent, KEY),
            (InconsistentKey, KEY),
            (WeakKey { reason: "ROCA" }, KEY),
            (MissingJwkMember { member: "d" }, KEY),
            (
                KeyUseMismatch {
                    member: "use",
                    value: s("enc"),
                },
                KEY,
            ),
            (
                UnsupportedKey {
                    what: "multi-prime",
                },
                KEY,
            ),
            (WrongKeyForm { expected: "a JWK" }, KEY),
            (KeyIdRequired, KEY),
            (
                KeyIdMismatch {
                    expected: s("a"),
                    found: s("b"),
                },
                KEY,
            ),
            (ResponseKeyMismatch, KEY),
            (InvalidVideoId, NONE),
            (InvalidKeyId, NONE),
            (ExpiryTooFar { exp: 2, max: 1 }, POLICY),
            (ExpiryNotInFuture { exp: 1, now: 2 }, POLICY),
            (NotBeforeAfterExpiry { nbf: 2, exp: 1 }, POLICY),
            (InvalidDuration { what: "lifetime" }, POLICY),
            (LifetimeTooLong { seconds: 90_000 }, POLICY),
            (TimeOutOfRange, POLICY),
            (
                TokenTooLong {
                    len: 20_000,
                    max: 16_128,
                },
                POLICY,
            ),
            (TooManyRules { count: 6 }, POLICY),
            (RuleAfterAny { index: 1 }, POLICY),
            (EmptyRuleList { index: 0 }, POLICY),
            (InvalidCountryCode { value: s("ZZ") }, POLICY),
            (InvalidIpNetwork { value: s("1.2.3") }, POLICY),
            (
                InvalidUrlPart {
                    what: "host",
                    value: s("a/b"),
                },
                NONE,
            ),
            (
                UrlTooLong {
                    len: 17_000,
                    max: 16_384,
                },
                POLICY,
            ),
            (MalformedToken { reason: "r" }, VERIFICATION),
            (WrongAlgorithm { alg: s("none") }, VERIFICATION),
            (WrongKey { kid: s("k") }, VERIFICATION),
            (BadSignature, VERIFICATION),
            (Expired { exp: 1, now: 2 }, VERIFICATION),
            (NotYetValid { nbf: 2, now: 1 }, VERIFICATION),
            (InvalidAccountId, API),
            (MissingCredentials, API),
            (InvalidCredentials { what: "API token" }, API),
            (
                MissingConfig {
                    name: "CLOUDFLARE_ACCOUNT_ID",
                },
                API,
            ),
            (Unauthorized, API),
            (Forbidden, API),
            (NotFound, API),
            (RateLimited { retry_after: None }, API_TRANSIENT),
            (RateLimited { retry_after: wait }, API_TRANSIENT),
            (
                ServerError {
                    status: 500,
                    retry_after: None,
                },
                API_TRANSIENT,
            ),
            (
                ServerError {
                    status: 503,
                    retry_after: wait,
                },
                API_TRANSIENT,
            ),
            (ApiError { status: 400 }, API),
            (ApiError { status: 409 }, API),
            (Timeout, API_TRANSIENT),
            (Transport, API_TRANSIENT),
            (InvalidResponse { what: "w" }, API),
            (
                CreatedKeyUnusable {
                    id: Some(s("k")),
                    cause: Box::new(KeyTooSmall { bits: 1024 }),
                },
                API,
            ),
            (
                CreatedKeyUnusable {
                    id: None,
                    cause: Box::new(Transport),
                },
                API,
            ),
            (CreateOutcomeUnknown { timed_out: true }, API),
            (CreateOutcomeUnknown { timed_out: false }, API),
            (SigningFailed, NONE),
            (InvalidConfig { what: "w" }, NONE),
            (
                KeyLooksLikePath {
                    name: "CF_STREAM_SIGNING_KEY",
                },
                KEY,
            ),
            (
                KeyFileUnreadable {
                    io: std::io::ErrorKind::NotFound,
                },
                KEY,
            ),
            (KeyFileTooLarge, KEY),
            (
                InvalidSyntax {
                    what: "duration",
                    value: s("1.5h"),
                    reason: "r",
                },
                NONE,
            ),
            (UnknownKey { kid: s("k") }, VERIFICATION),
            (TokenOutlivesRing { exp: 2, max: 1 }, POLICY),
            (InvalidKeyring { reason: "r" }, NONE),
            (
                KeyringKeyUnusable {
                    index: 0,
                    cause: Box::new(PublicKeyOnly),
                },
                NONE,
            ),
            (NoNextKey, NONE),
            (NextKeyExists { kid: s("k") }, NONE),
            (
                KeyTooYoung {
                    kid: s("k"),
                    ready_at: 1,
                },
                NONE,
            ),
            (
                RetireTooEarly {
                    kid: s("k"),
                    safe_at: 1,
                },
                NONE,
            ),
            (NotInKeyring { kid: s("k") }, NONE),
            (LastSigningKey { kid: s("k") }, NONE),
            (
                KeyringAccountMismatch {
                    ring: s("a"),
                    given: s("b"),
                },
                NONE,
            ),
            (
                KeyringFileUnreadable {
                    io: std::io::ErrorKind::NotFound,
                },
                NONE,
            ),
            (KeyringFileTooLarge, NONE),
        ]
    }

    #[test]
    fn every_kind_has_a_distinct_snake_case_name_and_a_status() {
        use ErrorKind::*;
        let mut names: Vec<&str> = Vec::new();
        for (kind, areas) in table() {
            let name = kind.name();
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            if !names.contains(&name) {
                names.push(name);
            }
            let status = Error::new(kind.clone()).http_status();
            let expected = if areas.transient {
                503
            } else if areas.policy {
                400
            } else if areas.verification {
                if matches!(kind, MalformedToken { .. }) {
                    400
                } else {
                    401
                }
            } else if matches!(
                kind,
                InvalidVideoId | InvalidKeyId | InvalidUrlPart { .. } | InvalidSyntax { .. }
            ) {
                400
            } else {
                500
            };
            assert_eq!(status, expected, "{kind:?}");
        }
        assert_eq!(names.len(), KINDS);
    }

    #[test]
    fn table_lists_every_kind() {
        let mut seen: Vec<usize> = table().iter().map(|(k, _)| ordinal(k)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..KINDS).collect::<Vec<_>>());
    }

    fn check(predicate: fn(&Error) -> bool, expected: fn(&Areas) -> bool, name: &str) {
        for (kind, areas) in table() {
            let e = Error::new(kind.clone());
            assert_eq!(predicate(&e), expected(&areas), "{name} of {kind:?}");
        }
    }

    #[test]
    fn is_key_covers_exactly_the_key_kinds() {
        check(Error::is_key, |a| a.key, "is_key");
    }

    #[test]
    fn is_policy_covers_exactly_the_policy_kinds() {
        check(Error::is_policy, |a| a.policy, "is_policy");
    }

    #[test]
    fn is_verification_covers_exactly_the_refused_token_kinds() {
        check(
            Error::is_verification,
            |a| a.verification,
            "is_verification",
        );
    }

    #[cfg(feature = "api")]
    #[test]
    fn is_api_covers_exactly_the_api_kinds() {
        check(Error::is_api, |a| a.api, "is_api");
    }

    #[test]
    fn is_transient_covers_exactly_the_retryable_kinds() {
        check(Error::is_transient, |a| a.transient, "is_transient");
    }

    #[test]
    fn at_most_one_area_besides_transient() {
        for (kind, a) in table() {
            let areas = [a.key, a.policy, a.verification, a.api];
            assert!(areas.iter().filter(|x| **x).count() <= 1, "{kind:?}");
        }
    }

    #[derive(Debug)]
    struct Cause;
    impl fmt::Display for Cause {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the cause")
        }
    }
    impl std::error::Error for Cause {}

    #[test]
    fn a_clone_keeps_the_kind_and_shares_the_cause() {
        use std::error::Error as _;
        let e = Error::with_source(ErrorKind::Transport, Cause);
        let c = e.clone();
        assert_eq!(c.kind(), &ErrorKind::Transport);
        assert_eq!(c.source().unwrap().to_string(), "the cause");
        // One cause, shared: not copied.
        assert!(std::ptr::eq(
            e.cause().unwrap() as *const _ as *const u8,
            c.cause().unwrap() as *const _ as *const u8
        ));
        assert_eq!(format!("{c:?}"), "Error { kind: Transport, source: Cause }");
        assert!(
            Error::new(ErrorKind::BadSignature)
                .clone()
                .source()
                .is_none()
        );
    }
}
