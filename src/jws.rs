//! The one reader of a compact JWS, on every target: split and bounds, the
//! header and its `kid`, the payload as claims, numeric dates, and the
//! signing input. The verifier, `dangerous::decode_unverified`, the
//! keyring, the emulator's edge and token endpoint and the API client's
//! check of a remote token all read tokens here, so that what one refuses
//! the others refuse too.
//!
//! # Cost
//!
//! A token is read on the verifier's hot path next to one RSA check, so each
//! part is read in one pass of `serde_json` over its decoded bytes: the
//! bytes are decoded onto the stack, strings are borrowed where they hold no
//! escape, known member names are tracked in a bitset and the names of other
//! members in a short list, never in a map. A type that does not fit is only
//! noted during the pass, and reported once the pass is over, so that a
//! repeated member name anywhere is always reported as such.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::claims::{Claims, MAX_TOKEN_LEN};
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
use crate::rules::AccessRule;

pub(crate) fn malformed(reason: &'static str) -> Error {
    ErrorKind::MalformedToken { reason }.into()
}

const NOT_A_HEADER: &str = "header is not a JWS header";
const NOT_CLAIMS: &str = "payload is not a Stream claims object";
const REPEATED: &str = "a member name is repeated";

// ---- compact serialisation ----

/// A compact JWS, trimmed, bounded and split: the signing input
/// (`header.payload`) and the three parts.
// On wasm32 only `dangerous` reads it, which ignores the signature.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct Compact<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
}

/// Trim, bound ([`MAX_TOKEN_LEN`]) and split a compact JWS.
pub(crate) fn split(token: &str) -> Result<Compact<'_>, Error> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("token is too long"));
    }
    // A line break pasted into a token would otherwise reach the signature
    // check, and be reported as a bad signature: every blank and control
    // byte is at most b' ' or DEL. A token is base64url and dots: a slash
    // means a URL (or a path) was given where its token belongs. One fold
    // without an early exit finds both, so that it is vectorised (every
    // token is scanned in full on the verifier's path); which one it found
    // is only asked on the way out.
    let blank = |b: u8| (b <= b' ') | (b == 0x7f);
    if token
        .bytes()
        .fold(false, |bad, b| bad | blank(b) | (b == b'/'))
    {
        return Err(malformed(if token.bytes().any(blank) {
            "the token holds a blank or a line break"
        } else {
            "this is a URL or a path, not a token (a signed URL's token is its first path segment)"
        }));
    }
    let parts = token
        .split_once('.')
        .and_then(|(header, rest)| Some((header, rest.split_once('.')?)))
        .filter(|(_, (_, signature))| !signature.contains('.'));
    let Some((header, (payload, signature))) = parts else {
        return Err(malformed("expected three dot-separated parts"));
    };
    Ok(Compact {
        signing_input: &token[..header.len() + 1 + payload.len()],
        header,
        payload,
        signature,
    })
}

/// `f` of the base64url-decoded `part`, or `what` when it is not unpadded
/// base64url with zero trailing bits.
///
/// Decoded on the stack into a buffer sized to the part (a header, a
/// payload, an RSA-2048 signature, up to 8192 bits), on the heap beyond:
/// every buffer is zeroed first, so a small one is cheaper.
pub(crate) fn with_decoded<R>(
    part: &str,
    what: &'static str,
    f: impl FnOnce(&[u8]) -> Result<R, Error>,
) -> Result<R, Error> {
    fn on<const N: usize, R>(
        part: &[u8],
        what: &'static str,
        f: impl FnOnce(&[u8]) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut buf = [0u8; N];
        let n = b64url_decode(part, &mut buf).ok_or_else(|| malformed(what))?;
        f(&buf[..n])
    }
    let part = part.as_bytes();
    match part.len() {
        0..=128 => on::<96, R>(part, what, f),
        129..=344 => on::<258, R>(part, what, f),
        345..=1368 => on::<1026, R>(part, what, f),
        _ => {
            let mut buf = vec![0u8; part.len() / 4 * 3 + 2];
            let n = b64url_decode(part, &mut buf).ok_or_else(|| malformed(what))?;
            f(&buf[..n])
        }
    }
}

