//! Local verification of Stream tokens against one key or several chosen
//! by kid. Every check but the signature's is [`KeySet`]'s, on every target;
//! the native [`Verifier`] checks signatures with AWS-LC, wasm32's
//! `WebCryptoVerifier` (`crate::webcrypto`) with the runtime's WebCrypto.
//! Tokens are read by [`crate::jws`].

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

use crate::claims::Claims;
use crate::error::{Error, ErrorKind, echo};
use crate::ids::KeyId;
#[cfg(not(target_arch = "wasm32"))]
use crate::ids::VideoId;
use crate::jws::{self, Compact, malformed};
use crate::key::PublicKey;
#[cfg(not(target_arch = "wasm32"))]
use crate::key::PublicVerifier;

/// Verifies RS256 Stream tokens against one public key ([`Verifier::new`])
/// or several, chosen by the token's `kid` ([`Verifier::from_keys`]).
///
/// The algorithm is pinned: `none`, HS256 and everything but RS256 are
/// refused whatever the key. The signature is checked before the payload is
/// read; then the `kid` (header and payload) against the key's, and `exp` and
/// `nbf` against the given clock with an optional leeway.
///
/// ```
/// use cf_stream_token::{Signer, SigningKey, TokenOptions, Verifier, VideoId};
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let verifier = Verifier::parse(include_str!("../fixtures/demo/demo_public.jwk.json"), None)?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let now = datetime!(2026-11-22 12:00 UTC);
/// let token = signer.mint_at(now, &video, &TokenOptions::default())?;
/// let claims = verifier.verify_at(token.as_str(), now)?;
/// assert_eq!(claims.video(), &video);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone)]
pub struct Verifier {
    set: KeySet<PublicVerifier>,
}

/// The keys a verifier chooses from, and every check but the signature's:
/// shared by the native [`Verifier`] and wasm32's `WebCryptoVerifier`, whose
/// `K` (what checks a signature with one key) differ.
#[derive(Clone)]
pub(crate) struct KeySet<K> {
    /// Never empty for [`Choice::One`].
    keys: Vec<Entry<K>>,
    choice: Choice,
    leeway: i64,
}

#[derive(Clone)]
struct Entry<K> {
    key: PublicKey,
    check: K,
    /// The header this crate's signers write for the key's kid: a token
    /// with exactly these header bytes names this key, RS256 and nothing
    /// else, so they are not decoded and read again for every token.
    header: Option<Box<str>>,
}

impl<K> Entry<K> {
    fn new(key: PublicKey, check: K) -> Self {
        Entry {
            check,
            header: key.kid().map(crate::token::header_b64),
            key,
        }
    }
}

/// How a token's `kid` picks the key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// One key: a token naming another kid is [`ErrorKind::WrongKey`]
    /// (any kid passes when the key has none).
    One,
    /// The key with that kid, [`ErrorKind::UnknownKey`] when none has it.
    ByKid,
}

/// A token split and its key chosen, before the signature is checked.
pub(crate) struct Chosen<'t, 'k, K> {
    pub(crate) signing_input: &'t str,
    pub(crate) signature: &'t str,
    pub(crate) check: &'k K,
    payload: &'t str,
    kid: KeyId,
}

