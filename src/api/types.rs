//! The API's wire shapes and paths: serde types, no I/O.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use super::error::{Scrubber, refused, scrub};
use super::wire::KeptResult;
use crate::error::{ECHO_MAX_CHARS, Error, ErrorKind, Result, echo};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::SigningKey;
use crate::rules::AccessRule;

/// `POST`/`GET /accounts/{account_id}/stream/keys`.
pub(crate) fn keys_path(account: &AccountId) -> String {
    // Ids are restricted to `A-Z a-z 0-9 - _`: nothing to escape.
    format!("/accounts/{account}/stream/keys")
}

/// `DELETE /accounts/{account_id}/stream/keys/{key_id}`.
pub(crate) fn key_path(account: &AccountId, key: &KeyId) -> String {
    format!("/accounts/{account}/stream/keys/{key}")
}

/// `POST /accounts/{account_id}/stream/{video_uid}/token`.
pub(crate) fn token_path(account: &AccountId, video: &VideoId) -> String {
    format!("/accounts/{account}/stream/{video}/token")
}

/// A `created` member as the crate reads it: the time when it is an RFC
/// 3339 date-time, and the text as sent (at most 64 characters, control
/// characters as `?`) whenever there is one.
fn read_created(value: Option<&serde_json::Value>) -> (Option<OffsetDateTime>, Option<String>) {
    match value {
        None | Some(serde_json::Value::Null) => (None, None),
        Some(serde_json::Value::String(s)) => (
            OffsetDateTime::parse(s, &Rfc3339).ok(),
            Some(echo(s, ECHO_MAX_CHARS)),
        ),
        Some(other) => (None, Some(echo(&other.to_string(), ECHO_MAX_CHARS))),
    }
}

#[derive(Deserialize)]
struct KeyInfoWire {
    id: KeyId,
    #[serde(default)]
    created: Option<serde_json::Value>,
}

impl From<KeyInfoWire> for KeyInfo {
    fn from(wire: KeyInfoWire) -> Self {
        let (created, created_raw) = read_created(wire.created.as_ref());
        KeyInfo {
            id: wire.id,
            created,
            created_raw,
        }
    }
}

/// A signing key as listed: its id and when it was created.
///
/// An entry whose `created` is missing or not an RFC 3339 date-time is
/// still listed (one odd entry never hides the others): [`created`](Self::created)
/// is then `None` and [`created_raw`](Self::created_raw) shows what was sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "KeyInfoWire")]
pub struct KeyInfo {
    id: KeyId,
    created: Option<OffsetDateTime>,
    created_raw: Option<String>,
}

/// `{"id", "created"}`, `created` in RFC 3339, or `null` with
/// `created_raw` (the text Cloudflare sent, if any) when that was not an
/// RFC 3339 date-time: what `cf-stream-token keys list` prints.
impl Serialize for KeyInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeStruct as _};
        let created = self
            .created
            .map(crate::clock::rfc3339)
            .transpose()
            .map_err(S::Error::custom)?;
        let raw = if created.is_none() {
            self.created_raw.as_deref()
        } else {
            None
        };
        let mut st = s.serialize_struct("KeyInfo", 2 + usize::from(raw.is_some()))?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("created", &created)?;
        if let Some(raw) = raw {
            st.serialize_field("created_raw", raw)?;
        }
        st.end()
    }
}

impl KeyInfo {
    /// The key id (`kid`).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// When the key was created; `None` when the entry's `created` is
    /// missing or not an RFC 3339 date-time.
    pub fn created(&self) -> Option<OffsetDateTime> {
        self.created
    }

    /// `created_raw` less any echo of the credentials.
    pub(crate) fn scrub(&mut self, scrubber: &Scrubber<'_>) {
        if let Some(raw) = &self.created_raw {
            self.created_raw = Some(scrubber.clean(raw, ECHO_MAX_CHARS));
        }
    }