/// Base64url digit values; `0xff` for every other byte.
const B64URL: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let digits = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[digits[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decode unpadded base64url (RFC 7515 section 2) into `out`: the length
/// written, or `None` for a byte outside the alphabet (`=` included), a
/// length that leaves one character over, non-zero trailing bits (so that
/// each byte string has one encoding) or an `out` too short. The rules of
/// `base64`'s `URL_SAFE_NO_PAD`, about half its instructions: each token
/// is decoded on the verifier's hot path.
fn b64url_decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let rem = input.len() % 4;
    if rem == 1 {
        return None;
    }
    let n = input.len() / 4 * 3 + rem.saturating_sub(1);
    let out = out.get_mut(..n)?;
    let (full, tail) = input.split_at(input.len() - rem);
    let (out_full, out_tail) = out.split_at_mut(full.len() / 4 * 3);
    // Invalid digits are 0xff: OR every digit in and look once at the end.
    let mut seen = 0u8;
    for (q, o) in full.chunks_exact(4).zip(out_full.chunks_exact_mut(3)) {
        let (a, b, c, d) = (
            B64URL[usize::from(q[0])],
            B64URL[usize::from(q[1])],
            B64URL[usize::from(q[2])],
            B64URL[usize::from(q[3])],
        );
        seen |= a | b | c | d;
        let v = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        o[0] = (v >> 16) as u8;
        o[1] = (v >> 8) as u8;
        o[2] = v as u8;
    }
    let digit = |i: usize| B64URL[usize::from(tail[i])];
    match rem {
        2 => {
            let (a, b) = (digit(0), digit(1));
            seen |= a | b;
            if b & 0x0f != 0 {
                return None;
            }
            out_tail[0] = a << 2 | b >> 4;
        }
        3 => {
            let (a, b, c) = (digit(0), digit(1), digit(2));
            seen |= a | b | c;
            if c & 0x03 != 0 {
                return None;
            }
            out_tail[0] = a << 2 | b >> 4;
            out_tail[1] = b << 4 | c >> 2;
        }
        _ => {}
    }
    (seen & 0xc0 == 0).then_some(n)
}

/// Read one decoded JSON part with `seed`-less `T`: a repeated member name
/// anywhere is [`REPEATED`], any other failure `what`.
fn from_json<'de, T: Deserialize<'de>>(bytes: &'de [u8], what: &'static str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() && e.to_string().starts_with(DUPLICATE) {
            malformed(REPEATED)
        } else {
            malformed(what)
        }
    })
}

/// The custom error text a repeated member name raises inside the pass.
const DUPLICATE: &str = "duplicate member";

fn duplicate<E: de::Error>() -> E {
    E::custom(DUPLICATE)
}

// ---- any JSON value, with no repeated member name ----

/// Any JSON value, refused if an object anywhere in it repeats a member
/// name. serde_json keeps the last of duplicates and a derived struct
/// refuses only its own fields twice, so without this check one reader could
/// see `{"alg":"none","alg":"RS256"}` as RS256 and another as `none`.
/// Nesting is bounded by serde_json's recursion limit.
struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = Names::default();
        while let Some(Name(name)) = map.next_key()? {
            if !seen.insert(name) {
                return Err(duplicate());
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// Member names seen in one object: a list while it is short (the usual
/// case, no hashing), a set once it is long (a hostile token cannot make
/// the check quadratic).
#[derive(Default)]
struct Names<'de> {
    list: Vec<Cow<'de, str>>,
    set: std::collections::HashSet<Cow<'de, str>>,
}

impl<'de> Names<'de> {
    const LIST_MAX: usize = 16;

    /// Whether `name` is new.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if self.list.len() < Self::LIST_MAX {
            if self.list.contains(&name) {
                return false;
            }
            self.list.push(name);
            return true;
        }
        if self.set.is_empty() {
            self.set.extend(self.list.iter().cloned());
        }
        self.set.insert(name)
    }
}

