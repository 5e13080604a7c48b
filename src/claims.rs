//! Token claims, the options that produce them, and the policy that bounds them.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::decide::{Decision, RulesExplanation, Viewer, decide_rules, explain};
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
use crate::rules::{self, AccessRule};

/// The longest a token may live: `exp` at most 24 hours after the signing
/// clock's now. Cloudflare documents the cap but its edge does not enforce
/// it, so this crate does.
pub const MAX_LIFETIME: Duration = Duration::from_secs(MAX_LIFETIME_SECS as u64);

/// The lifetime used when none is given: one hour, as Cloudflare's own
/// token endpoint.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(DEFAULT_LIFETIME_SECS as u64);

/// [`MAX_LIFETIME`] in the unix seconds claims are computed in.
pub(crate) const MAX_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// The 24-hour rule, stated once: the latest `exp` a token signed at `now`
/// (unix seconds) may carry, or `None` past the end of time. Minting,
/// both token caches, the API's tokens and the keyring's settings all ask
/// this function or [`within_max_lifetime`].
pub(crate) fn latest_exp(now: i64) -> Option<i64> {
    now.checked_add(MAX_LIFETIME_SECS)
}

/// Does a lifetime of `secs` seconds, or an `exp` `secs` after now, keep
/// the 24-hour rule?
pub(crate) fn within_max_lifetime(secs: i64) -> bool {
    secs <= MAX_LIFETIME_SECS
}

/// [`DEFAULT_LIFETIME`] in seconds.
pub(crate) const DEFAULT_LIFETIME_SECS: i64 = 60 * 60;

/// Longest playback URL, in bytes, that Cloudflare serves: "URLs have a
/// limit of 16 KB" (developers.cloudflare.com/workers/platform/limits).
/// [`PlaybackUrls`](crate::PlaybackUrls) refuses to make a longer one.
pub const MAX_URL_LEN: usize = 16 * 1024;

/// Longest token, in bytes, that this crate mints or verifies: a 16 KB URL
/// less 256 bytes kept for `https://`, the host, the path and the query
/// (the customer host and the longest path with its query take under 120).
/// [`TokenOptionsBuilder::build`] refuses options whose tokens could be
/// longer, and [`Verifier`](crate::Verifier) refuses longer tokens, so
/// everything minted verifies.
pub const MAX_TOKEN_LEN: usize = MAX_URL_LEN - 256;

/// Longest key id ([`KeyId`] allows 1 to 32 characters).
const MAX_KID_LEN: usize = crate::ids::MAX_ID_LEN;
/// A video id is 32 hexadecimal characters.
const VIDEO_ID_LEN: usize = 32;
/// Longest signature in base64url: an 8192-bit key (the largest accepted)
/// signs 1024 bytes.
const MAX_SIG_B64_LEN: usize = b64_len(1024);
/// Widest integer claim: `i64::MIN` is 20 characters.
const MAX_INT_LEN: usize = 20;

