//! Local verification of Stream tokens against one key or several chosen
//! by kid. Native targets only (the check is AWS-LC's): the whole module is
//! gated in `lib.rs`. Tokens are read by [`crate::jws`].

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

use crate::claims::Claims;
use crate::error::{Error, ErrorKind, echo};
use crate::ids::{KeyId, VideoId};
use crate::jws::{self, Compact, malformed};
use crate::key::{PublicKey, PublicVerifier};

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
#[derive(Clone)]
pub struct Verifier {
    /// Never empty for [`Choice::One`].
    keys: Vec<Entry>,
    choice: Choice,
    leeway: i64,
}

#[derive(Clone)]
struct Entry {
    key: PublicKey,
    parsed: PublicVerifier,
    /// The header this crate's signers write for the key's kid: a token
    /// with exactly these header bytes names this key, RS256 and nothing
    /// else, so they are not decoded and read again for every token.
    header: Option<Box<str>>,
}

impl Entry {
    fn new(key: PublicKey) -> Self {
        Entry {
            parsed: key.verifier(),
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

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids = || self.keys.iter().map(|e| e.key.kid().map(KeyId::as_str));
        let mut d = f.debug_struct("Verifier");
        match self.choice {
            Choice::One => d.field("kid", &kids().next().flatten()),
            Choice::ByKid => d.field("kids", &kids().flatten().collect::<Vec<_>>()),
        };
        d.field("leeway_secs", &self.leeway).finish()
    }
}

impl Verifier {
    /// A verifier for `key`. Its kid, if any, is required of every token.
    pub fn new(key: PublicKey) -> Self {
        Verifier {
            keys: vec![Entry::new(key)],
            choice: Choice::One,
            leeway: 0,
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
        let mut entries: Vec<Entry> = Vec::new();
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
                None => entries.push(Entry::new(key)),
            }
        }
        Ok(Verifier {
            keys: entries,
            choice: Choice::ByKid,
            leeway: 0,
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
        self.leeway = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The key this verifier checks against: the first of
    /// [`public_keys`](Self::public_keys).
    ///
    /// # Panics
    /// For a verifier [`from_keys`](Self::from_keys) of no key at all.
    pub fn public_key(&self) -> &PublicKey {
        &self
            .keys
            .first()
            .expect("a verifier built with no key has no key")
            .key
    }

    /// Every key this verifier checks against, in the order given.
    pub fn public_keys(&self) -> impl ExactSizeIterator<Item = &PublicKey> {
        self.keys.iter().map(|e| &e.key)
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
        let first = self
            .keys
            .first()
            .expect("a verifier built with no key has no key");
        first.parsed.verify(message, signature)
    }

    /// Verify a compact token as of `now` and return its claims.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedToken`], [`ErrorKind::WrongAlgorithm`],
    /// [`ErrorKind::WrongKey`], [`ErrorKind::UnknownKey`] (a verifier
    /// [`from_keys`](Self::from_keys)), [`ErrorKind::BadSignature`],
    /// [`ErrorKind::Expired`], [`ErrorKind::NotYetValid`].
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, Error> {
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
        let (header_kid, entry) = match known {
            Some(known) => known,
            None => self.read_header(header)?,
        };

        jws::with_decoded(signature, "signature is not base64url", |signature| {
            entry.parsed.verify(signing_input.as_bytes(), signature)
        })?;

        // Authentic from here on.
        let claims = jws::claims_naming(payload, Some(&header_kid))?;
        if claims.kid != header_kid {
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

    /// The header's kid and the key it picks, for a header not written as
    /// this crate's signers write it.
    fn read_header(&self, header: &str) -> Result<(KeyId, &Entry), Error> {
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

    /// The key a token naming `kid` is checked with.
    fn entry(&self, kid: &KeyId) -> Result<&Entry, Error> {
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
