//! The API's wire shapes and paths: serde types, no I/O.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
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

fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<OffsetDateTime, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    OffsetDateTime::parse(&s, &Rfc3339).map_err(serde::de::Error::custom)
}

/// A signing key as listed: its id and when it was created.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct KeyInfo {
    id: KeyId,
    #[serde(deserialize_with = "rfc3339")]
    created: OffsetDateTime,
}

impl KeyInfo {
    /// The key id (`kid`).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// When the key was created.
    pub fn created(&self) -> OffsetDateTime {
        self.created
    }
}

/// The create-key `result` as Cloudflare sends it. The private members go
/// straight into zeroized buffers.
#[derive(Deserialize)]
pub(crate) struct CreatedKeyWire {
    id: KeyId,
    created: String,
    #[serde(default)]
    pem: Option<Zeroizing<String>>,
    #[serde(default)]
    jwk: Option<Zeroizing<String>>,
}

/// The `result` JSON as saved: the members `SigningKey::from_create_response` reads.
#[derive(Serialize)]
struct SavedResult<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pem: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwk: Option<&'a str>,
    created: &'a str,
}

/// A signing key just created by Cloudflare, with its private half: the
/// only time Cloudflare ever shows it.
///
/// Save [`secret_result_json`](Self::secret_result_json) somewhere safe (a
/// secrets manager), then turn the key into a [`SigningKey`] with
/// [`into_signing_key`](Self::into_signing_key) or `SigningKey::try_from`.
/// The saved JSON loads again with [`SigningKey::parse`] or
/// [`SigningKey::from_create_response`].
///
/// Not `Clone`; no `Display` or `Serialize`; `Debug` shows the id and
/// creation time only. The private material lives in a buffer that is
/// zeroized on drop.
pub struct CreatedKey {
    id: KeyId,
    created: OffsetDateTime,
    result_json: Zeroizing<String>,
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
    pub(crate) fn from_wire(wire: CreatedKeyWire) -> Result<Self> {
        let created = OffsetDateTime::parse(&wire.created, &Rfc3339).map_err(|_| {
            Error::from(ErrorKind::InvalidResponse {
                what: "created is not an RFC 3339 date-time",
            })
        })?;
        let pem = wire.pem.as_ref().map(|s| s.as_str());
        let jwk = wire.jwk.as_ref().map(|s| s.as_str());
        if pem.is_none() && jwk.is_none() {
            return Err(ErrorKind::InvalidResponse {
                what: "created key has neither pem nor jwk",
            }
            .into());
        }
        // Sized up front so that the buffer never reallocates (which would
        // leave an unzeroized copy behind).
        let cap = 128 + wire.created.len() + pem.map_or(0, str::len) + jwk.map_or(0, str::len);
        let mut out = Zeroizing::new(Vec::with_capacity(cap));
        let saved = SavedResult {
            id: wire.id.as_str(),
            pem,
            jwk,
            created: &wire.created,
        };
        serde_json::to_writer(&mut *out, &saved).expect("writing JSON to a Vec cannot fail");
        let text = String::from_utf8(std::mem::take(&mut *out)).expect("serde_json writes UTF-8");
        Ok(CreatedKey {
            id: wire.id,
            created,
            result_json: Zeroizing::new(text),
        })
    }

    /// The new key's id (`kid`).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// When Cloudflare created the key.
    pub fn created(&self) -> OffsetDateTime {
        self.created
    }

    /// The create-key `result` object, `{"id","pem","jwk","created"}`, to
    /// save for later loading with [`SigningKey::parse`]. **Contains the
    /// private key**: store it as a secret.
    pub fn secret_result_json(&self) -> &str {
        &self.result_json
    }

    /// Parse and check the private key.
    ///
    /// # Errors
    /// As [`SigningKey::from_create_response`]: e.g.
    /// [`ErrorKind::ResponseKeyMismatch`] if `pem` and `jwk` disagree, or
    /// [`ErrorKind::KeyIdMismatch`] if the JWK's `kid` is not the `id`.
    pub fn into_signing_key(self) -> Result<SigningKey> {
        SigningKey::from_create_response(&self.result_json, Some(self.id))
    }
}

impl TryFrom<CreatedKey> for SigningKey {
    type Error = Error;

    fn try_from(created: CreatedKey) -> Result<SigningKey> {
        created.into_signing_key()
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
        };
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            r#"{"exp":10,"nbf":5,"downloadable":true,"accessRules":[{"type":"any","action":"block"}]}"#
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
        let wire: CreatedKeyWire = serde_json::from_str(
            r#"{"id":"8f3c2a1b9d4e5f60718293a4b5c6d7e8","pem":"UEVNU0VDUkVU","jwk":"SldLU0VDUkVU","created":"2014-01-02T02:20:00Z"}"#,
        )
        .unwrap();
        let key = CreatedKey::from_wire(wire).unwrap();
        assert_eq!(
            format!("{key:?}"),
            r#"CreatedKey { id: "8f3c2a1b9d4e5f60718293a4b5c6d7e8", created: 2014-01-02 2:20:00.0 +00:00:00, .. }"#
        );
        assert_eq!(
            key.secret_result_json(),
            r#"{"id":"8f3c2a1b9d4e5f60718293a4b5c6d7e8","pem":"UEVNU0VDUkVU","jwk":"SldLU0VDUkVU","created":"2014-01-02T02:20:00Z"}"#
        );
    }
}