/// Unpadded base64url length of `n` bytes.
const fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// An upper bound on the length of every token minted with access rules
/// rendered as `rules_len` bytes of JSON, whatever the key, key id, clock
/// and `downloadable`: the header with the longest key id, the payload with
/// the longest key id, the widest `exp` and `nbf` (both counted, present or
/// not) and `downloadable` counted, and the signature of the largest key.
/// The minter writes exactly these members and no JSON escapes (video and
/// key ids are plain ASCII), so no token can be longer.
const fn token_len_bound(rules_len: Option<usize>) -> usize {
    let header = r#"{"alg":"RS256","kid":""}"#.len() + MAX_KID_LEN;
    let mut payload = r#"{"sub":""#.len()
        + VIDEO_ID_LEN
        + r#"","kid":""#.len()
        + MAX_KID_LEN
        + r#"","exp":"#.len()
        + MAX_INT_LEN
        + r#","nbf":"#.len()
        + MAX_INT_LEN
        + r#","downloadable":true"#.len()
        + "}".len();
    if let Some(rules) = rules_len {
        payload += r#","accessRules":"#.len() + rules;
    }
    b64_len(header) + 1 + b64_len(payload) + 1 + MAX_SIG_B64_LEN
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Expiry {
    Lifetime(i64),
    At(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NotBefore {
    At(i64),
    Backdate(i64),
}

/// How to mint a token: expiry, not-before, download permission and access
/// rules. Built once (and validated) with [`TokenOptions::builder`], then
/// reused for any number of tokens; the 24-hour cap is checked against the
/// signing clock at every mint.
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::TokenOptions;
/// let opts = TokenOptions::builder()
///     .lifetime(Duration::from_secs(2 * 3600))
///     .backdate_not_before(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(TokenOptions::default().lifetime_secs(), Some(3600));
/// # drop(opts);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenOptions {
    expiry: Expiry,
    not_before: Option<NotBefore>,
    downloadable: bool,
    access_rules: Arc<[AccessRule]>,
    /// The rules rendered once, so minting only copies bytes.
    rules_json: Option<Arc<str>>,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            expiry: Expiry::Lifetime(DEFAULT_LIFETIME_SECS),
            not_before: None,
            downloadable: false,
            access_rules: Arc::from(Vec::new()),
            rules_json: None,
        }
    }
}

/// The times a token gets, resolved against one clock reading: what
/// [`TokenOptions::resolve_at`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ResolvedTimes {
    /// `exp`, unix seconds: after the clock's now, at most 24 hours after it.
    pub exp: i64,
    /// `nbf`, unix seconds, when the options set one: before `exp`.
    pub nbf: Option<i64>,
}

impl TokenOptions {
    /// Start from the defaults: one-hour lifetime, no `nbf`, not
    /// downloadable, no rules.
    pub fn builder() -> TokenOptionsBuilder {
        TokenOptionsBuilder {
            opts: TokenOptions::default(),
            lifetime: None,
            backdate: None,
            rules: Vec::new(),
        }
    }

    /// A builder starting from these options.
    pub fn to_builder(&self) -> TokenOptionsBuilder {
        TokenOptionsBuilder {
            opts: self.clone(),
            lifetime: None,
            backdate: None,
            rules: self.access_rules.to_vec(),
        }
    }

    /// The lifetime in seconds, when the expiry is relative.
    pub fn lifetime_secs(&self) -> Option<i64> {
        match self.expiry {
            Expiry::Lifetime(s) => Some(s),
            Expiry::At(_) => None,
        }
    }

    /// The absolute expiry (unix seconds), when one was set.
    pub fn expires_at_unix(&self) -> Option<i64> {
        match self.expiry {
            Expiry::At(t) => Some(t),
            Expiry::Lifetime(_) => None,
        }
    }

    /// Whether tokens carry `downloadable: true`.
    pub fn downloadable(&self) -> bool {
        self.downloadable
    }

    /// The access rules, in order.
    pub fn access_rules(&self) -> &[AccessRule] {
        &self.access_rules
    }

    pub(crate) fn access_rules_arc(&self) -> &Arc<[AccessRule]> {
        &self.access_rules
    }

    /// An upper bound, in bytes, on every token minted with these options,
    /// whatever the key (up to 8192 bits), key id and clock; at most
    /// [`MAX_TOKEN_LEN`], which [`build`](TokenOptionsBuilder::build)
    /// enforces.
    pub fn max_token_len(&self) -> usize {
        token_len_bound(self.rules_json.as_deref().map(str::len))
    }

    /// The `accessRules` claim exactly as minted (a JSON array), or `None`
    /// when there are no rules and the claim is left out.
    pub fn access_rules_json(&self) -> Option<&str> {
        self.rules_json.as_deref()
    }

    /// These options with `downloadable` on: for download URLs, without
    /// re-running the builder (the rules are shared, not re-rendered).
    pub(crate) fn with_downloadable(&self) -> TokenOptions {
        let mut opts = self.clone();
        opts.downloadable = true;
        opts
    }