    /// The entry's `created` as sent (a string's contents, or the JSON text
    /// of another value; at most 64 characters, control characters as `?`),
    /// `None` when it is missing or null.
    pub fn created_raw(&self) -> Option<&str> {
        self.created_raw.as_deref()
    }
}

fn unusable(id: Option<KeyId>, cause: ErrorKind, kept: Zeroizing<String>) -> Error {
    Error::with_source(
        ErrorKind::CreatedKeyUnusable {
            id: id.map(|id| id.as_str().to_owned()),
            cause: Box::new(cause),
        },
        KeptResult(kept),
    )
}

/// The envelope of a create-key answer, its `result` left as raw text.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    success: Option<bool>,
    #[serde(borrow, default)]
    result: Option<&'a serde_json::value::RawValue>,
}

/// The members of a create-key `result` read before the key itself. The
/// private members are skipped, never copied.
#[derive(Deserialize)]
struct CreatedMeta<'a> {
    #[serde(borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    created: Option<serde_json::Value>,
    #[serde(default)]
    pem: Option<IgnoredAny>,
    #[serde(default)]
    jwk: Option<IgnoredAny>,
}

/// A 2xx answer to `POST .../stream/keys`, split and checked: as
/// [`Client::create_signing_key`](super::Client::create_signing_key) does.
#[cfg(any(fuzzing, test))]
pub(crate) fn created_key_from_body(
    status: u16,
    body: &[u8],
    scrubber: &Scrubber<'_>,
) -> Result<CreatedKey> {
    let (kept, problem) = split_created_answer(status, body, scrubber)?;
    check_created_answer(kept, problem, scrubber)
}

/// A 2xx answer to `POST .../stream/keys`, opened only as far as finding
/// what to keep: its `result` as raw text (the whole body when there is no
/// `result`), copied into a zeroized buffer before anything in it is read,
/// with what is already known to be wrong with the envelope. Only an
/// explicit refusal (`success: false`) is an error here.
pub(crate) fn split_created_answer(
    status: u16,
    body: &[u8],
    scrubber: &Scrubber<'_>,
) -> Result<(Zeroizing<String>, Option<&'static str>)> {
    let whole_body = || Zeroizing::new(String::from_utf8_lossy(body).into_owned());
    let env = match serde_json::from_slice::<RawEnvelope<'_>>(body) {
        Ok(env) => env,
        Err(_) => return Ok((whole_body(), Some("body is not an API envelope"))),
    };
    if env.success == Some(false) {
        return Err(refused(status, None, body, scrubber));
    }
    let Some(raw) = env.result else {
        return Ok((whole_body(), Some("success without a result")));
    };
    let kept = Zeroizing::new(raw.get().to_owned());
    if env.success != Some(true) {
        return Ok((kept, Some("body is not an API envelope")));
    }
    Ok((kept, None))
}

/// Every check of a kept create-key answer. From here on every failure
/// carries the kept text ([`ErrorKind::CreatedKeyUnusable`]), so no path
/// drops a private key that Cloudflare will never show again.
fn check_created_answer(
    kept: Zeroizing<String>,
    problem: Option<&'static str>,
    scrubber: &Scrubber<'_>,
) -> Result<CreatedKey> {
    if let Some(what) = problem {
        return Err(unusable(None, ErrorKind::InvalidResponse { what }, kept));
    }
    CreatedKey::from_result(kept).map_err(|e| {
        // An id or key member that repeats the credentials is not echoed.
        let shown = e.to_string();
        if scrub(&shown, &scrubber.secrets, &scrubber.plain) == shown {
            return e;
        }
        // Every error of `from_result` carries the kept text.
        let kept = Zeroizing::new(e.secret_created_key_result().unwrap_or_default().to_owned());
        unusable(
            None,
            ErrorKind::InvalidResponse {
                what: "the answer repeats the credentials",
            },
            kept,
        )
    })
}