/// A member name, borrowed when it holds no escape.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One member value, read whatever its type (a wrong type is judged after
/// the pass). Arrays and objects are walked for repeated names, not kept.
enum Scalar<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Bool(bool),
    Null,
    /// A float, an integer beyond `i64`, an array or an object.
    Other,
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
                NoDuplicatesVisitor.visit_seq(seq).map(|_| Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
                NoDuplicatesVisitor.visit_map(map).map(|_| Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

// ---- numeric dates ----

/// The one reading of a string `exp`/`nbf`: plain ASCII digits in one
/// spelling per value (no sign, blank, `+` or leading zero, as a JSON
/// number is written), as unix seconds within `time`'s range.
pub(crate) fn numeric_date_str(s: &str) -> Option<i64> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let canonical = s == "0" || !s.starts_with('0');
    if digits && canonical {
        s.parse().ok().filter(|v| in_range(*v))
    } else {
        None
    }
}

fn in_range(unix: i64) -> bool {
    OffsetDateTime::from_unix_timestamp(unix).is_ok()
}

/// What a member read as a numeric date holds.
enum DateRead {
    /// Unix seconds within range.
    Valid(i64),
    /// A number out of range or a string that is not a canonical number.
    Invalid,
    /// Neither an integer nor a string.
    WrongType,
}

fn date(v: &Scalar<'_>) -> DateRead {
    match v {
        Scalar::Int(n) if in_range(*n) => DateRead::Valid(*n),
        Scalar::Int(_) => DateRead::Invalid,
        Scalar::Str(s) => numeric_date_str(s).map_or(DateRead::Invalid, DateRead::Valid),
        _ => DateRead::WrongType,
    }
}

/// `exp`/`nbf` in a request body: a JSON integer, or a decimal string read
/// as [`numeric_date_str`] reads it. `None` inside when it is a number or
/// string that is not a valid time; any other type does not deserialise.
#[cfg_attr(not(feature = "emulator"), allow(dead_code))]
pub(crate) struct NumericDate(pub(crate) Option<i64>);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match date(&Scalar::deserialize(d)?) {
            DateRead::Valid(v) => Ok(NumericDate(Some(v))),
            DateRead::Invalid => Ok(NumericDate(None)),
            DateRead::WrongType => Err(de::Error::custom("not a number or a decimal string")),
        }
    }
}

// ---- the header ----

/// A token's JOSE header, typed. The members this crate knows are read;
/// the names of the others are kept, their values are not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    other: Vec<String>,
}

impl Header {
    /// `alg`, as written (Stream tokens say `RS256`; the verifier refuses
    /// every other value).
    pub fn alg(&self) -> &str {
        &self.alg
    }

    /// `kid`, as written, when present and not `null`. It need not be a
    /// valid [`KeyId`]: the verifier checks that.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `typ`, when present and a string (Cloudflare's tokens carry none).
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Whether the header has a `crit` member, whatever its value (`null`
    /// included). The verifier refuses every such token: this crate
    /// understands no extension.
    pub fn has_crit(&self) -> bool {
        self.other.iter().any(|m| m == "crit")
    }

    /// The names of the members besides `alg`, `kid` and a string `typ`,
    /// sorted (`crit` among them when present).
    pub fn other_members(&self) -> &[String] {
        &self.other
    }
}

/// A header as read, borrowing the decoded bytes: what the verifier needs
/// without an allocation, and what [`Header`] is made from.
pub(crate) struct RawHeader<'de> {
    pub(crate) alg: Cow<'de, str>,
    kid: Option<Cow<'de, str>>,
    typ: Option<Cow<'de, str>>,
    /// Names besides `alg`, `kid` and a string `typ`, as written.
    other: Vec<Cow<'de, str>>,
}

impl RawHeader<'_> {
    /// Whether a `crit` member is present, whatever its value.
    // The verifier (native only) and the emulator and API client ask.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn has_crit(&self) -> bool {
        self.other.iter().any(|m| m == "crit")
    }

    /// The header's `kid` as written, when present and not `null`.
    #[cfg_attr(not(feature = "api"), allow(dead_code))]
    pub(crate) fn kid_str(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The header's `kid` as a key id: the only form ever echoed in an
    /// error (never raw token text).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn kid(&self) -> Result<KeyId, Error> {
        let kid = self
            .kid
            .as_deref()
            .ok_or_else(|| malformed("header has no kid"))?;
        KeyId::new(kid).map_err(|_| malformed("header kid is not a key id"))
    }

    pub(crate) fn to_header(&self) -> Header {
        let mut other: Vec<String> = self.other.iter().map(|m| m.to_string()).collect();
        other.sort_unstable();
        Header {
            alg: self.alg.to_string(),
            kid: self.kid.as_deref().map(str::to_owned),
            typ: self.typ.as_deref().map(str::to_owned),
            other,
        }
    }
}