    /// Resolve `exp`/`nbf` against the signing clock and enforce the policy:
    /// `now < exp <= now + 24 h` and `nbf < exp`.
    ///
    /// # Errors
    /// [`ErrorKind::ExpiryTooFar`], [`ErrorKind::ExpiryNotInFuture`],
    /// [`ErrorKind::NotBeforeAfterExpiry`], [`ErrorKind::TimeOutOfRange`].
    pub(crate) fn resolve(&self, now: i64) -> Result<ResolvedTimes, Error> {
        let exp = match self.expiry {
            Expiry::Lifetime(secs) => now.checked_add(secs).ok_or(ErrorKind::TimeOutOfRange)?,
            Expiry::At(t) => t,
        };
        let max = latest_exp(now).ok_or(ErrorKind::TimeOutOfRange)?;
        if exp <= now {
            return Err(ErrorKind::ExpiryNotInFuture { exp, now }.into());
        }
        if exp > max {
            return Err(ErrorKind::ExpiryTooFar { exp, max }.into());
        }
        let nbf = match self.not_before {
            None => None,
            Some(NotBefore::At(t)) => Some(t),
            Some(NotBefore::Backdate(d)) => {
                Some(now.checked_sub(d).ok_or(ErrorKind::TimeOutOfRange)?)
            }
        };
        if let Some(nbf) = nbf
            && nbf >= exp
        {
            return Err(ErrorKind::NotBeforeAfterExpiry { nbf, exp }.into());
        }
        Ok(ResolvedTimes { exp, nbf })
    }

    /// Check these options against a clock without minting, e.g. before
    /// sending them to Cloudflare's token endpoint: the `exp` and `nbf` a
    /// token minted at `now` would carry.
    ///
    /// ```
    /// use cf_stream_token::{DEFAULT_LIFETIME, ResolvedTimes, TokenOptions};
    /// use time::macros::datetime;
    ///
    /// let now = datetime!(2026-11-22 12:00 UTC);
    /// let t: ResolvedTimes = TokenOptions::default().resolve_at(now)?;
    /// assert_eq!(t.exp, now.unix_timestamp() + DEFAULT_LIFETIME.as_secs() as i64);
    /// assert_eq!(t.nbf, None);
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// As minting: the 24-hour cap, `exp` in the future, `nbf < exp`.
    pub fn resolve_at(&self, now: OffsetDateTime) -> Result<ResolvedTimes, Error> {
        self.resolve(now.unix_timestamp())
    }
}

/// Builder for [`TokenOptions`]; [`build`](TokenOptionsBuilder::build)
/// validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct TokenOptionsBuilder {
    opts: TokenOptions,
    lifetime: Option<Duration>,
    backdate: Option<Duration>,
    rules: Vec<AccessRule>,
}

fn whole_secs(d: Duration, what: &'static str) -> Result<i64, Error> {
    if d.is_zero() || d.subsec_nanos() != 0 {
        return Err(ErrorKind::InvalidDuration { what }.into());
    }
    i64::try_from(d.as_secs()).map_err(|_| ErrorKind::InvalidDuration { what }.into())
}