/// A success answer to `POST .../stream/keys` before any check: the
/// `result` exactly as Cloudflare sent it (the whole body when the answer
/// has no `result`), from
/// [`Client::create_signing_key_raw`](super::Client::create_signing_key_raw).
///
/// A key has been created at Cloudflare, and this holds the only copy of
/// its private half: save [`secret_raw`](Self::secret_raw) first, then
/// [`check`](Self::check) it.
///
/// Not `Clone`; no `Display` or `Serialize`; `Debug` shows nothing of the
/// answer. The text lives in a buffer that is zeroized on drop.
pub struct CreatedKeyAnswer {
    kept: Zeroizing<String>,
    problem: Option<&'static str>,
    client: super::Client,
}

impl fmt::Debug for CreatedKeyAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKeyAnswer").finish_non_exhaustive()
    }
}

impl CreatedKeyAnswer {
    pub(crate) fn new(
        kept: Zeroizing<String>,
        problem: Option<&'static str>,
        client: super::Client,
    ) -> Self {
        CreatedKeyAnswer {
            kept,
            problem,
            client,
        }
    }

    /// The answer's `result` exactly as received (the whole body when it
    /// has none): the text to save. **Contains the private key**: store it
    /// as a secret.
    pub fn secret_raw(&self) -> &str {
        &self.kept
    }

    /// Parse and check the answer: the envelope, the key's id, then the key
    /// exactly as [`SigningKey::parse`] will read the saved text.
    ///
    /// # Errors
    /// [`ErrorKind::CreatedKeyUnusable`], with the text of
    /// [`secret_raw`](Self::secret_raw) in
    /// [`Error::secret_created_key_result`], as
    /// [`Client::create_signing_key`](super::Client::create_signing_key)
    /// describes.
    pub fn check(self) -> Result<CreatedKey> {
        let CreatedKeyAnswer {
            kept,
            problem,
            client,
        } = self;
        check_created_answer(kept, problem, &client.scrubber())
    }
}