/// `f` of a header part read as a JSON object with a string `alg` and a
/// string (or `null`) `kid`, if any; no member name repeated anywhere.
pub(crate) fn with_header<R>(
    part: &str,
    f: impl FnOnce(RawHeader<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    with_decoded(part, NOT_A_HEADER, |bytes| {
        let fields: HeaderFields<'_> = from_json(bytes, NOT_A_HEADER)?;
        f(fields.into_raw().ok_or_else(|| malformed(NOT_A_HEADER))?)
    })
}

/// The header, owned.
pub(crate) fn header(part: &str) -> Result<Header, Error> {
    with_header(part, |h| Ok(h.to_header()))
}

/// The `kid` of an RS256 header without a `crit` member, read as the
/// verifier reads it; every refusal is [`ErrorKind::MalformedToken`].
#[cfg_attr(not(feature = "emulator"), allow(dead_code))]
pub(crate) fn rs256_kid(token: &str) -> Result<KeyId, Error> {
    with_header(split(token)?.header, |h| {
        if h.alg != "RS256" {
            return Err(malformed("alg is not RS256"));
        }
        if h.has_crit() {
            return Err(malformed("critical header extensions are not supported"));
        }
        h.kid()
    })
}

/// The header's members as one pass reads them; types judged after.
struct HeaderFields<'de> {
    alg: Option<Scalar<'de>>,
    kid: Option<Scalar<'de>>,
    typ: Option<Scalar<'de>>,
    other: Vec<Cow<'de, str>>,
}

impl<'de> HeaderFields<'de> {
    fn into_raw(self) -> Option<RawHeader<'de>> {
        let mut other = self.other;
        let alg = match self.alg? {
            Scalar::Str(s) => s,
            _ => return None,
        };
        let kid = match self.kid {
            None | Some(Scalar::Null) => None,
            Some(Scalar::Str(s)) => Some(s),
            Some(_) => return None,
        };
        let typ = match self.typ {
            None => None,
            Some(Scalar::Str(s)) => Some(s),
            Some(_) => {
                other.push(Cow::Borrowed("typ"));
                None
            }
        };
        Some(RawHeader {
            alg,
            kid,
            typ,
            other,
        })
    }
}

impl<'de> Deserialize<'de> for HeaderFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut h = HeaderFields {
                    alg: None,
                    kid: None,
                    typ: None,
                    other: Vec::new(),
                };
                while let Some(Name(name)) = map.next_key()? {
                    let slot = match &*name {
                        "alg" => &mut h.alg,
                        "kid" => &mut h.kid,
                        "typ" => &mut h.typ,
                        _ => {
                            if h.other.contains(&name) {
                                return Err(duplicate());
                            }
                            h.other.push(name);
                            map.next_value::<NoDuplicates>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(duplicate());
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(h)
            }
        }
        // Only an object is a header: an array read by position is not.
        d.deserialize_map(V)
    }
}

// ---- the payload ----

/// The payload as Stream claims.
pub(crate) fn claims(part: &str) -> Result<Claims, Error> {
    claims_naming(part, None)
}

/// The payload as Stream claims, when the header named `kid`: a payload
/// `kid` written the same is that key id, and is not checked again.
pub(crate) fn claims_naming(part: &str, kid: Option<&KeyId>) -> Result<Claims, Error> {
    with_decoded(part, NOT_CLAIMS, |bytes| {
        let fields: ClaimFields<'_> = from_json(bytes, NOT_CLAIMS)?;
        fields.into_claims(kid)
    })
}

/// The rules of a payload without `accessRules`: one shared empty list
/// (a clone is a reference count, not an allocation per token).
fn no_rules() -> Arc<[AccessRule]> {
    static EMPTY: OnceLock<Arc<[AccessRule]>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from([])).clone()
}

/// The payload's members as one pass reads them; types judged after.
struct ClaimFields<'de> {
    sub: Option<Scalar<'de>>,
    kid: Option<Scalar<'de>>,
    exp: Option<Scalar<'de>>,
    nbf: Option<Scalar<'de>>,
    downloadable: Option<Scalar<'de>>,
    /// Kept raw: the rules are read once the pass has found no repeated
    /// name, by the rules' own `Deserialize`.
    access_rules: Option<&'de RawValue>,
}