#[cfg(not(target_arch = "wasm32"))]
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.set.debug("Verifier", f)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Verifier {
    /// A verifier for `key`. Its kid, if any, is required of every token.
    pub fn new(key: PublicKey) -> Self {
        let check = key.verifier();
        Verifier {
            set: KeySet::one(key, check),
        }
    }

    /// A verifier for several keys, each token checked with the one its
    /// header's `kid` names: a JWKS, or the keys of a
    /// [`Keyring`](crate::Keyring) (which [`Keyring::verifier`](crate::Keyring::verifier)
    /// builds this way). A token whose kid none of them has is
    /// [`ErrorKind::UnknownKey`]; with no key at all, every token is.
    ///
    /// ```
    /// use cf_stream_token::{PublicKey, Signer, SigningKey, TokenOptions, Verifier, VideoId};
    /// use time::macros::datetime;
    ///
    /// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
    /// let public = PublicKey::parse(include_str!("../fixtures/demo/demo_public.jwk.json"), None)?;
    /// let verifier = Verifier::from_keys([public])?;
    /// let now = datetime!(2026-11-22 12:00 UTC);
    /// let token = signer.mint_at(now, &"ea95132c15732412d22c1476fa83f27a".parse()?, &TokenOptions::default())?;
    /// assert_eq!(verifier.verify_at(token.as_str(), now)?.kid(), signer.kid());
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::KeyIdRequired`] for a key without a kid (it could not
    /// be chosen); [`ErrorKind::InvalidKeyring`] for two different keys
    /// with the same kid (which one is meant would be a guess). The same key
    /// given twice is kept once.
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, Error> {
        let set = KeySet::by_kid(keys)?;
        let checks = set.public_keys().map(PublicKey::verifier).collect();
        Ok(Verifier {
            set: set.with_checks(checks),
        })
    }

    /// Read the key from any public or private form (see [`PublicKey::parse`]).
    ///
    /// # Errors
    /// As [`PublicKey::parse`].
    pub fn parse(input: impl AsRef<[u8]>, kid: Option<KeyId>) -> Result<Self, Error> {
        PublicKey::parse(input, kid).map(Verifier::new)
    }

    /// Allow this much clock difference when checking `exp` and `nbf`
    /// (whole seconds; fractions are dropped).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.set.set_leeway(leeway);
        self
    }

    /// The key this verifier checks against: the first of
    /// [`public_keys`](Self::public_keys).
    ///
    /// # Panics
    /// For a verifier [`from_keys`](Self::from_keys) of no key at all.
    pub fn public_key(&self) -> &PublicKey {
        &self.set.first().key
    }

    /// Every key this verifier checks against, in the order given.
    pub fn public_keys(&self) -> impl ExactSizeIterator<Item = &PublicKey> {
        self.set.public_keys()
    }

    /// Check a raw RS256 signature over `message` with
    /// [`public_key`](Self::public_key).
    ///
    /// # Errors
    /// [`ErrorKind::BadSignature`] if it does not verify.
    ///
    /// # Panics
    /// As [`public_key`](Self::public_key).
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.set.first().check.verify(message, signature)
    }

    /// Verify a compact token as of `now` and return its claims.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedToken`], [`ErrorKind::WrongAlgorithm`],
    /// [`ErrorKind::WrongKey`], [`ErrorKind::UnknownKey`] (a verifier
    /// [`from_keys`](Self::from_keys)), [`ErrorKind::BadSignature`],
    /// [`ErrorKind::Expired`], [`ErrorKind::NotYetValid`].
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, Error> {
        let chosen = self.set.choose(token)?;
        jws::with_decoded(
            chosen.signature,
            "signature is not base64url",
            |signature| {
                chosen
                    .check
                    .verify(chosen.signing_input.as_bytes(), signature)
            },
        )?;
        self.set.accept(&chosen, now)
    }

    /// Verify as of the system clock.
    ///
    /// # Errors
    /// As [`Verifier::verify_at`].
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        self.verify_at(token, crate::clock::system_now())
    }

    /// Verify a token for `video` as of `now`: as
    /// [`verify_at`](Self::verify_at), and then its video (`sub`) must be
    /// `video`. A check route that answers "may this viewer play video X"
    /// uses this: [`verify_at`](Self::verify_at) alone accepts a valid token
    /// of any video of the account.
    ///
    /// ```
    /// use cf_stream_token::{ErrorKind, Signer, SigningKey, TokenOptions, VideoId};
    /// use time::macros::datetime;
    ///
    /// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
    /// let verifier = signer.verifier();
    /// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
    /// let other: VideoId = "0123456789abcdef0123456789abcdef".parse()?;
    /// let now = datetime!(2026-11-22 12:00 UTC);
    /// let token = signer.mint_at(now, &video, &TokenOptions::default())?;
    /// assert_eq!(verifier.verify_for_at(&video, token.as_str(), now)?.video(), &video);
    /// let refused = verifier.verify_for_at(&other, token.as_str(), now).unwrap_err();
    /// assert!(matches!(refused.kind(), ErrorKind::WrongVideo { .. }));
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`verify_at`](Self::verify_at), and [`ErrorKind::WrongVideo`]
    /// for a valid token of another video.
    pub fn verify_for_at(
        &self,
        video: &VideoId,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, Error> {
        let claims = self.verify_at(token, now)?;
        claims.check_video(video)?;
        Ok(claims)
    }

    /// [`verify_for_at`](Self::verify_for_at) as of the system clock.
    ///
    /// # Errors
    /// As [`Verifier::verify_for_at`].
    pub fn verify_for(&self, video: &VideoId, token: &str) -> Result<Claims, Error> {
        self.verify_for_at(video, token, crate::clock::system_now())
    }
}

impl<K> KeySet<K> {
    /// One key: its kid, if any, is required of every token.
    pub(crate) fn one(key: PublicKey, check: K) -> Self {
        KeySet {
            keys: vec![Entry::new(key, check)],
            choice: Choice::One,
            leeway: 0,
        }
    }

    /// Replace each key's check, in order (`checks` has one per key).
    pub(crate) fn with_checks<L>(self, checks: Vec<L>) -> KeySet<L> {
        debug_assert_eq!(checks.len(), self.keys.len());
        KeySet {
            keys: self
                .keys
                .into_iter()
                .zip(checks)
                .map(|(e, check)| Entry {
                    key: e.key,
                    check,
                    header: e.header,
                })
                .collect(),
            choice: self.choice,
            leeway: self.leeway,
        }
    }

    pub(crate) fn set_leeway(&mut self, leeway: Duration) {
        self.leeway = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
    }