impl TokenOptionsBuilder {
    /// Tokens expire this long after they are minted (default one hour; at
    /// most 24 hours; whole seconds). Replaces any [`expires_at`](Self::expires_at).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self.opts.expiry = Expiry::Lifetime(DEFAULT_LIFETIME_SECS);
        self
    }

    /// Tokens expire at this instant (whole seconds; fractions are dropped).
    /// Minting refuses it once it is in the past or more than 24 hours ahead
    /// of the signing clock. Replaces any [`lifetime`](Self::lifetime).
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.lifetime = None;
        self.opts.expiry = Expiry::At(at.unix_timestamp());
        self
    }

    /// Tokens are not valid before this instant. Replaces any back-dating.
    pub fn not_before(mut self, at: OffsetDateTime) -> Self {
        self.backdate = None;
        self.opts.not_before = Some(NotBefore::At(at.unix_timestamp()));
        self
    }

    /// Tokens carry `nbf` this long before the signing time, to absorb
    /// viewers' clock skew (Cloudflare's token endpoint uses one hour).
    /// Replaces any absolute [`not_before`](Self::not_before).
    pub fn backdate_not_before(mut self, by: Duration) -> Self {
        self.backdate = Some(by);
        self.opts.not_before = None;
        self
    }

    /// Allow MP4/M4A downloads with these tokens (`downloadable: true`).
    pub fn downloadable(mut self, yes: bool) -> Self {
        self.opts.downloadable = yes;
        self
    }

    /// Replace the access rules (at most 5, evaluated in order).
    pub fn access_rules(mut self, rules: impl IntoIterator<Item = AccessRule>) -> Self {
        self.rules = rules.into_iter().collect();
        self
    }

    /// Append one access rule.
    pub fn access_rule(mut self, rule: AccessRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Validate and finish.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidDuration`] for a zero or fractional lifetime or
    /// back-dating, [`ErrorKind::LifetimeTooLong`] past 24 hours,
    /// [`ErrorKind::NotBeforeAfterExpiry`] for an absolute `nbf` not before an
    /// absolute `exp`, the access-rule errors (among them
    /// [`ErrorKind::RuleHasNoEffect`] for a rule that can never change
    /// whether any viewer may play, such as the `allow` of an allow-only
    /// list), and
    /// [`ErrorKind::TokenTooLong`] when the rules are so long that a token
    /// could pass [`MAX_TOKEN_LEN`] (see [`TokenOptions::max_token_len`]).
    pub fn build(self) -> Result<TokenOptions, Error> {
        self.finish(true)
    }

    /// As [`build`](Self::build), but without refusing rules that decide
    /// nothing: the shape checks only (at most 5 rules, valid countries and
    /// networks, nothing after `any`, the token-length bound). For the
    /// emulator's token endpoint, which answers as Cloudflare's does, and
    /// Cloudflare's accepts an allow-only list.
    #[cfg(feature = "emulator")]
    pub(crate) fn build_shape_only(self) -> Result<TokenOptions, Error> {
        self.finish(false)
    }

    fn finish(self, refuse_no_effect: bool) -> Result<TokenOptions, Error> {
        let mut opts = self.opts;
        if let Some(lifetime) = self.lifetime {
            let secs = whole_secs(lifetime, "token lifetime")?;
            if !within_max_lifetime(secs) {
                return Err(ErrorKind::LifetimeTooLong {
                    seconds: lifetime.as_secs(),
                }
                .into());
            }
            opts.expiry = Expiry::Lifetime(secs);
        }
        if let Some(by) = self.backdate {
            let secs = whole_secs(by, "not-before back-dating")?;
            opts.not_before = Some(NotBefore::Backdate(secs));
        }
        if let (Expiry::At(exp), Some(NotBefore::At(nbf))) = (opts.expiry, opts.not_before)
            && nbf >= exp
        {
            return Err(ErrorKind::NotBeforeAfterExpiry { nbf, exp }.into());
        }
        rules::validate(&self.rules)?;
        opts.rules_json = if self.rules.is_empty() {
            None
        } else {
            Some(Arc::from(
                serde_json::to_string(&self.rules).expect("rules serialise"),
            ))
        };
        // Checked here, once, so that minting never has to measure.
        let bound = opts.max_token_len();
        if bound > MAX_TOKEN_LEN {
            return Err(ErrorKind::TokenTooLong {
                len: bound,
                max: MAX_TOKEN_LEN,
            }
            .into());
        }
        // After the length bound, so that no list longer than a token can
        // carry is ever analysed.
        if refuse_no_effect {
            crate::decide::refuse_rules_without_effect(&self.rules)?;
        }
        opts.access_rules = Arc::from(self.rules);
        Ok(opts)
    }
}

/// A lifetime or back-dating in JSON: whole seconds, or a duration text
/// as [`parse_duration`](crate::parse_duration) reads it.
struct DurationJson(Duration);

impl<'de> serde::Deserialize<'de> for DurationJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationJson;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("whole seconds, or a duration such as \"90s\", \"2h\" or \"1h30m\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DurationJson, E> {
                Ok(DurationJson(Duration::from_secs(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationJson, E> {
                crate::duration::parse_duration(v)
                    .map(DurationJson)
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON shape of [`TokenOptions`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OptionsJson {
    #[serde(default)]
    lifetime: Option<DurationJson>,
    #[serde(default)]
    backdate: Option<DurationJson>,
    #[serde(default)]
    downloadable: Option<bool>,
    #[serde(default)]
    access_rules: Option<Vec<AccessRule>>,
}

/// Options from a configuration file:
/// `{"lifetime": "2h", "backdate": "60s", "downloadable": false,
/// "accessRules": [...]}`. Every member is optional (the defaults are the
/// builder's), an unknown member is refused, `lifetime` and `backdate` are
/// whole seconds or a duration text as [`parse_duration`](crate::parse_duration)
/// reads it, `accessRules` is Cloudflare's JSON, and every check of
/// [`TokenOptionsBuilder::build`] runs while deserialising: a 25-hour
/// lifetime does not deserialise.
///
/// ```
/// use cf_stream_token::TokenOptions;
/// let opts: TokenOptions = serde_json::from_str(r#"{
///     "lifetime": "2h", "backdate": 60,
///     "accessRules": [{"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
///                     {"type": "any", "action": "block"}]
/// }"#)?;
/// assert_eq!(opts.lifetime_secs(), Some(7200));
/// assert_eq!(opts.access_rules().len(), 2);
/// let e = serde_json::from_str::<TokenOptions>(r#"{"lifetime": "25h"}"#).unwrap_err();
/// assert!(e.to_string().contains("exceeds the 24-hour cap"), "{e}");
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de> serde::Deserialize<'de> for TokenOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = <OptionsJson as serde::Deserialize>::deserialize(d)?;
        let mut b = TokenOptions::builder();
        if let Some(DurationJson(lifetime)) = json.lifetime {
            b = b.lifetime(lifetime);
        }
        if let Some(DurationJson(by)) = json.backdate {
            b = b.backdate_not_before(by);
        }
        if let Some(yes) = json.downloadable {
            b = b.downloadable(yes);
        }
        if let Some(rules) = json.access_rules {
            b = b.access_rules(rules);
        }
        b.build().map_err(serde::de::Error::custom)
    }
}