impl<'de> ClaimFields<'de> {
    fn into_claims(self, known_kid: Option<&KeyId>) -> Result<Claims, Error> {
        let typed = || malformed(NOT_CLAIMS);
        // Repeated names inside the rules first, as for every other value.
        let rules = match self.access_rules {
            None => None,
            Some(raw) => {
                from_json::<NoDuplicates>(raw.get().as_bytes(), NOT_CLAIMS)?;
                serde_json::from_str::<Option<Vec<AccessRule>>>(raw.get()).map_err(|_| typed())?
            }
        };
        let string = |v: Option<Scalar<'de>>| match v {
            Some(Scalar::Str(s)) => Ok(s),
            _ => Err(typed()),
        };
        let sub = string(self.sub)?;
        let kid = string(self.kid)?;
        let exp = date(self.exp.as_ref().ok_or_else(typed)?);
        let nbf = match &self.nbf {
            None | Some(Scalar::Null) => None,
            Some(v) => Some(date(v)),
        };
        let downloadable = match self.downloadable {
            None | Some(Scalar::Null) => false,
            Some(Scalar::Bool(b)) => b,
            Some(_) => return Err(typed()),
        };
        let time = |d: DateRead, what| match d {
            DateRead::Valid(v) => Ok(v),
            DateRead::Invalid => Err(malformed(what)),
            DateRead::WrongType => Err(typed()),
        };
        // A wrong type anywhere is the payload's; then each claim in order.
        if matches!(exp, DateRead::WrongType) || matches!(nbf, Some(DateRead::WrongType)) {
            return Err(typed());
        }
        Ok(Claims {
            video: VideoId::new(&sub).map_err(|_| malformed("sub is not a video id"))?,
            kid: match known_kid {
                Some(known) if known.as_str() == kid => *known,
                _ => KeyId::new(&kid).map_err(|_| malformed("kid is not a key id"))?,
            },
            exp: time(exp, "exp is not a valid time")?,
            nbf: nbf
                .map(|n| time(n, "nbf is not a valid time"))
                .transpose()?,
            downloadable,
            access_rules: rules.map_or_else(no_rules, Arc::from),
        })
    }
}

