//! JWK (RFC 7517/7518) and Cloudflare create-key response JSON.
//!
//! One struct reads all three JSON shapes a user may hold (a JWK, the
//! create-key `result`, the whole response envelope), so that the input is
//! parsed once, straight into zeroizing strings, and never into an untyped
//! `serde_json::Value` whose strings would be freed unwiped.

use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::b64::URL_SAFE_LENIENT;
use crate::error::{Error, ErrorKind, echo};

use super::rsa::{RsaKey, RsaPrivate, RsaPublic};

type Secret = Option<Zeroizing<String>>;

/// Every member any of the three shapes can carry; unknown members are ignored.
#[derive(Deserialize, Default)]
pub(crate) struct KeyJson {
    // JWK
    pub(crate) kty: Option<String>,
    pub(crate) kid: Option<String>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    d: Secret,
    p: Secret,
    q: Secret,
    dp: Secret,
    dq: Secret,
    qi: Secret,
    oth: Option<serde::de::IgnoredAny>,
    // create-key result
    pub(crate) id: Option<String>,
    pub(crate) pem: Secret,
    pub(crate) jwk: Secret,
    // the envelope
    pub(crate) result: Option<Box<KeyJson>>,
    pub(crate) success: Option<bool>,
}

/// Parse JSON without ever quoting the input back in an error.
pub(crate) fn parse_json(text: &[u8]) -> Result<KeyJson, Error> {
    serde_json::from_slice::<KeyJson>(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ErrorKind::UnexpectedJson {
                expected: "a JWK or a create-key response with string members",
            }
            .into(),
            _ => ErrorKind::InvalidJson {
                line: e.line(),
                column: e.column(),
            }
            .into(),
        }
    })
}

fn decode_member(value: Option<&str>, member: &'static str) -> Result<Zeroizing<Vec<u8>>, Error> {
    let value = value.ok_or(ErrorKind::MissingJwkMember { member })?;
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() / 4 * 3 + 3));
    URL_SAFE_LENIENT
        .decode_vec(value.trim(), &mut out)
        .map_err(|_| ErrorKind::InvalidBase64 { layer: member })?;
    if out.is_empty() {
        return Err(ErrorKind::InvalidBase64 { layer: member }.into());
    }
    Ok(out)
}

fn strip(mut v: Zeroizing<Vec<u8>>) -> Zeroizing<Vec<u8>> {
    let zeros = v.iter().take_while(|&&b| b == 0).count();
    if zeros > 0 && zeros < v.len() {
        v.drain(..zeros);
    }
    v
}

impl KeyJson {
    pub(crate) fn is_jwk(&self) -> bool {
        self.kty.is_some()
    }

    /// Read this object as a JWK: type, intended use, then the numbers.
    pub(crate) fn to_rsa(&self) -> Result<RsaKey, Error> {
        let kty = self
            .kty
            .as_deref()
            .ok_or(ErrorKind::MissingJwkMember { member: "kty" })?;
        if kty != "RSA" {
            return Err(ErrorKind::NotRsa {
                found: echo(kty, 16),
            }
            .into());
        }
        if let Some(u) = self.use_.as_deref().filter(|u| *u != "sig") {
            return Err(mismatch("use", u));
        }
        if let Some(a) = self.alg.as_deref().filter(|a| *a != "RS256") {
            return Err(mismatch("alg", a));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "sign" || o == "verify")
        {
            return Err(mismatch("key_ops", &ops.join(",")));
        }
        if self.oth.is_some() {
            return Err(ErrorKind::UnsupportedKey {
                what: "multi-prime RSA key",
            }
            .into());
        }
        let n = decode_member(self.n.as_deref(), "n")?;
        let e = decode_member(self.e.as_deref(), "e")?;
        let public = RsaPublic::new(&n, &e);

        let private_members = [&self.p, &self.q, &self.dp, &self.dq, &self.qi];
        if self.d.is_none() {
            if private_members.iter().any(|m| m.is_some()) {
                return Err(ErrorKind::MissingJwkMember { member: "d" }.into());
            }
            return Ok(RsaKey::Public(public));
        }
        let get =
            |v: &Secret, name| decode_member(v.as_deref().map(String::as_str), name).map(strip);
        Ok(RsaKey::Private(RsaPrivate {
            public,
            d: get(&self.d, "d")?,
            p: get(&self.p, "p")?,
            q: get(&self.q, "q")?,
            dp: get(&self.dp, "dp")?,
            dq: get(&self.dq, "dq")?,
            qi: get(&self.qi, "qi")?,
        }))
    }
}

fn mismatch(member: &'static str, value: &str) -> Error {
    ErrorKind::KeyUseMismatch {
        member,
        value: echo(value, 16),
    }
    .into()
}

/// The public JWK (RFC 7517) for `public`, as compact JSON with members in a
/// fixed order.
pub(crate) fn public_jwk_json(public: &RsaPublic, kid: Option<&str>) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        kty: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        kid: Option<&'a str>,
        #[serde(rename = "use")]
        use_: &'static str,
        alg: &'static str,
        n: String,
        e: String,
    }
    serde_json::to_string(&Out {
        kty: "RSA",
        kid,
        use_: "sig",
        alg: "RS256",
        n: URL_SAFE_LENIENT.encode(&public.n),
        e: URL_SAFE_LENIENT.encode(&public.e),
    })
    .expect("serialising strings cannot fail")
}