/// A signing key just created by Cloudflare, with its private half: the
/// only time Cloudflare ever shows it.
///
/// Save [`secret_result_json`](Self::secret_result_json) somewhere safe (a
/// secrets manager), then take the [`SigningKey`] with
/// [`into_signing_key`](Self::into_signing_key) or `SigningKey::try_from`.
/// The saved JSON loads again with [`SigningKey::parse`] or
/// [`SigningKey::from_create_response`]: a `CreatedKey` exists only once
/// the key has loaded exactly as [`SigningKey::parse`] reads the saved text,
/// with the answer's `id` as its key id.
///
/// Not `Clone`; no `Display` or `Serialize`; `Debug` shows the id and
/// creation time only. The private material lives in a buffer that is
/// zeroized on drop.
pub struct CreatedKey {
    id: KeyId,
    created: Option<OffsetDateTime>,
    created_raw: Option<String>,
    result_json: Zeroizing<String>,
    key: SigningKey,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id.as_str())
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl CreatedKey {
    /// Check a kept `result`: its id, then the key exactly as
    /// `SigningKey::parse` will read the saved text. `created` is not
    /// required to parse (it names no key material).
    fn from_result(kept: Zeroizing<String>) -> Result<Self> {
        let invalid = |what| ErrorKind::InvalidResponse { what };
        let (id, created, created_raw, has_key) =
            match serde_json::from_str::<CreatedMeta<'_>>(&kept) {
                Ok(meta) => {
                    let id = meta.id.as_deref().map(KeyId::new);
                    let (created, raw) = read_created(meta.created.as_ref());
                    (id, created, raw, meta.pem.is_some() || meta.jwk.is_some())
                }
                Err(_) => {
                    return Err(unusable(
                        None,
                        invalid("result is not of the documented shape"),
                        kept,
                    ));
                }
            };
        let id = match id {
            Some(Ok(id)) => id,
            Some(Err(_)) => return Err(unusable(None, invalid("id is not a key id"), kept)),
            None => return Err(unusable(None, invalid("created key has no id"), kept)),
        };
        if !has_key {
            return Err(unusable(
                Some(id),
                invalid("created key has neither pem nor jwk"),
                kept,
            ));
        }
        let key = match SigningKey::parse(kept.as_bytes(), None) {
            Ok(key) if *key.kid() == id => key,
            Ok(key) => {
                let found = key.kid().as_str().to_owned();
                return Err(unusable(
                    Some(id),
                    ErrorKind::KeyIdMismatch {
                        expected: id.as_str().to_owned(),
                        found,
                    },
                    kept,
                ));
            }
            Err(e) => return Err(unusable(Some(id), e.into_kind(), kept)),
        };
        Ok(CreatedKey {
            id,
            created,
            created_raw,
            result_json: kept,
            key,
        })
    }

    /// Check a create-key `result` as it was saved (by `keys create`, or
    /// left in a rescue file by `keys rotate`): the checks
    /// [`CreatedKeyAnswer::check`] makes of an answer just received (its
    /// id, then the key exactly as [`SigningKey::parse`] reads the text).
    ///
    /// # Errors
    /// [`ErrorKind::CreatedKeyUnusable`], as [`CreatedKeyAnswer::check`].
    pub fn from_saved(saved: &str) -> Result<CreatedKey> {
        Self::from_result(Zeroizing::new(saved.trim().to_owned()))
    }

    /// The new key's id (`kid`).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// When Cloudflare created the key; `None` when the answer's `created`
    /// is missing or not an RFC 3339 date-time (the key is fine all the
    /// same).
    pub fn created(&self) -> Option<OffsetDateTime> {
        self.created
    }

    /// The answer's `created` as sent (at most 64 characters), when there
    /// is one.
    pub fn created_raw(&self) -> Option<&str> {
        self.created_raw.as_deref()
    }

    /// The new key as [`Client::list_signing_keys`](super::Client::list_signing_keys)
    /// lists it: its id and creation time, nothing secret. Its `Serialize`
    /// form is the one `keys create` and `keys list` print.
    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            id: self.id,
            created: self.created,
            created_raw: self.created_raw.clone(),
        }
    }

    /// The create-key `result` object exactly as Cloudflare sent it,
    /// `{"id","pem","jwk","created"}`, to save for later loading with
    /// [`SigningKey::parse`]. **Contains the private key**: store it as a
    /// secret.
    pub fn secret_result_json(&self) -> &str {
        &self.result_json
    }

    /// The private key, loaded and checked when the answer arrived.
    ///
    /// # Errors
    /// None since 0.2.0 (the key is checked before a `CreatedKey` exists);
    /// the `Result` is kept for compatibility.
    pub fn into_signing_key(self) -> Result<SigningKey> {
        Ok(self.key)
    }
}

impl TryFrom<CreatedKey> for SigningKey {
    type Error = Error;

    fn try_from(created: CreatedKey) -> Result<SigningKey> {
        created.into_signing_key()
    }
}

/// Members of the token endpoint's body that ask Cloudflare for something
/// of the token it mints but are not claims this crate signs or checks:
/// API-only. A token signed locally ([`crate::Signer`]) has no such
/// members, and none is documented as a claim of self-signed tokens.
///
/// ```
/// use cf_stream_token::api::TokenFlags;
/// let flags = TokenFlags::new().original(true);
/// assert!(flags.is_original());
/// assert_eq!(TokenFlags::default(), TokenFlags::new());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokenFlags {
    original: bool,
}

impl TokenFlags {
    /// No flag set: the body carries no `flags` member.
    pub fn new() -> Self {
        TokenFlags::default()
    }

    /// `flags.original`: Cloudflare returns the original video, without
    /// transformations, to this token (in Cloudflare's OpenAPI since April
    /// 2026). Sent only when `true`.
    #[must_use]
    pub fn original(mut self, yes: bool) -> Self {
        self.original = yes;
        self
    }

    /// Whether [`original`](Self::original) is set.
    pub fn is_original(&self) -> bool {
        self.original
    }

    fn is_empty(&self) -> bool {
        !self.original
    }
}