impl<'de> Deserialize<'de> for ClaimFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ClaimFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut c = ClaimFields {
                    sub: None,
                    kid: None,
                    exp: None,
                    nbf: None,
                    downloadable: None,
                    access_rules: None,
                };
                let mut other = Names::default();
                while let Some(Name(name)) = map.next_key()? {
                    let slot = match &*name {
                        "sub" => &mut c.sub,
                        "kid" => &mut c.kid,
                        "exp" => &mut c.exp,
                        "nbf" => &mut c.nbf,
                        "downloadable" => &mut c.downloadable,
                        "accessRules" => {
                            if c.access_rules.is_some() {
                                return Err(duplicate());
                            }
                            c.access_rules = Some(map.next_value()?);
                            continue;
                        }
                        _ => {
                            if !other.insert(name) {
                                return Err(duplicate());
                            }
                            map.next_value::<NoDuplicates>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(duplicate());
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::b64::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn reason(e: Error) -> &'static str {
        match e.kind() {
            ErrorKind::MalformedToken { reason } => reason,
            other => panic!("not malformed: {other:?}"),
        }
    }

    const KID: &str = "8f926b2ee7e2b1a1e2b4d3f6a9c0e1f2";
    const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";

    #[test]
    fn split_bounds_and_parts() {
        let c = split("  a.b.c\n").unwrap();
        assert_eq!((c.header, c.payload, c.signature), ("a", "b", "c"));
        assert_eq!(c.signing_input, "a.b");
        assert_eq!(
            reason(split("a.b").err().unwrap()),
            "expected three dot-separated parts"
        );
        assert_eq!(
            reason(split("a.b.c.d").err().unwrap()),
            "expected three dot-separated parts"
        );
        assert_eq!(
            reason(split("a.b\n.c").err().unwrap()),
            "the token holds a blank or a line break"
        );
        assert_eq!(
            reason(split("a.b\u{7f}.c").err().unwrap()),
            "the token holds a blank or a line break"
        );
        let url =
            "this is a URL or a path, not a token (a signed URL's token is its first path segment)";
        assert_eq!(reason(split("a.b/c.d").err().unwrap()), url);
        assert_eq!(reason(split("/a.b.c").err().unwrap()), url);
        // A blank is named first, wherever it stands.
        assert_eq!(
            reason(split("a/b.c\tx.d").err().unwrap()),
            "the token holds a blank or a line break"
        );
        let at_max = format!("a.b.{}", "c".repeat(MAX_TOKEN_LEN - 4));
        assert!(split(&at_max).is_ok());
        let over = format!("a.b.{}", "c".repeat(MAX_TOKEN_LEN - 3));
        assert_eq!(reason(split(&over).err().unwrap()), "token is too long");
    }

    #[test]
    fn header_members_and_kid() {
        let h = header(&b64(&format!(
            r#"{{"typ":"JWT","\u0061lg":"RS256","kid":"{KID}","x":{{"a":[1,{{"b":2}}]}},"crit":null}}"#
        )))
        .unwrap();
        assert_eq!(h.alg(), "RS256");
        assert_eq!(h.kid(), Some(KID));
        assert_eq!(h.typ(), Some("JWT"));
        assert_eq!(h.other_members(), ["crit", "x"]);
        assert!(h.has_crit());

        let h = header(&b64(r#"{"alg":"none","kid":null,"typ":5}"#)).unwrap();
        assert_eq!((h.kid(), h.typ()), (None, None));
        assert_eq!(h.other_members(), ["typ"]);

        for bad in [
            r#"["RS256"]"#,
            r#"{"kid":"k"}"#,
            r#"{"alg":1}"#,
            r#"{"alg":"RS256","kid":5}"#,
            r#"{"alg":"RS256"} x"#,
            "not json",
        ] {
            assert_eq!(
                reason(header(&b64(bad)).unwrap_err()),
                NOT_A_HEADER,
                "{bad}"
            );
        }
        assert_eq!(reason(header("!!").unwrap_err()), NOT_A_HEADER);
        for doubled in [
            r#"{"alg":"RS256","alg":"none"}"#,
            r#"{"alg":"RS256","\u006bid":"a","kid":"b"}"#,
            r#"{"alg":"RS256","x":1,"x":2}"#,
            r#"{"alg":1,"x":{"y":[{"z":1,"z":1}]}}"#,
        ] {
            assert_eq!(
                reason(header(&b64(doubled)).unwrap_err()),
                REPEATED,
                "{doubled}"
            );
        }
    }

    #[test]
    fn rs256_kid_is_strict() {
        let token = |h: &str| format!("{}.e30.sig", b64(h));
        assert_eq!(
            rs256_kid(&token(&format!(r#"{{"alg":"RS256","kid":"{KID}"}}"#)))
                .unwrap()
                .as_str(),
            KID
        );
        for (h, why) in [
            (
                format!(r#"{{"alg":"HS256","kid":"{KID}"}}"#),
                "alg is not RS256",
            ),
            (
                format!(r#"{{"alg":"RS256","kid":"{KID}","crit":[]}}"#),
                "critical header extensions are not supported",
            ),
            (r#"{"alg":"RS256"}"#.to_owned(), "header has no kid"),
            (
                r#"{"alg":"RS256","kid":"a/b"}"#.to_owned(),
                "header kid is not a key id",
            ),
            (
                format!(r#"{{"alg":"RS256","kid":"{KID}","kid":"{KID}"}}"#),
                REPEATED,
            ),
        ] {
            assert_eq!(reason(rs256_kid(&token(&h)).unwrap_err()), why, "{h}");
        }
    }

    #[test]
    fn numeric_dates_are_canonical_digits() {
        assert_eq!(numeric_date_str("0"), Some(0));
        assert_eq!(numeric_date_str("1700000000"), Some(1_700_000_000));
        for bad in [
            "",
            "+5",
            "-5",
            " 5",
            "5 ",
            "05",
            "00",
            "1e3",
            "5.0",
            "99999999999999999999",
        ] {
            assert_eq!(numeric_date_str(bad), None, "{bad:?}");
        }
        // Beyond `time`'s range.
        assert_eq!(numeric_date_str("999999999999999"), None);
        let read = |j: &str| serde_json::from_str::<NumericDate>(j).map(|d| d.0).ok();
        assert_eq!(read("5"), Some(Some(5)));
        assert_eq!(read("-5"), Some(Some(-5)));
        assert_eq!(read(r#""5""#), Some(Some(5)));
        assert_eq!(read(r#""+5""#), Some(None));
        assert_eq!(read("999999999999999"), Some(None));
        assert_eq!(read("5.5"), None);
        assert_eq!(read("18446744073709551615"), None);
        assert_eq!(read("null"), None);
    }

    #[test]
    fn claims_read_as_the_verifier_reads_them() {
        let c = claims(&b64(&format!(
            r#"{{"sub":"{VIDEO}","kid":"{KID}","exp":"1700003600","nbf":1699996400,"downloadable":true,"x":[1]}}"#
        )))
        .unwrap();
        assert_eq!(c.video().as_str(), VIDEO);
        assert_eq!(c.kid().as_str(), KID);
        assert_eq!(
            (c.exp(), c.nbf(), c.downloadable()),
            (1_700_003_600, Some(1_699_996_400), true)
        );
        assert!(c.access_rules().is_empty());

        let with = |extra: &str| b64(&format!(r#"{{"sub":"{VIDEO}","kid":"{KID}",{extra}}}"#));
        for (extra, why) in [
            (r#""exp":"+5""#, "exp is not a valid time"),
            (r#""exp":"05""#, "exp is not a valid time"),
            (r#""exp":5,"nbf":" 5""#, "nbf is not a valid time"),
            (r#""exp":5.5"#, NOT_CLAIMS),
            (r#""exp":null"#, NOT_CLAIMS),
            (r#""nbf":5"#, NOT_CLAIMS),
            (r#""exp":5,"downloadable":"yes""#, NOT_CLAIMS),
            (r#""exp":5,"accessRules":[{"type":"nope"}]"#, NOT_CLAIMS),
            (r#""exp":5.5,"y":1,"y":2"#, REPEATED),
            (r#""exp":5,"exp":5"#, REPEATED),
            (
                r#""exp":5,"accessRules":[{"type":"any","action":"allow","action":"block"}]"#,
                REPEATED,
            ),
        ] {
            assert_eq!(reason(claims(&with(extra)).unwrap_err()), why, "{extra}");
        }
        assert_eq!(reason(claims(&b64("[]")).unwrap_err()), NOT_CLAIMS);

        // A wrong type in `exp` or `nbf` is the payload's, before any
        // claim's own reason (here: a `sub` that is no video id).
        let bad_sub = |extra: &str| b64(&format!(r#"{{"sub":"nope","kid":"{KID}",{extra}}}"#));
        for extra in [r#""exp":5.5"#, r#""exp":5,"nbf":true"#] {
            assert_eq!(
                reason(claims(&bad_sub(extra)).unwrap_err()),
                NOT_CLAIMS,
                "{extra}"
            );
        }
        assert_eq!(
            reason(claims(&bad_sub(r#""exp":5"#)).unwrap_err()),
            "sub is not a video id"
        );
    }

    #[test]
    fn base64url_decoding_follows_the_base64_crate() {
        let mut buf = [0u8; 64];
        // Every length and many byte values round-trip.
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len * 11) as u8 ^ 0xa5).collect();
            let enc = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(b64url_decode(enc.as_bytes(), &mut buf), Some(len), "{enc}");
            assert_eq!(&buf[..len], &bytes[..]);
        }
        // Anything the crate's engine refuses is refused, and the reverse.
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. ";
        let chars: Vec<char> = alphabet.chars().collect();
        for len in 0..6usize {
            for seed in 0..2000usize {
                let s: String = (0..len)
                    .map(|i| chars[(seed * 7919 + i * 104_729 + seed / 3 * i) % chars.len()])
                    .collect();
                let ours = b64url_decode(s.as_bytes(), &mut buf).map(|n| buf[..n].to_vec());
                assert_eq!(ours, URL_SAFE_NO_PAD.decode(&s).ok(), "{s:?}");
            }
        }
        assert_eq!(b64url_decode(b"QUJD", &mut [0u8; 2]), None);
        assert_eq!(b64url_decode(b"QR", &mut buf), None);
        assert_eq!(b64url_decode(b"QQ", &mut buf), Some(1));
    }

    /// Every string of up to six characters over digits of distinct bit
    /// patterns and bytes outside the alphabet: refused exactly when the
    /// `base64` crate refuses it, so two invalid characters in one group of
    /// four (or in the tail) cannot hide each other.
    #[test]
    fn base64url_decoding_agrees_on_every_short_string() {
        let chars = *b"AQg_=.+";
        let mut buf = [0u8; 8];
        let mut s = Vec::with_capacity(6);
        for len in 0..=6u32 {
            for mut code in 0..chars.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(chars[code % chars.len()]);
                    code /= chars.len();
                }
                let ours = b64url_decode(&s, &mut buf).map(|n| buf[..n].to_vec());
                let theirs = URL_SAFE_NO_PAD.decode(&s).ok();
                assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&s));
            }
        }
    }
}