/// The claims of a Stream token, as minted or as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub(crate) video: VideoId,
    pub(crate) kid: KeyId,
    pub(crate) exp: i64,
    pub(crate) nbf: Option<i64>,
    pub(crate) downloadable: bool,
    pub(crate) access_rules: Arc<[AccessRule]>,
}

fn to_datetime(unix: i64) -> OffsetDateTime {
    // Every stored time was range-checked on the way in.
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Cloudflare's member names, every member present, in the order they are
/// minted: `{"sub","kid","exp","nbf","downloadable","accessRules"}`, `nbf`
/// `null` and `downloadable` `false` when the token leaves them out,
/// `accessRules` an array (empty when absent), times in unix seconds.
impl serde::Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Claims", 6)?;
        st.serialize_field("sub", &self.video)?;
        st.serialize_field("kid", &self.kid)?;
        st.serialize_field("exp", &self.exp)?;
        st.serialize_field("nbf", &self.nbf)?;
        st.serialize_field("downloadable", &self.downloadable)?;
        st.serialize_field("accessRules", &*self.access_rules)?;
        st.end()
    }
}

impl Claims {
    /// `sub`: the video (or live input) the token plays.
    pub fn video(&self) -> &VideoId {
        &self.video
    }

    /// Refuse claims for another video than `video`: what a backend checks
    /// after [`Verifier::verify`](crate::Verifier) when the request names
    /// the video.
    ///
    /// # Errors
    /// [`ErrorKind::WrongVideo`](crate::ErrorKind::WrongVideo).
    pub fn check_video(&self, video: &VideoId) -> Result<(), Error> {
        if &self.video == video {
            Ok(())
        } else {
            Err(ErrorKind::WrongVideo {
                expected: video.to_string(),
                found: self.video.to_string(),
            }
            .into())
        }
    }

