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

use crate::text::{human, human_between, unix_text};

/// The one table of error kinds: each kind is declared once, with its area
/// (which gives the `is_*` predicates and the default HTTP status), its
/// stable name, and, where its area's status or retry advice does not fit,
/// `status = N` or `transient = true`. From the table come [`ErrorKind`],
/// [`ErrorArea`] (whose docs list their kinds), [`ErrorKind::name`],
/// [`ErrorKind::area`] and the crate-private [`KindRow`] that
/// `Error::http_status` and `Error::is_transient` read. The `Display` text
/// is the one other place a kind appears: its messages need the fields.
///
/// Adding a kind: its row in the table below (doc, fields, name, area),
/// its `Display` arm (the compiler asks for it: that match has no wildcard),
/// and an example in the tests' `table()` (`table_lists_every_kind` asks
/// for it, and pins what each predicate says of it).
macro_rules! error_kinds {
    (
        $(#[$enum_meta:meta])*
        pub enum ErrorKind;
        $(#[$area_enum_meta:meta])*
        pub enum ErrorArea;
        $(
            $(#[$area_meta:meta])*
            area $area:ident (status = $area_status:literal) {
                $(
                    $(#[$meta:meta])*
                    $kind:ident $({
                        $( $(#[$field_meta:meta])* $field:ident : $field_ty:ty ),* $(,)?
                    })? => $name:literal
                        $(, status = $status:literal)?
                        $(, transient = $transient:literal)?;
                )*
            }
        )*
    ) => {
        $(#[$enum_meta])*
        pub enum ErrorKind {
            $($(
                $(#[$meta])*
                $kind $({ $( $(#[$field_meta])* $field: $field_ty ),* })?,
            )*)*
        }

        $(#[$area_enum_meta])*
        pub enum ErrorArea {
            $(
                $(#[$area_meta])*
                ///
                #[doc = concat!("HTTP status ", $area_status, " unless a kind says otherwise. Its kinds:")]
                $(
                    #[doc = concat!("- [`", stringify!($kind), "`](ErrorKind::", stringify!($kind), ")")]
                )*
                $area,
            )*
        }

        impl ErrorKind {
            /// A stable `snake_case` name for the kind (`"expired"`,
            /// `"invalid_video_id"`), the variant's name: what a JSON error
            /// body carries as its `error` member. Unlike the `Display`
            /// text, these names do not change between releases.
            pub fn name(&self) -> &'static str {
                self.row().name
            }

            /// The area the kind belongs to: what the `is_*` predicates of
            /// [`Error`] and [`Error::http_status`] follow.
            pub fn area(&self) -> ErrorArea {
                self.row().area
            }

            /// The kind's row of the table.
            pub(crate) fn row(&self) -> KindRow {
                match self {
                    $($(
                        ErrorKind::$kind { .. } => KindRow {
                            name: $name,
                            area: ErrorArea::$area,
                            status: first_of!($($status)? $area_status),
                            transient: first_of!($($transient)? false),
                        },
                    )*)*
                }
            }
        }

        /// Every row of the table, in declaration order.
        #[cfg(test)]
        pub(crate) const KIND_ROWS: &[KindRow] = &[
            $($(
                KindRow {
                    name: $name,
                    area: ErrorArea::$area,
                    status: first_of!($($status)? $area_status),
                    transient: first_of!($($transient)? false),
                },
            )*)*
        ];
    };
}

/// The first of its arguments: a row's own value, else its area's default.
macro_rules! first_of {
    ($first:literal $($rest:literal)*) => {
        $first
    };
}

/// What the table says of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindRow {
    /// The stable `snake_case` name.
    pub(crate) name: &'static str,
    /// The area.
    pub(crate) area: ErrorArea,
    /// The HTTP status a web handler answers with.
    pub(crate) status: u16,
    /// Worth retrying unchanged, later.
    pub(crate) transient: bool,
}

error_kinds! {
    /// What went wrong, as one value to match on.
    ///
    /// No variant carries key material or a token: only kinds, lengths, positions
    /// and values that are public by nature (key ids, claim times, rule values).
    ///
    /// Each kind belongs to one [`ErrorArea`] ([`ErrorKind::area`]), has a
    /// stable name ([`ErrorKind::name`]) and an HTTP status
    /// ([`Error::http_status`]).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum ErrorKind;

    /// The area of an [`ErrorKind`] ([`ErrorKind::area`]): what the `is_*`
    /// predicates of [`Error`] test and what [`Error::http_status`] follows.
    /// Every kind belongs to exactly one area. New areas may be added.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum ErrorArea;

    /// The signing key could not be loaded or does not fit: its form, its
    /// contents, its file, its key id ([`Error::is_key`]).
    area Key (status = 500) {
        /// The key input was empty or only whitespace.
        EmptyInput => "empty_input";
        /// The input is not in any key form this crate reads.
        NotAKey => "not_a_key";
        /// A base64 layer could not be decoded; `layer` says which one.
        InvalidBase64 {
            /// The layer that failed: `"base64 wrapper"`, `"PEM body"` or a JWK member name.
            layer: &'static str,
        } => "invalid_base64";
        /// A PEM block has no matching `END` line.
        TruncatedPem => "truncated_pem";
        /// The input holds more than one PEM key block: which one was meant
        /// cannot be known, so none is used.
        MultipleKeys {
            /// How many `BEGIN … KEY` blocks the input holds.
            count: usize,
        } => "multiple_keys";
        /// A PEM block is encrypted (`Proc-Type`/`ENCRYPTED PRIVATE KEY`); decrypt it first.
        EncryptedPem => "encrypted_pem";
        /// The DER structure of a key is malformed or cut short.
        InvalidDer {
            /// Which structure failed to parse.
            what: &'static str,
        } => "invalid_der";
        /// JSON input (a JWK or a create-key response) is not well formed.
        InvalidJson {
            /// 1-based line of the error.
            line: usize,
            /// 1-based column of the error.
            column: usize,
        } => "invalid_json";
        /// The JSON is well formed but not of the expected shape.
        UnexpectedJson {
            /// What was expected.
            expected: &'static str,
        } => "unexpected_json";
        /// The input holds only a public key where a private key is needed.
        PublicKeyOnly => "public_key_only";
        /// The key is not an RSA key.
        NotRsa {
            /// The key type found (`"EC"`, `"Ed25519"`, `"oct"`, an OID, ...).
            found: String,
        } => "not_rsa";
        /// The RSA modulus is shorter than 2048 bits (RFC 7518 section 3.3).
        KeyTooSmall {
            /// Modulus size in bits.
            bits: usize,
        } => "key_too_small";
        /// The RSA modulus is longer than 8192 bits.
        KeyTooLarge {
            /// Modulus size in bits.
            bits: usize,
        } => "key_too_large";
        /// The public exponent is 1, even, or too large.
        InvalidExponent => "invalid_exponent";
        /// The private key's numbers do not belong together (e.g. a wrong `dp`).
        InconsistentKey => "inconsistent_key";
        /// The key is structurally valid but known to be weak.
        WeakKey {
            /// Why it is refused.
            reason: &'static str,
        } => "weak_key";
        /// A private JWK lacks a member this crate requires.
        MissingJwkMember {
            /// The member's name.
            member: &'static str,
        } => "missing_jwk_member";
        /// A JWK declares a use or algorithm other than RS256 signing.
        KeyUseMismatch {
            /// The member that disagrees (`"use"`, `"alg"`, `"key_ops"`).
            member: &'static str,
            /// Its value.
            value: String,
        } => "key_use_mismatch";
        /// The key file could not be read (its name is not repeated: it may be
        /// key contents passed where a name belongs).
        KeyFileUnreadable {
            /// What the operating system said.
            io: std::io::ErrorKind,
        } => "key_file_unreadable";
        /// A key file is larger than any key form (1 MiB).
        KeyFileTooLarge => "key_file_too_large";
        /// A key setting holds what looks like a file path, not key contents.
        KeyLooksLikePath {
            /// Where the value came from (an environment variable name).
            name: &'static str,
        } => "key_looks_like_path";
        /// Two-prime RSA only: multi-prime keys and other variants are refused.
        UnsupportedKey {
            /// What is unsupported.
            what: &'static str,
        } => "unsupported_key";
        /// An explicit constructor was given another key form.
        WrongKeyForm {
            /// The form that constructor reads.
            expected: &'static str,
        } => "wrong_key_form";
        /// The key form carries no key id (PEM, DER) and none was given.
        KeyIdRequired => "key_id_required";
        /// Two sources disagree about the key id.
        KeyIdMismatch {
            /// The key id given (or the create-key response's `id`).
            expected: String,
            /// The key id the key itself carries.
            found: String,
        } => "key_id_mismatch";
        /// A create-key response's `pem` and `jwk` are not the same key.
        ResponseKeyMismatch => "response_key_mismatch";
    }

    /// Malformed input that is neither a key nor a policy refusal: an
    /// identifier, a URL part, a text form.
    area Input (status = 400) {
        /// Not a Stream video UID (32 hexadecimal characters).
        InvalidVideoId => "invalid_video_id";
        /// Not a usable key id (1 to 32 of `A-Z a-z 0-9 - _`).
        InvalidKeyId => "invalid_key_id";
        /// A text form (an access rule such as `allow:country=GB`, a duration
        /// such as `1h30m`) does not parse.
        InvalidSyntax {
            /// What was being read (`"access rule"`, `"duration"`).
            what: &'static str,
            /// The value given (cut to 64 characters).
            value: String,
            /// What is wrong, and the forms that are accepted.
            reason: &'static str,
        } => "invalid_syntax";
        /// A playback URL part is invalid.
        InvalidUrlPart {
            /// Which part (`"customer code"`, `"host"`, `"filename"`, a query parameter).
            what: &'static str,
            /// The value given (cut to 64 characters).
            value: String,
        } => "invalid_url_part";
    }

    /// The token (or URL) asked for breaks a rule of the token policy: its
    /// times, its access rules, its size, a keyring's lifetime
    /// ([`Error::is_policy`]).
    area Policy (status = 400) {
        /// `exp` would be more than 24 hours after the signing clock's now.
        ExpiryTooFar {
            /// The requested expiry, unix seconds.
            exp: i64,
            /// The latest allowed expiry, unix seconds.
            max: i64,
        } => "expiry_too_far";
        /// `exp` is not after the signing clock's now.
        ExpiryNotInFuture {
            /// The requested expiry, unix seconds.
            exp: i64,
            /// The signing clock's now, unix seconds.
            now: i64,
        } => "expiry_not_in_future";
        /// `nbf` is not before `exp`.
        NotBeforeAfterExpiry {
            /// The requested not-before, unix seconds.
            nbf: i64,
            /// The expiry, unix seconds.
            exp: i64,
        } => "not_before_after_expiry";
        /// A lifetime or back-dating duration is zero, negative, or not whole seconds.
        InvalidDuration {
            /// Which option.
            what: &'static str,
        } => "invalid_duration";
        /// A token lifetime longer than the 24-hour cap.
        LifetimeTooLong {
            /// The lifetime asked for, in seconds.
            seconds: u64,
        } => "lifetime_too_long";
        /// A time is outside the range this crate represents.
        TimeOutOfRange => "time_out_of_range";
        /// Tokens minted with these options could be longer than
        /// [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) (too many or too long access
        /// rules), too long for a URL Cloudflare serves.
        TokenTooLong {
            /// The bound on the token's length, in bytes.
            len: usize,
            /// The limit, in bytes.
            max: usize,
        } => "token_too_long";
        /// More than 5 access rules.
        TooManyRules {
            /// How many were given.
            count: usize,
        } => "too_many_rules";
        /// A rule follows an `any` rule and could never match.
        RuleAfterAny {
            /// Position of the unreachable rule, from 1 (as in
            /// `blocked-by-rule:N` and [`Decision::rule`](crate::Decision::rule)).
            index: usize,
        } => "rule_after_any";
        /// A rule has an empty list of countries or addresses.
        EmptyRuleList {
            /// Position of the rule, from 1 (as in `blocked-by-rule:N` and
            /// [`Decision::rule`](crate::Decision::rule)).
            index: usize,
        } => "empty_rule_list";
        /// A rule can never change whether any viewer may play: earlier
        /// rules already decide every viewer it matches, or it is an `allow`
        /// rule whose viewers would play without it (no later `block` rule
        /// matches them, as in the allow-only list `allow:country=GB`, which
        /// lets everyone play: a viewer no rule matches is let through).
        RuleHasNoEffect {
            /// Position of the rule, from 1 (as in `blocked-by-rule:N` and
            /// [`Decision::rule`](crate::Decision::rule)).
            rule: usize,
            /// Why it has no effect, and what to change.
            reason: &'static str,
        } => "rule_has_no_effect";
        /// Not an assigned ISO 3166-1 alpha-2 country code (nor `T1`/`XX`).
        InvalidCountryCode {
            /// The value given (cut to 64 characters).
            value: String,
        } => "invalid_country_code";
        /// Not an IPv4/IPv6 address or CIDR.
        InvalidIpNetwork {
            /// The value given (cut to 64 characters).
            value: String,
        } => "invalid_ip_network";
        /// A playback URL could be longer than the 16 KB Cloudflare serves
        /// ([`MAX_URL_LEN`](crate::MAX_URL_LEN)).
        UrlTooLong {
            /// The URL's length (or the bound on it), in bytes.
            len: usize,
            /// The limit, in bytes.
            max: usize,
        } => "url_too_long";
        /// The token would outlive the keyring's maximum token lifetime (set
        /// lower than the 24-hour cap): the retirement horizon counts on it.
        TokenOutlivesRing {
            /// The requested expiry, unix seconds.
            exp: i64,
            /// The latest expiry the ring allows, unix seconds.
            max: i64,
        } => "token_outlives_ring";
    }

    /// A token was refused by a verifier, or could not be read
    /// ([`Error::is_verification`]).
    area Verification (status = 401) {
        /// The token is not a well-formed compact JWS with Stream claims.
        MalformedToken {
            /// What is wrong with it.
            reason: &'static str,
        } => "malformed_token", status = 400;
        /// The token's `alg` is not RS256.
        WrongAlgorithm {
            /// The `alg` the token declares (cut to 16 characters).
            alg: String,
        } => "wrong_algorithm";
        /// The token's `kid` (header or payload) is not this key's.
        WrongKey {
            /// The `kid` the token carries.
            kid: String,
        } => "wrong_key";
        /// The signature does not verify.
        BadSignature => "bad_signature";
        /// The token has expired.
        Expired {
            /// The token's `exp`.
            exp: i64,
            /// The clock it was checked against.
            now: i64,
        } => "expired";
        /// The token is not valid yet.
        NotYetValid {
            /// The token's `nbf`.
            nbf: i64,
            /// The clock it was checked against.
            now: i64,
        } => "not_yet_valid";
        /// A token's `kid` names no key of the keyring (a key that was
        /// retired, or one the ring never held).
        UnknownKey {
            /// The `kid` the token carries (always a valid key id).
            kid: String,
        } => "unknown_key";
        /// The token is valid but for another video than the one asked for
        /// ([`Verifier::verify_for`](crate::Verifier::verify_for),
        /// `PlaybackUrls::with_token`): a token of one video never opens another.
        WrongVideo {
            /// The video asked for.
            expected: String,
            /// The video the token is for (its `sub`).
            found: String,
        } => "wrong_video";
        /// The token is not downloadable (`downloadable: true`), but a
        /// download was asked for (a download surface of
        /// `PlaybackUrls::with_token`).
        NotDownloadable => "not_downloadable";
    }

    /// The Cloudflare API client (feature `api`): its configuration,
    /// Cloudflare's refusals, the exchange, the create-key outcomes
    /// (`Error::is_api`).
    // Produced only with the `api` feature. What Cloudflare said (status,
    // every `errors[]` entry, the raw body if undecodable) is reachable
    // through `Error::api_details` (defined in `api/error.rs`).
    area Api (status = 500) {
        /// Not a usable account id (1 to 32 of `A-Z a-z 0-9 - _`).
        InvalidAccountId => "invalid_account_id";
        /// Neither an API token nor an email and global API key were given or
        /// found in the environment.
        MissingCredentials => "missing_credentials";
        /// A credential cannot be sent (empty, or not a valid HTTP header value).
        InvalidCredentials {
            /// Which credential.
            what: &'static str,
        } => "invalid_credentials";
        /// A required setting was neither given nor found in the environment.
        MissingConfig {
            /// The setting (an environment variable name).
            name: &'static str,
        } => "missing_config";
        /// Cloudflare refused the credentials themselves: HTTP 401, or error
        /// code 10000 with a status other than 403. They are wrong, expired or
        /// revoked.
        Unauthorized => "unauthorized";
        /// The credentials are valid but lack a permission the call needs
        /// (HTTP 403): "Stream Write" to create and delete keys and to mint
        /// tokens, "Stream Read" (or Write) to list keys.
        Forbidden => "forbidden";
        /// The account, key or video does not exist (HTTP 404).
        NotFound => "not_found";
        /// Too many requests (HTTP 429). Returned at once, without sleeping,
        /// when Cloudflare asks for a longer wait than the client allows.
        RateLimited {
            /// How long Cloudflare asked to wait (`Retry-After`), if it said.
            retry_after: Option<std::time::Duration>,
        } => "rate_limited", status = 503, transient = true;
        /// Cloudflare failed (HTTP 5xx), after any retries.
        ServerError {
            /// The HTTP status.
            status: u16,
            /// How long Cloudflare asked to wait (`Retry-After`), if it said.
            retry_after: Option<std::time::Duration>,
        } => "server_error", status = 503, transient = true;
        /// Any other refusal: another 4xx, or `success: false`.
        ApiError {
            /// The HTTP status.
            status: u16,
        } => "api_error";
        /// The request timed out (connecting, or waiting for the whole
        /// response), or Cloudflare answered 408, after any retries.
        Timeout => "timeout", status = 503, transient = true;
        /// The connection failed or broke, after any retries.
        Transport => "transport", status = 503, transient = true;
        /// A successful response that is not what the API documents.
        InvalidResponse {
            /// What is wrong with it.
            what: &'static str,
        } => "invalid_response";
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
        } => "created_key_unusable";
        /// A create-key request may have reached Cloudflare, but its answer was
        /// lost (a timeout, or a connection broken after the request was sent):
        /// a signing key may have been created; listing the keys shows it. Never
        /// retried, since its private half could not be read again.
        CreateOutcomeUnknown {
            /// Whether the request timed out (rather than lost its connection).
            timed_out: bool,
        } => "create_outcome_unknown";
    }

    /// The cryptographic backend failed.
    area Signing (status = 500) {
        /// The cryptographic backend failed to sign.
        SigningFailed => "signing_failed";
    }

    /// A setting of this crate is out of its range.
    area Config (status = 500) {
        /// A setting is out of its range.
        InvalidConfig {
            /// Which setting, and its range.
            what: &'static str,
        } => "invalid_config";
        /// Two settings that each give the same thing are both set (a
        /// variable and its `_FILE` form, or both ways of naming the
        /// playback host): which one is meant would be a guess.
        ConflictingConfig {
            /// One setting (an environment variable name).
            first: &'static str,
            /// The other.
            second: &'static str,
        } => "conflicting_config";
    }

    /// A keyring document, file or operation (the verifier's unknown `kid`
    /// is [`Verification`](ErrorArea::Verification), the ring's lifetime
    /// cap [`Policy`](ErrorArea::Policy)).
    area Keyring (status = 500) {
        /// A keyring document is malformed or breaks an invariant (exactly one
        /// current key, at most one next key, unique kids, the times each
        /// state needs).
        InvalidKeyring {
            /// What is wrong with it.
            reason: &'static str,
        } => "invalid_keyring";
        /// A key of a keyring document does not load.
        KeyringKeyUnusable {
            /// The key's position in the document's `keys`, from 0.
            index: usize,
            /// Why it does not load.
            cause: Box<ErrorKind>,
        } => "keyring_key_unusable";
        /// The ring has no `next` key to promote.
        NoNextKey => "no_next_key";
        /// The ring already has a `next` key: promote it before adding another.
        NextKeyExists {
            /// The next key's id.
            kid: String,
        } => "next_key_exists";
        /// The next key is younger than the ring's minimum age for promotion.
        KeyTooYoung {
            /// The next key's id.
            kid: String,
            /// When it may be promoted, unix seconds.
            ready_at: i64,
        } => "key_too_young";
        /// A previous key's tokens may still be playing: it may be deleted
        /// only from its retirement horizon on.
        RetireTooEarly {
            /// The key's id.
            kid: String,
            /// Its retirement horizon, unix seconds.
            safe_at: i64,
        } => "retire_too_early";
        /// The key is not in the keyring, or not in the state the operation
        /// needs.
        NotInKeyring {
            /// The key id asked for.
            kid: String,
        } => "not_in_keyring";
        /// Removing this key would leave the ring with no key to sign with.
        LastSigningKey {
            /// The current key's id.
            kid: String,
        } => "last_signing_key";
        /// The keyring belongs to another Cloudflare account than the one
        /// given: one ring holds the keys of one account.
        KeyringAccountMismatch {
            /// The account the ring records.
            ring: String,
            /// The account given.
            given: String,
        } => "keyring_account_mismatch";
        /// A keyring file could not be read.
        KeyringFileUnreadable {
            /// What the operating system said.
            io: std::io::ErrorKind,
        } => "keyring_file_unreadable";
        /// A keyring file is larger than
        /// [`KEYRING_FILE_LIMIT`](crate::KEYRING_FILE_LIMIT) bytes: far more
        /// than the 1,000 keys an account can hold.
        KeyringFileTooLarge => "keyring_file_too_large";
        /// The ring's propagation margin would be shorter than the fleet's
        /// reload bound: an instance could still sign with a demoted key
        /// when the horizon counts down its last tokens.
        MarginBelowReloadBound {
            /// The margin, whole seconds.
            margin: u64,
            /// The reload bound, whole seconds.
            bound: u64,
        } => "margin_below_reload_bound";
        /// A reload offered a document older (a lower `serial`) than the
        /// one in force: a stale replica or a restored backup. The ring in
        /// force stays.
        KeyringOlderThanInForce {
            /// The serial of the document in force.
            in_force: u64,
            /// The serial of the document offered.
            offered: u64,
        } => "keyring_older_than_in_force";
        /// A reload's source failed: a closure source returned an error
        /// (kept as the `source()`, which is the caller's own) or panicked,
        /// or an environment variable is unset or not UTF-8. What was in
        /// force stays; the next reload tries again.
        SecretSourceFailed {
            /// The source, as [`SecretSource::name`](crate::SecretSource::name)
            /// shows it (a file path, a variable name or the closure's label).
            source_name: String,
        } => "secret_source_failed", status = 503, transient = true;
        /// The background thread of a reloading source could not be
        /// started.
        ReloadThreadUnavailable => "reload_thread_unavailable", status = 503, transient = true;
    }
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
        "http host" => {
            "http is allowed only for a loopback address (127.0.0.0/8, [::1] or localhost), \
             such as the emulator's http://127.0.0.1:PORT: a token sent in the clear is \
             anyone's; serve other hosts over https"
        }
        "base URL" => {
            "expected https://HOST[:PORT] or http://LOOPBACK[:PORT], without path, query or user"
        }
        _ => return None,
    })
}

/// The 24-hour cap in seconds (`claims.rs` enforces it), for messages
/// that say how far past it a time is.
const CAP_SECS: i64 = 86_400;

/// How far `a` is from `b`: `5m before it` (`after`/`before` as `word`
/// says), or `the same second`.
fn apart(a: i64, b: i64, word: &str) -> String {
    if a == b {
        "the same second".to_owned()
    } else {
        format!("{} {word}", human_between(a, b))
    }
}

/// What a refused country code was probably meant to be.
fn country_hint(value: &str) -> Option<String> {
    let upper = value.to_ascii_uppercase();
    match upper.as_str() {
        "UK" => return Some("the United Kingdom is GB".to_owned()),
        "EL" => return Some("Greece is GR".to_owned()),
        _ => {}
    }
    if upper.len() == 3
        && let Ok(country) = celes::Country::from_alpha3(&upper)
    {
        return Some(format!(
            "{upper} is alpha-3; the alpha-2 code is {}",
            country.alpha2
        ));
    }
    None
}

/// Why a host was refused, read from the value as the error repeats it
/// (the checks of `StreamHost::hostname`, in its order).
fn host_refusal(value: &str) -> &'static str {
    let name = value.split_once(':').map_or(value, |(name, _)| name);
    let last = name.rsplit('.').next().unwrap_or_default();
    let numeric_last = last.bytes().all(|b| b.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .or_else(|| last.strip_prefix("0X"))
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if value.is_empty() {
        "the host is empty"
    } else if value.contains("://") {
        "give the host name alone, without a scheme (playback URLs are https)"
    } else if value.contains(['/', '?', '#']) {
        "give the host name alone, without a path"
    } else if value.contains('@') {
        "give the host name alone, without a user"
    } else if value.starts_with('[') || value.parse::<std::net::IpAddr>().is_ok() {
        "an IP address is not a host name: give a DNS name (a loopback address is \
         allowed over http, as in http://127.0.0.1:8080)"
    } else if name.ends_with('.') {
        "drop the trailing dot"
    } else if value.ends_with('…') || name.len() > 253 {
        "a host name is at most 253 characters"
    } else if let Some((_, port)) = value.split_once(':')
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.starts_with('0')
            || port.parse::<u16>().is_err())
    {
        "the port must be 1 to 65535, without a leading zero"
    } else if numeric_last {
        "its last label is a number, so browsers read it as an IPv4 address: give a DNS name"
    } else {
        "expected a DNS name (labels of 1 to 63 of A-Z, a-z, 0-9 and '-', not starting or \
         ending with '-') and an optional :PORT"
    }
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

    /// Attach a caller's own error as the cause (a reload closure's): its
    /// message is the caller's, and so are its contents.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn with_shared_source(
        kind: ErrorKind,
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    ) -> Self {
        Error {
            kind,
            source: Some(source),
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

    /// The signing key could not be loaded or does not fit: the kind is of
    /// [`ErrorArea::Key`] (its form, contents, file or key id; the area's
    /// docs list the kinds).
    ///
    /// Not [`InvalidKeyId`](ErrorKind::InvalidKeyId) (a malformed
    /// identifier, whatever the key: [`ErrorArea::Input`]) nor
    /// [`CreatedKeyUnusable`](ErrorKind::CreatedKeyUnusable) (an API
    /// outcome: see `is_api`), nor a keyring's keys ([`ErrorArea::Keyring`]).
    pub fn is_key(&self) -> bool {
        self.kind.area() == ErrorArea::Key
    }

    /// The token (or URL) asked for breaks a rule of the token policy: the
    /// kind is of [`ErrorArea::Policy`] (its times, such as
    /// [`ExpiryTooFar`](ErrorKind::ExpiryTooFar) for the 24-hour cap; its
    /// access rules; its size; a keyring's lifetime). Asking again with the
    /// same options fails the same way.
    ///
    /// Not the identifiers nor [`InvalidUrlPart`](ErrorKind::InvalidUrlPart):
    /// malformed input ([`ErrorArea::Input`]), not a policy refusal.
    pub fn is_policy(&self) -> bool {
        self.kind.area() == ErrorArea::Policy
    }

    /// The token was refused by [`Verifier`](crate::Verifier) (or could not
    /// be read by `dangerous::decode_unverified`): the kind is of
    /// [`ErrorArea::Verification`], a keyring verifier's
    /// [`UnknownKey`](ErrorKind::UnknownKey) included. A web handler
    /// answers these with 401 (400 for a
    /// [`MalformedToken`](ErrorKind::MalformedToken)).
    pub fn is_verification(&self) -> bool {
        self.kind.area() == ErrorArea::Verification
    }

    /// Worth trying again later, unchanged: [`Timeout`] (including HTTP
    /// 408), [`Transport`], [`RateLimited`] (429; wait its `retry_after`
    /// when given) and [`ServerError`] (5xx): the kinds the table in this
    /// module marks `transient = true`. The API client has already retried
    /// these as configured before returning them.
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
        self.kind.row().transient
    }
}

#[cfg(feature = "api")]
impl Error {
    /// Anything from the Cloudflare API client (feature `api`): the kind is
    /// of [`ErrorArea::Api`]: its configuration, Cloudflare's refusals, the
    /// exchange (the transient kinds among them) and the create-key
    /// outcomes ([`CreatedKeyUnusable`](ErrorKind::CreatedKeyUnusable),
    /// [`CreateOutcomeUnknown`](ErrorKind::CreateOutcomeUnknown)). What
    /// Cloudflare answered, when it did, is in `Error::api_details`.
    #[cfg_attr(docsrs, doc(cfg(feature = "api")))]
    pub fn is_api(&self) -> bool {
        self.kind.area() == ErrorArea::Api
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
                "{name} looks like a path, not a key: set it to the key's contents, or read the file with SigningKey::from_file"
            ),
            UnsupportedKey { what } => write!(f, "unsupported key: {what}"),
            WrongKeyForm { expected } => write!(f, "wrong key form: expected {expected}"),
            KeyIdRequired => f.write_str(
                "this key form (PEM or DER) carries no key id; give one with the key (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY)",
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
                "exp {} is {} after signing, over the 24-hour cap (latest allowed {})",
                unix_text(*exp),
                human_between(max.saturating_sub(CAP_SECS), *exp),
                unix_text(*max)
            ),
            ExpiryNotInFuture { exp, now } => write!(
                f,
                "exp {} is not after the signing time {} ({})",
                unix_text(*exp),
                unix_text(*now),
                apart(*exp, *now, "before it")
            ),
            NotBeforeAfterExpiry { nbf, exp } => write!(
                f,
                "nbf {} is not before exp {} ({})",
                unix_text(*nbf),
                unix_text(*exp),
                apart(*nbf, *exp, "after it")
            ),
            InvalidDuration { what } => {
                write!(f, "{what} must be a positive whole number of seconds")
            }
            LifetimeTooLong { seconds } => write!(
                f,
                "token lifetime of {} exceeds the 24-hour cap",
                human(*seconds)
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
            RuleHasNoEffect { rule, reason } => {
                write!(f, "access rule {rule} has no effect: {reason}")
            }
            InvalidCountryCode { value } => {
                write!(f, "{value:?} is not an ISO 3166-1 alpha-2 country code")?;
                match country_hint(value) {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
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
            InvalidUrlPart { what, value } if *what == "host" => {
                write!(f, "invalid host {value:?}: {}", host_refusal(value))
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
            Expired { exp, now } => write!(
                f,
                "token expired at {}, {} ago (now {})",
                unix_text(*exp),
                human_between(*exp, *now),
                unix_text(*now)
            ),
            NotYetValid { nbf, now } => write!(
                f,
                "token is not valid before {}, {} from now (now {})",
                unix_text(*nbf),
                human_between(*now, *nbf),
                unix_text(*now)
            ),
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
            ConflictingConfig { first, second } => {
                write!(f, "both {first} and {second} are set: set only one")
            }
            UnknownKey { kid } => write!(f, "token was signed by a key not in the keyring (kid {kid:?})"),
            WrongVideo { expected, found } => write!(
                f,
                "token is for video {found}, not for video {expected}"
            ),
            NotDownloadable => f.write_str(
                "token is not downloadable, but a download was asked for (mint it with downloadable options)",
            ),
            TokenOutlivesRing { exp, max } => write!(
                f,
                "exp {} is {} past the keyring's maximum token lifetime (latest allowed {})",
                unix_text(*exp),
                human_between(*max, *exp),
                unix_text(*max)
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
                "next key {kid} is too young to promote; it may be promoted from {}",
                unix_text(*ready_at)
            ),
            RetireTooEarly { kid, safe_at } => write!(
                f,
                "previous key {kid} may still have tokens playing; it can be retired from {}",
                unix_text(*safe_at)
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
            MarginBelowReloadBound { margin, bound } => write!(
                f,
                "the margin ({margin} s) is shorter than the fleet's reload bound ({bound} s)"
            ),
            KeyringOlderThanInForce { in_force, offered } => write!(
                f,
                "the keyring offered (serial {offered}) is older than the one in force (serial {in_force})"
            ),
            SecretSourceFailed { source_name } => {
                write!(f, "the secret source {source_name} failed")
            }
            ReloadThreadUnavailable => f.write_str("the reload thread could not be started"),
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

    /// `size_of::<Error>()` on 64-bit targets before the kinds table.
    const ERROR_SIZE_64: usize = 72;

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
    const TRANSIENT: Areas = Areas {
        transient: true,
        ..NONE
    };
    const API_TRANSIENT: Areas = Areas {
        api: true,
        transient: true,
        ..NONE
    };

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
            (
                RuleHasNoEffect {
                    rule: 1,
                    reason: "test",
                },
                POLICY,
            ),
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
                ConflictingConfig {
                    first: "A",
                    second: "A_FILE",
                },
                NONE,
            ),
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
            (
                WrongVideo {
                    expected: s("a"),
                    found: s("b"),
                },
                VERIFICATION,
            ),
            (NotDownloadable, VERIFICATION),
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
            (
                MarginBelowReloadBound {
                    margin: 60,
                    bound: 90,
                },
                NONE,
            ),
            (
                KeyringOlderThanInForce {
                    in_force: 2,
                    offered: 1,
                },
                NONE,
            ),
            (
                SecretSourceFailed {
                    source_name: s("vault"),
                },
                TRANSIENT,
            ),
            (ReloadThreadUnavailable, TRANSIENT),
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
            assert_eq!(status, kind.row().status, "{kind:?}");
        }
        assert_eq!(names.len(), KIND_ROWS.len());
    }

    /// The examples below cover every row of the kinds table, so the
    /// checks on them reach every kind.
    #[test]
    fn table_lists_every_kind() {
        let mut seen: Vec<&str> = table().iter().map(|(k, _)| k.name()).collect();
        seen.sort_unstable();
        seen.dedup();
        let mut rows: Vec<&str> = KIND_ROWS.iter().map(|r| r.name).collect();
        rows.sort_unstable();
        assert_eq!(seen, rows);
    }

    /// The HTTP status an area gives its kinds. No wildcard arm: a new area
    /// does not compile until it is given one here.
    fn area_status(area: ErrorArea) -> u16 {
        match area {
            ErrorArea::Key => 500,
            ErrorArea::Input => 400,
            ErrorArea::Policy => 400,
            ErrorArea::Verification => 401,
            ErrorArea::Api => 500,
            ErrorArea::Signing => 500,
            ErrorArea::Config => 500,
            ErrorArea::Keyring => 500,
        }
    }

    #[test]
    fn every_row_has_a_distinct_snake_case_name_an_area_and_its_status() {
        let mut names: Vec<&str> = KIND_ROWS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KIND_ROWS.len(), "a name is used twice");
        assert_eq!(KIND_ROWS.len(), 87);
        for row in KIND_ROWS {
            assert!(
                !row.name.is_empty()
                    && !row.name.starts_with('_')
                    && !row.name.ends_with('_')
                    && !row.name.contains("__")
                    && row
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                row.name
            );
            // Only a transient kind (503) and a token that is not even a
            // token (400 in a 401 area) differ from their area.
            // Transient: the API's exchange, and a reload's source or thread.
            let expected = if row.transient {
                assert!(
                    matches!(row.area, ErrorArea::Api | ErrorArea::Keyring),
                    "{}",
                    row.name
                );
                503
            } else if row.name == "malformed_token" {
                assert_eq!(row.area, ErrorArea::Verification);
                400
            } else {
                area_status(row.area)
            };
            assert_eq!(row.status, expected, "{}", row.name);
        }
    }

    #[test]
    fn predicates_follow_the_areas() {
        for (kind, _) in table() {
            let e = Error::new(kind.clone());
            let area = kind.area();
            assert_eq!(e.is_key(), area == ErrorArea::Key, "{kind:?}");
            assert_eq!(e.is_policy(), area == ErrorArea::Policy, "{kind:?}");
            assert_eq!(
                e.is_verification(),
                area == ErrorArea::Verification,
                "{kind:?}"
            );
            #[cfg(feature = "api")]
            assert_eq!(e.is_api(), area == ErrorArea::Api, "{kind:?}");
            assert_eq!(e.is_transient(), kind.row().transient, "{kind:?}");
            assert_eq!(e.http_status(), kind.row().status, "{kind:?}");
            assert_eq!(kind.name(), kind.row().name, "{kind:?}");
        }
    }

    /// The kinds that belonged to no area before the table: their areas.
    #[test]
    fn kinds_without_a_predicate_have_an_area() {
        use ErrorKind::*;
        let s = String::from;
        for (kind, area) in [
            (InvalidVideoId, ErrorArea::Input),
            (InvalidKeyId, ErrorArea::Input),
            (
                InvalidUrlPart {
                    what: "host",
                    value: s("a/b"),
                },
                ErrorArea::Input,
            ),
            (
                InvalidSyntax {
                    what: "duration",
                    value: s("1.5h"),
                    reason: "r",
                },
                ErrorArea::Input,
            ),
            (SigningFailed, ErrorArea::Signing),
            (InvalidConfig { what: "w" }, ErrorArea::Config),
            (InvalidKeyring { reason: "r" }, ErrorArea::Keyring),
            (NoNextKey, ErrorArea::Keyring),
            (KeyringFileTooLarge, ErrorArea::Keyring),
            (LastSigningKey { kid: s("k") }, ErrorArea::Keyring),
        ] {
            assert_eq!(kind.area(), area, "{kind:?}");
        }
    }

    /// Errors travel in every `Result` of the crate: the table adds no
    /// field to them (the kinds' rows are computed, not stored).
    #[test]
    fn the_error_stays_its_size() {
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Error>(), ERROR_SIZE_64);
        assert_eq!(
            std::mem::size_of::<Error>(),
            std::mem::size_of::<ErrorKind>() + 2 * std::mem::size_of::<usize>()
        );
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