impl Serialize for TokenFlags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        if self.original {
            map.serialize_entry("original", &true)?;
        }
        map.end()
    }
}

/// The token call's body. Never carries `id`/`pem`: a local key is used
/// locally, not handed to the API.
#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub(crate) exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nbf: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) downloadable: bool,
    #[serde(rename = "accessRules", skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) access_rules: &'a [AccessRule],
    #[serde(skip_serializing_if = "TokenFlags::is_empty")]
    pub(crate) flags: TokenFlags,
}

/// The token call's `result`.
#[derive(Deserialize)]
pub(crate) struct TokenResult {
    pub(crate) token: String,
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3),
/// the date read against `now`; a date in the past means "now". `None` for
/// anything unreadable.
pub(crate) fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number is still "longer than any cap".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::from(now))
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Action;

    const NOW: i64 = 1_445_412_480; // Wed, 21 Oct 2015 07:28:00 GMT

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now()),
            Some(Duration::from_secs(u64::MAX))
        );
        for date in [
            "Wed, 21 Oct 2015 07:28:30 GMT",
            "Wednesday, 21-Oct-15 07:28:30 GMT",
            "Wed Oct 21 07:28:30 2015",
        ] {
            assert_eq!(
                parse_retry_after(date, now()),
                Some(Duration::from_secs(30)),
                "{date}"
            );
        }
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "soon", "Wed, 21 Oct 2015"] {
            assert_eq!(parse_retry_after(bad, now()), None, "{bad}");
        }
    }

    #[test]
    fn token_request_omits_what_is_unset() {
        let minimal = TokenRequest {
            exp: 10,
            nbf: None,
            downloadable: false,
            access_rules: &[],
            flags: TokenFlags::new().original(false),
        };
        assert_eq!(serde_json::to_string(&minimal).unwrap(), r#"{"exp":10}"#);
        let rules = [AccessRule::Any {
            action: Action::Block,
        }];
        let full = TokenRequest {
            exp: 10,
            nbf: Some(5),
            downloadable: true,
            access_rules: &rules,
            flags: TokenFlags::new().original(true),
        };
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            r#"{"exp":10,"nbf":5,"downloadable":true,"accessRules":[{"type":"any","action":"block"}],"flags":{"original":true}}"#
        );
    }

    #[test]
    fn paths() {
        let a = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
        let k = KeyId::new("8f3c2a1b9d4e5f60718293a4b5c6d7e8").unwrap();
        let v = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
        assert_eq!(
            keys_path(&a),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/keys"
        );
        assert_eq!(
            key_path(&a, &k),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/keys/8f3c2a1b9d4e5f60718293a4b5c6d7e8"
        );
        assert_eq!(
            token_path(&a, &v),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/ea95132c15732412d22c1476fa83f27a/token"
        );
    }

    #[test]
    fn created_key_debug_shows_id_and_created_only() {
        let body = format!(
            r#"{{"success":true,"result":{}}}"#,
            include_str!("../../fixtures/demo/demo_create_result.json").trim()
        );
        let key = created_key_from_body(200, body.as_bytes(), &Scrubber::default()).unwrap();
        assert_eq!(
            format!("{key:?}"),
            r#"CreatedKey { id: "8f3c2a1b9d4e5f60718293a4b5c6d7e8", created: Some(2026-11-01 12:00:00.0 +00:00:00), .. }"#
        );
        assert_eq!(
            key.secret_result_json(),
            include_str!("../../fixtures/demo/demo_create_result.json").trim()
        );
    }

    #[test]
    fn kept_result_never_shows() {
        let e = unusable(
            None,
            ErrorKind::InvalidResponse { what: "x" },
            Zeroizing::new("PRIVATE".to_owned()),
        );
        let shown = format!("{e} {e:?} {}", std::error::Error::source(&e).unwrap());
        assert!(!shown.contains("PRIVATE"), "{shown}");
        assert_eq!(e.secret_created_key_result(), Some("PRIVATE"));
    }
}