    /// The first key.
    ///
    /// # Panics
    /// For a set [`by_kid`](KeySet::by_kid) of no key at all.
    #[cfg(not(target_arch = "wasm32"))]
    fn first(&self) -> &Entry<K> {
        self.keys
            .first()
            .expect("a verifier built with no key has no key")
    }

    pub(crate) fn public_keys(&self) -> impl ExactSizeIterator<Item = &PublicKey> {
        self.keys.iter().map(|e| &e.key)
    }

    /// Split `token` and choose its key: by the exact header this crate
    /// writes for a key's kid, or else by reading the header (RS256 only,
    /// no `crit`, a kid this set has).
    pub(crate) fn choose<'t>(&self, token: &'t str) -> Result<Chosen<'t, '_, K>, Error> {
        let Compact {
            signing_input,
            header,
            payload,
            signature,
        } = jws::split(token)?;

        let known = self
            .keys
            .iter()
            .find(|e| e.header.as_deref() == Some(header))
            .and_then(|e| Some((*e.key.kid()?, e)));
        let (kid, entry) = match known {
            Some(known) => known,
            None => self.read_header(header)?,
        };
        Ok(Chosen {
            signing_input,
            signature,
            check: &entry.check,
            payload,
            kid,
        })
    }

    /// The claims of a token whose signature `chosen.check` has verified:
    /// the payload's kid must be the header's, and `exp` and `nbf` hold as
    /// of `now` within the leeway.
    pub(crate) fn accept(
        &self,
        chosen: &Chosen<'_, '_, K>,
        now: OffsetDateTime,
    ) -> Result<Claims, Error> {
        // Authentic from here on.
        let claims = jws::claims_naming(chosen.payload, Some(&chosen.kid))?;
        if claims.kid != chosen.kid {
            return Err(ErrorKind::WrongKey {
                kid: claims.kid.to_string(),
            }
            .into());
        }

        let now = now.unix_timestamp();
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(ErrorKind::Expired {
                exp: claims.exp,
                now,
            }
            .into());
        }
        if let Some(nbf) = claims.nbf
            && now.saturating_add(self.leeway) < nbf
        {
            return Err(ErrorKind::NotYetValid { nbf, now }.into());
        }
        Ok(claims)
    }

    /// `Debug` of a verifier: its kid or kids and the leeway, never a key.
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids = || self.keys.iter().map(|e| e.key.kid().map(KeyId::as_str));
        let mut d = f.debug_struct(name);
        match self.choice {
            Choice::One => d.field("kid", &kids().next().flatten()),
            Choice::ByKid => d.field("kids", &kids().flatten().collect::<Vec<_>>()),
        };
        d.field("leeway_secs", &self.leeway).finish()
    }

    /// The header's kid and the key it picks, for a header not written as
    /// this crate's signers write it.
    fn read_header(&self, header: &str) -> Result<(KeyId, &Entry<K>), Error> {
        jws::with_header(header, |header| {
            if header.alg != "RS256" {
                return Err(ErrorKind::WrongAlgorithm {
                    alg: echo(&header.alg, 16),
                }
                .into());
            }
            // RFC 7515 4.1.11: no extension is understood here, so any `crit`
            // member, `null` or empty included, is refused.
            if header.has_crit() {
                return Err(malformed("critical header extensions are not supported"));
            }
            let kid = header.kid()?;
            Ok((kid, self.entry(&kid)?))
        })
    }

    /// The key a token naming `kid` is checked with.
    fn entry(&self, kid: &KeyId) -> Result<&Entry<K>, Error> {
        match self.choice {
            Choice::One => {
                let entry = &self.keys[0];
                match entry.key.kid() {
                    Some(own) if own != kid => Err(ErrorKind::WrongKey {
                        kid: kid.to_string(),
                    }
                    .into()),
                    _ => Ok(entry),
                }
            }
            Choice::ByKid => self
                .keys
                .iter()
                .find(|e| e.key.kid() == Some(kid))
                .ok_or_else(|| {
                    ErrorKind::UnknownKey {
                        kid: kid.to_string(),
                    }
                    .into()
                }),
        }
    }
}

impl KeySet<()> {
    /// Several keys, each token checked with the one its header's `kid`
    /// names (see [`Verifier::from_keys`] for the errors); each key's check
    /// is added with [`with_checks`](KeySet::with_checks).
    pub(crate) fn by_kid(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, Error> {
        let mut entries: Vec<Entry<()>> = Vec::new();
        for key in keys {
            let kid = *key.kid().ok_or(ErrorKind::KeyIdRequired)?;
            match entries.iter().find(|e| e.key.kid() == Some(&kid)) {
                Some(e) if e.key == key => continue,
                Some(_) => {
                    return Err(ErrorKind::InvalidKeyring {
                        reason: "two different keys have the same key id",
                    }
                    .into());
                }
                None => entries.push(Entry::new(key, ())),
            }
        }
        Ok(KeySet {
            keys: entries,
            choice: Choice::ByKid,
            leeway: 0,
        })
    }
}