    /// `kid`: the signing key's id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// `exp`, unix seconds.
    pub fn exp(&self) -> i64 {
        self.exp
    }

    /// `exp` as a date-time.
    pub fn expires_at(&self) -> OffsetDateTime {
        to_datetime(self.exp)
    }

    /// `nbf`, unix seconds, if present.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `nbf` as a date-time, if present.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.nbf.map(to_datetime)
    }

    /// `downloadable` (absent reads as `false`).
    pub fn downloadable(&self) -> bool {
        self.downloadable
    }

    /// `accessRules`, in order (empty when absent).
    pub fn access_rules(&self) -> &[AccessRule] {
        &self.access_rules
    }
}

impl Claims {
    /// Evaluate the token's access rules for `viewer`, as Cloudflare's edge
    /// does: first match decides, no match allows.
    ///
    /// ```
    /// use cf_stream_token::{AccessRule, Action, CountryCode, Signer, SigningKey, TokenOptions, VideoId, Viewer};
    /// use time::macros::datetime;
    ///
    /// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
    /// let opts = TokenOptions::builder()
    ///     .access_rules(AccessRule::allow_only_countries(["GB"])?)
    ///     .build()?;
    /// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
    /// let token = signer.mint_at(datetime!(2026-11-22 12:00 UTC), &video, &opts)?;
    ///
    /// let ip = "203.0.113.7".parse().unwrap();
    /// let gb = token.claims().decide(&Viewer { ip, country: CountryCode::new("GB")? });
    /// assert!(gb.is_allowed());
    /// assert_eq!(gb.rule(), Some(1));
    /// let us = token.claims().decide(&Viewer { ip, country: CountryCode::new("US")? });
    /// assert_eq!((us.action(), us.rule()), (Action::Block, Some(2)));
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    pub fn decide(&self, viewer: &Viewer) -> Decision {
        decide_rules(self.access_rules(), viewer)
    }

    /// The token's access rules in words: who may play, what everyone
    /// else gets, and whether IPv6 viewers are covered by the address
    /// rules (see [`RulesExplanation`]). A token minted elsewhere may carry
    /// rules the options builder would refuse; the text says so of a rule
    /// that decides no viewer.
    pub fn explain_rules(&self) -> RulesExplanation {
        explain(self.access_rules())
    }
}

impl TokenOptions {
    /// These options' access rules in words: who may play, what everyone
    /// else gets, and whether IPv6 viewers are covered by the address
    /// rules (see [`RulesExplanation`]).
    pub fn explain_rules(&self) -> RulesExplanation {
        explain(self.access_rules())
    }

    /// Evaluate these options' access rules for `viewer` before minting:
    /// the same decision as [`Claims::decide`] on the minted token.
    pub fn decide(&self, viewer: &Viewer) -> Decision {
        decide_rules(self.access_rules(), viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn kind(r: Result<impl std::fmt::Debug, Error>) -> ErrorKind {
        r.unwrap_err().into_kind()
    }

    #[test]
    fn lifetime_constants_are_durations() {
        assert_eq!(MAX_LIFETIME, Duration::from_secs(24 * 3600));
        assert_eq!(DEFAULT_LIFETIME, Duration::from_secs(3600));
        assert_eq!(MAX_LIFETIME.as_secs(), MAX_LIFETIME_SECS as u64);
        let opts = TokenOptions::builder()
            .lifetime(MAX_LIFETIME)
            .build()
            .unwrap();
        assert_eq!(opts.lifetime_secs(), Some(86_400));
        assert_eq!(
            TokenOptions::default()
                .resolve_at(OffsetDateTime::from_unix_timestamp(NOW).unwrap())
                .unwrap(),
            ResolvedTimes {
                exp: NOW + 3600,
                nbf: None
            }
        );
    }

    #[test]
    fn default_is_one_hour() {
        let t = TokenOptions::default().resolve(NOW).unwrap();
        assert_eq!(
            t,
            ResolvedTimes {
                exp: NOW + 3600,
                nbf: None
            }
        );
    }

    #[test]
    fn exactly_24h_is_allowed_one_second_more_is_not() {
        let day = TokenOptions::builder()
            .lifetime(Duration::from_secs(86_400))
            .build()
            .unwrap();
        assert_eq!(day.resolve(NOW).unwrap().exp, NOW + 86_400);
        assert_eq!(
            kind(
                TokenOptions::builder()
                    .lifetime(Duration::from_secs(86_401))
                    .build()
            ),
            ErrorKind::LifetimeTooLong { seconds: 86_401 }
        );
        let at = |exp| {
            TokenOptions::builder()
                .expires_at(OffsetDateTime::from_unix_timestamp(exp).unwrap())
                .build()
                .unwrap()
        };
        assert_eq!(at(NOW + 86_400).resolve(NOW).unwrap().exp, NOW + 86_400);
        assert_eq!(
            kind(at(NOW + 86_401).resolve(NOW)),
            ErrorKind::ExpiryTooFar {
                exp: NOW + 86_401,
                max: NOW + 86_400
            }
        );
        assert_eq!(
            kind(at(NOW).resolve(NOW)),
            ErrorKind::ExpiryNotInFuture { exp: NOW, now: NOW }
        );
    }

    #[test]
    fn durations_must_be_positive_whole_seconds() {
        for d in [Duration::ZERO, Duration::from_millis(1500)] {
            assert_eq!(
                kind(TokenOptions::builder().lifetime(d).build()),
                ErrorKind::InvalidDuration {
                    what: "token lifetime"
                }
            );
            assert_eq!(
                kind(TokenOptions::builder().backdate_not_before(d).build()),
                ErrorKind::InvalidDuration {
                    what: "not-before back-dating"
                }
            );
        }
    }

    #[test]
    fn nbf_must_precede_exp() {
        let t = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        assert_eq!(
            kind(
                TokenOptions::builder()
                    .expires_at(t(NOW + 10))
                    .not_before(t(NOW + 10))
                    .build()
            ),
            ErrorKind::NotBeforeAfterExpiry {
                nbf: NOW + 10,
                exp: NOW + 10
            }
        );
        let later = TokenOptions::builder()
            .not_before(t(NOW + 7200))
            .build()
            .unwrap();
        assert_eq!(
            kind(later.resolve(NOW)),
            ErrorKind::NotBeforeAfterExpiry {
                nbf: NOW + 7200,
                exp: NOW + 3600
            }
        );
        let backdated = TokenOptions::builder()
            .backdate_not_before(Duration::from_secs(3600))
            .build()
            .unwrap();
        assert_eq!(
            backdated.resolve(NOW).unwrap(),
            ResolvedTimes {
                exp: NOW + 3600,
                nbf: Some(NOW - 3600)
            }
        );
    }

    #[test]
    fn last_expiry_setting_wins() {
        let t = OffsetDateTime::from_unix_timestamp(NOW + 100).unwrap();
        let o = TokenOptions::builder()
            .lifetime(Duration::from_secs(60))
            .expires_at(t)
            .build()
            .unwrap();
        assert_eq!(o.resolve(NOW).unwrap().exp, NOW + 100);
        let o = o
            .to_builder()
            .lifetime(Duration::from_secs(60))
            .build()
            .unwrap();
        assert_eq!(o.resolve(NOW).unwrap().exp, NOW + 60);
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            kind(TokenOptions::default().resolve(i64::MAX - 10)),
            ErrorKind::TimeOutOfRange
        );
    }
}
