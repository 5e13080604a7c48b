//! Several signing keys and their lifecycle: `next`, `current`, `previous`.
//!
//! # Why
//!
//! Deleting a Stream signing key revokes every token it signed, Cloudflare
//! shows a key's private half once, and an account holds at most 1,000
//! keys. Rotation is therefore where backends break playback (a key deleted
//! while its tokens still play) or leak keys (orphans that count toward the
//! cap and can never sign). A [`Keyring`] follows the references
//! (CloudFront key groups, Media CDN, Mux, Auth0/Okta's next/current/
//! previous, AWS Secrets Manager's AWSPENDING/AWSCURRENT/AWSPREVIOUS):
//!
//! 1. a new key is added as [`KeyState::Next`]: it verifies, it does not
//!    sign, so every instance of a fleet can learn it before any token of
//!    it exists;
//! 2. once it is at least the ring's minimum age, it is promoted: it becomes
//!    [`KeyState::Current`] (the one key that signs) and the old current
//!    becomes [`KeyState::Previous`] (verifies only);
//! 3. a previous key is deleted at Cloudflare only from its retirement
//!    horizon on: demoted at + the ring's maximum token lifetime + a
//!    propagation margin, by when every token it could have signed has
//!    expired.
//!
//! # The document
//!
//! A ring is kept as one JSON document (one file, or one secret-store
//! value), schema version 1:
//!
//! ```json
//! {"version":1,"max_token_lifetime":86400,"margin":3600,"min_age":3600,
//!  "keys":[{"state":"current","created_at":"2026-11-22T12:00:00Z",
//!           "promoted_at":"2026-11-22T12:00:00Z","demoted_at":null,
//!           "key":{"id":"…","pem":"…","jwk":{…},"created":"…"}}]}
//! ```
//!
//! `max_token_lifetime`, `margin` and `min_age` are whole seconds (the last
//! two may be left out: 1 h each). Two optional members came later, and a
//! document without them loads: `account_id`, the Cloudflare account whose
//! keys the ring holds (recorded by the first write that names an account),
//! and `old_tokens_expire_by`, an RFC 3339 time recorded when the maximum
//! token lifetime was lowered: tokens signed under the longer one may live
//! until then, so no retirement horizon comes earlier. Later still, `serial`
//! (raised by one by every change, so that a reloading fleet refuses an older
//! document; left out while 0) and `reload_bound` (whole seconds: the fleet's
//! reload interval plus any secret-store cache, which a promotion waits for
//! and the margin covers). Each `key` is the create-key `result`
//! exactly as Cloudflare sent it (a private JWK with a `kid` loads too); it
//! is written back byte for byte. The document **holds private keys**:
//! [`Keyring::secret_document`] is its only way out, and no `Debug`,
//! `Display` or error ever shows any of it.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::claims::{MAX_LIFETIME, TokenOptions, within_max_lifetime};
use crate::error::{Error, ErrorKind};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::{SecretFileError, SigningKey};
use crate::signer::Signer;
use crate::source::TokenSource;
use crate::token::Token;
use crate::verify::Verifier;

/// The environment variable [`Keyring::from_env`] reads: the document
/// itself.
pub const KEYRING_ENV: &str = "CF_STREAM_KEYRING";

/// The environment variable naming a file that holds the keyring document
/// (the Docker and Kubernetes secrets convention), instead of
/// [`KEYRING_ENV`]: read by [`Keyring::from_env`].
pub const KEYRING_FILE_ENV: &str = "CF_STREAM_KEYRING_FILE";

/// The largest number of signing keys an account holds at Cloudflare.
pub const ACCOUNT_KEY_CAP: usize = 1000;

/// The largest keyring file [`Keyring::from_file`] reads: 8 MiB. A ring
/// of the 1,000 keys an account can hold is about 4.7 MB (a 2048-bit
/// create-key answer and its times are about 4.7 KB), so this is room for
/// every ring and refuses what cannot be one.
pub const KEYRING_FILE_LIMIT: u64 = 8 << 20;

impl Keyring {
    /// The default propagation margin of the retirement horizon: 1 hour.
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(3600);

    /// The default minimum age of a next key before it may be promoted: 1
    /// hour.
    ///
    /// Cloudflare does not document how soon a new key's tokens play, and a
    /// fleet needs the new key in every instance's ring before any instance
    /// signs with it (else instances that have not reloaded refuse its tokens
    /// in their own verifiers). Both waits are bounded by how often the fleet
    /// reloads the ring, which the margin also stands for, so the default is
    /// the same hour: one number to reason about.
    pub const DEFAULT_MIN_AGE: Duration = Duration::from_secs(3600);
}

/// The schema version this crate reads and writes.
const VERSION: u32 = 1;

/// Where a key is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Created, verifies, does not sign yet (AWSPENDING).
    Next,
    /// The one key that signs (AWSCURRENT).
    Current,
    /// Demoted: verifies only, until its tokens have expired (AWSPREVIOUS).
    Previous,
}

impl KeyState {
    /// `"next"`, `"current"` or `"previous"`, as in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Previous => "previous",
        }
    }

    fn parse(s: &str) -> Option<KeyState> {
        Some(match s {
            "next" => KeyState::Next,
            "current" => KeyState::Current,
            "previous" => KeyState::Previous,
            _ => return None,
        })
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key of a ring: its state and times (the key itself stays inside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    kid: KeyId,
    state: KeyState,
    created_at: OffsetDateTime,
    promoted_at: Option<OffsetDateTime>,
    demoted_at: Option<OffsetDateTime>,
}

impl KeyEntry {
    /// The key id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// Its state.
    pub fn state(&self) -> KeyState {
        self.state
    }

    /// When it joined the ring.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it became current, if it has.
    pub fn promoted_at(&self) -> Option<OffsetDateTime> {
        self.promoted_at
    }

    /// When it stopped signing, if it has.
    pub fn demoted_at(&self) -> Option<OffsetDateTime> {
        self.demoted_at
    }
}

struct Slot {
    entry: KeyEntry,
    signer: Signer,
    /// The saved create-key result, exactly as it was read.
    raw: Zeroizing<String>,
}

/// Signing keys in their states, with the ring's policy: the maximum token
/// lifetime, the propagation margin and the minimum age for promotion.
///
/// ```
/// use cf_stream_token::{Keyring, KeyState, TokenOptions, VideoId};
/// use std::time::Duration;
/// use time::macros::datetime;
///
/// let t0 = datetime!(2026-11-22 12:00 UTC);
/// let mut ring = Keyring::start_at(t0, include_str!("../fixtures/demo/demo_create_result.json"))?;
/// ring.add_next_at(t0, include_str!("../fixtures/other/other.jwk.json"))?;
///
/// let t1 = t0 + Duration::from_secs(3600);
/// let new = ring.promote_at(t1)?;
/// assert_eq!(new.as_str(), "0123456789abcdef0123456789abcdef");
///
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = ring.signer().mint_at(t1, &video, &TokenOptions::default())?;
/// assert_eq!(ring.verifier().verify_at(token.as_str(), t1)?.kid(), &new);
///
/// // The old key may go once its tokens (24 h) and the margin (1 h) are over.
/// let old = ring.keys().into_iter().find(|k| k.state() == KeyState::Previous).unwrap();
/// assert_eq!(ring.horizon(old.kid()), Some(t1 + Duration::from_secs(25 * 3600)));
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
///
///
/// # The document
///
/// A ring is kept as one JSON document (one file, or one secret-store
/// value), schema version 1:
///
/// ```json
/// {"version":1,"max_token_lifetime":86400,"margin":3600,"min_age":3600,
///  "keys":[{"state":"current","created_at":"2026-11-22T12:00:00Z",
///           "promoted_at":"2026-11-22T12:00:00Z","demoted_at":null,
///           "key":{"id":"…","pem":"…","jwk":{…},"created":"…"}}]}
/// ```
///
/// `max_token_lifetime`, `margin` and `min_age` are whole seconds (the last
/// two may be left out: 1 h each). Two optional members came later, and a
/// document without them loads: `account_id`, the Cloudflare account whose
/// keys the ring holds (recorded by the first write that names an account),
/// and `old_tokens_expire_by`, an RFC 3339 time recorded when the maximum
/// token lifetime was lowered: tokens signed under the longer one may live
/// until then, so no retirement horizon comes earlier. Later still, `serial`
/// (raised by one by every change, so that a reloading fleet refuses an older
/// document; left out while 0) and `reload_bound` (whole seconds: the fleet's
/// reload interval plus any secret-store cache, which a promotion waits for
/// and the margin covers). Each `key` is the create-key `result`
/// exactly as Cloudflare sent it (a private JWK with a `kid` loads too); it
/// is written back byte for byte. The document **holds private keys**:
/// [`Keyring::secret_document`] is its only way out, and no `Debug`,
/// `Display` or error ever shows any of it.
///
/// Not `Clone` (it holds private keys); `Debug` shows kids and states only.
pub struct Keyring {
    max_token_lifetime: Duration,
    margin: Duration,
    min_age: Duration,
    /// When the maximum token lifetime was lowered: by when every token
    /// signed under the longer one has expired.
    old_tokens_expire_by: Option<OffsetDateTime>,
    account_id: Option<AccountId>,
    /// The fleet's reload bound: how long after a document is published
    /// the slowest instance may still sign with the one before.
    reload_bound: Option<Duration>,
    /// Bumped by every change, so that a reloading instance can refuse a
    /// document older than the one it holds.
    serial: u64,
    slots: Vec<Slot>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Keys<'a>(&'a [Slot]);
        impl fmt::Debug for Keys<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|s| (s.entry.kid.as_str(), s.entry.state)))
                    .finish()
            }
        }
        f.debug_struct("Keyring")
            .field("keys", &Keys(&self.slots))
            .finish_non_exhaustive()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn add(t: OffsetDateTime, d: Duration) -> Result<OffsetDateTime, Error> {
    t.checked_add(time::Duration::seconds(secs(d)))
        .ok_or_else(|| ErrorKind::TimeOutOfRange.into())
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The margin covers the fleet's reload bound.
fn check_bound(margin: Duration, bound: Option<Duration>) -> Result<(), Error> {
    match bound {
        Some(bound) if margin < bound => Err(ErrorKind::MarginBelowReloadBound {
            margin: margin.as_secs(),
            bound: bound.as_secs(),
        }
        .into()),
        _ => Ok(()),
    }
}

fn whole_secs(d: Duration, what: &'static str) -> Result<(), Error> {
    if d.subsec_nanos() != 0 {
        return Err(ErrorKind::InvalidDuration { what }.into());
    }
    Ok(())
}

fn load_key(raw: &str, index: usize) -> Result<SigningKey, Error> {
    SigningKey::parse(raw.trim(), None).map_err(|e| {
        ErrorKind::KeyringKeyUnusable {
            index,
            cause: Box::new(e.into_kind()),
        }
        .into()
    })
}

impl Keyring {
    /// A new ring whose one key (a saved create-key result) is current at
    /// once, as of `now`, with the default policy (24 h, 1 h margin, 1 h
    /// minimum age).
    ///
    /// # Errors
    /// [`ErrorKind::KeyringKeyUnusable`] when the key does not load.
    pub fn start_at(now: OffsetDateTime, key_json: &str) -> Result<Keyring, Error> {
        let key = load_key(key_json, 0)?;
        Ok(Keyring {
            max_token_lifetime: MAX_LIFETIME,
            margin: Keyring::DEFAULT_MARGIN,
            min_age: Keyring::DEFAULT_MIN_AGE,
            old_tokens_expire_by: None,
            account_id: None,
            reload_bound: None,
            serial: 0,
            slots: vec![Slot {
                entry: KeyEntry {
                    kid: *key.kid(),
                    state: KeyState::Current,
                    created_at: now,
                    promoted_at: Some(now),
                    demoted_at: None,
                },
                signer: Signer::new(key),
                raw: Zeroizing::new(key_json.trim().to_owned()),
            }],
        })
    }

    /// Set the maximum token lifetime: whole seconds, 1 s to 24 h. The
    /// signer refuses tokens that would live longer, and the retirement
    /// horizon counts on it.
    ///
    /// This is for a ring that has signed nothing yet. To lower the
    /// lifetime of a ring in use, use
    /// [`change_max_token_lifetime_at`](Self::change_max_token_lifetime_at),
    /// which keeps the horizon safe for tokens already signed.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] out of range, [`ErrorKind::InvalidDuration`]
    /// with fractions of a second.
    pub fn set_max_token_lifetime(&mut self, lifetime: Duration) -> Result<(), Error> {
        whole_secs(lifetime, "max_token_lifetime")?;
        if lifetime.is_zero() || !within_max_lifetime(secs(lifetime)) {
            return Err(ErrorKind::InvalidConfig {
                what: "max_token_lifetime: 1 s to 24 h",
            }
            .into());
        }
        self.max_token_lifetime = lifetime;
        self.touch();
        Ok(())
    }

    /// Change the maximum token lifetime of a ring in use, as of `now`.
    ///
    /// Tokens signed before `now` may live as long as the old lifetime
    /// allowed. When the lifetime is lowered, the ring records by when they
    /// have all expired (`now` + the old lifetime, or a later such time
    /// recorded before: see
    /// [`old_tokens_expire_by`](Self::old_tokens_expire_by)), and no
    /// [`horizon`](Self::horizon) comes before it.
    ///
    /// # Errors
    /// As [`set_max_token_lifetime`](Self::set_max_token_lifetime), and
    /// [`ErrorKind::TimeOutOfRange`]; the ring is unchanged then.
    pub fn change_max_token_lifetime_at(
        &mut self,
        now: OffsetDateTime,
        lifetime: Duration,
    ) -> Result<(), Error> {
        let old = self.max_token_lifetime;
        if lifetime < old {
            let until = add(now, old)?;
            let until = self.old_tokens_expire_by.map_or(until, |t| t.max(until));
            self.set_max_token_lifetime(lifetime)?;
            self.old_tokens_expire_by = Some(until);
        } else {
            self.set_max_token_lifetime(lifetime)?;
        }
        Ok(())
    }

    /// By when every token signed under an earlier, longer maximum token
    /// lifetime has expired: recorded when the lifetime was lowered, `None`
    /// when it never was.
    pub fn old_tokens_expire_by(&self) -> Option<OffsetDateTime> {
        self.old_tokens_expire_by
    }

    /// The Cloudflare account whose keys the ring holds, once recorded.
    pub fn account_id(&self) -> Option<&AccountId> {
        self.account_id.as_ref()
    }

    /// Check that the ring may hold keys of `account`: it records none yet,
    /// or this one. Nothing is changed.
    ///
    /// # Errors
    /// [`ErrorKind::KeyringAccountMismatch`] when the ring records another
    /// account.
    pub fn check_account(&self, account: &AccountId) -> Result<(), Error> {
        match &self.account_id {
            Some(ring) if ring != account => Err(ErrorKind::KeyringAccountMismatch {
                ring: ring.to_string(),
                given: account.to_string(),
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// Record `account` as the ring's account: a ring that records none
    /// (a new one, or one written before rings recorded their account)
    /// takes it.
    ///
    /// # Errors
    /// As [`check_account`](Self::check_account); the ring is unchanged
    /// then.
    pub fn bind_account(&mut self, account: &AccountId) -> Result<(), Error> {
        self.check_account(account)?;
        if self.account_id.is_none() {
            self.account_id = Some(*account);
            self.touch();
        }
        Ok(())
    }

    /// Set the propagation margin of the retirement horizon (whole
    /// seconds): at least the longest time an instance of the fleet may
    /// keep signing with a ring it loaded before a promotion, so never
    /// less than the [reload bound](Self::reload_bound).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidDuration`] with fractions of a second,
    /// [`ErrorKind::InvalidConfig`] past 30 days,
    /// [`ErrorKind::MarginBelowReloadBound`] under the reload bound.
    pub fn set_margin(&mut self, margin: Duration) -> Result<(), Error> {
        whole_secs(margin, "margin")?;
        if margin > Duration::from_secs(30 * 86_400) {
            return Err(ErrorKind::InvalidConfig {
                what: "margin: at most 30 days",
            }
            .into());
        }
        check_bound(margin, self.reload_bound)?;
        self.margin = margin;
        self.touch();
        Ok(())
    }

    /// Record the fleet's reload bound (whole seconds): the longest time
    /// from a document's publication to the last instance of the fleet
    /// holding it, that is the instances' reload interval plus any cache
    /// of the secret store in front of them (a Kubernetes Secret volume
    /// adds the kubelet's sync period, about a minute).
    ///
    /// A next key is then promoted no sooner than this after it joined the
    /// ring (so every instance verifies its tokens before any instance
    /// signs with it), and the margin may not be set below it (so every
    /// instance has stopped signing with a demoted key before the horizon
    /// counts down its last tokens).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidDuration`] with fractions of a second,
    /// [`ErrorKind::InvalidConfig`] past 30 days,
    /// [`ErrorKind::MarginBelowReloadBound`] above the margin.
    pub fn set_reload_bound(&mut self, bound: Duration) -> Result<(), Error> {
        whole_secs(bound, "reload_bound")?;
        if bound > Duration::from_secs(30 * 86_400) {
            return Err(ErrorKind::InvalidConfig {
                what: "reload_bound: at most 30 days",
            }
            .into());
        }
        check_bound(self.margin, Some(bound))?;
        self.reload_bound = Some(bound);
        self.touch();
        Ok(())
    }

    /// The fleet's reload bound, when one was recorded
    /// ([`set_reload_bound`](Self::set_reload_bound)).
    pub fn reload_bound(&self) -> Option<Duration> {
        self.reload_bound
    }

    /// The document's serial number: 0 for a ring never changed since it
    /// started (or written before rings had serials), raised by one by
    /// every change. A [`ReloadingKeyring`](crate::ReloadingKeyring)
    /// refuses a document whose serial is lower than the one it holds.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Raise the serial above `serial` (the one a fleet holds): how a
    /// rollback is published. Reloading instances refuse a document older
    /// than theirs, so a restored earlier version (`ring.json.prev`, a
    /// secret store's version before) goes out as a new change.
    pub fn supersede(&mut self, serial: u64) {
        self.serial = self.serial.max(serial);
        self.touch();
    }

    fn touch(&mut self) {
        self.serial = self.serial.saturating_add(1);
    }

    /// Set the minimum age of a next key before promotion (whole seconds).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidDuration`] with fractions of a second,
    /// [`ErrorKind::InvalidConfig`] past 30 days.
    pub fn set_min_age(&mut self, min_age: Duration) -> Result<(), Error> {
        whole_secs(min_age, "min_age")?;
        if min_age > Duration::from_secs(30 * 86_400) {
            return Err(ErrorKind::InvalidConfig {
                what: "min_age: at most 30 days",
            }
            .into());
        }
        self.min_age = min_age;
        self.touch();
        Ok(())
    }

    /// The maximum token lifetime.
    pub fn max_token_lifetime(&self) -> Duration {
        self.max_token_lifetime
    }

    /// The propagation margin.
    pub fn margin(&self) -> Duration {
        self.margin
    }

    /// The minimum age for promotion.
    pub fn min_age(&self) -> Duration {
        self.min_age
    }

    /// Every key's id, state and times, in the document's order.
    pub fn keys(&self) -> Vec<KeyEntry> {
        self.slots.iter().map(|s| s.entry).collect()
    }

    /// The key with this id, if the ring holds it.
    pub fn key(&self, kid: &KeyId) -> Option<KeyEntry> {
        self.slot(kid).map(|s| s.entry)
    }

    fn slot(&self, kid: &KeyId) -> Option<&Slot> {
        self.slots.iter().find(|s| s.entry.kid == *kid)
    }

    fn in_state(&self, state: KeyState) -> Option<&Slot> {
        self.slots.iter().find(|s| s.entry.state == state)
    }

    /// The current key.
    pub fn current(&self) -> KeyEntry {
        // The invariant (exactly one current) holds from construction on.
        self.in_state(KeyState::Current)
            .map(|s| s.entry)
            .expect("a keyring always has a current key")
    }

    /// The next key, if there is one.
    pub fn next(&self) -> Option<KeyEntry> {
        self.in_state(KeyState::Next).map(|s| s.entry)
    }

    /// A [`TokenSource`] with the current key that keeps the ring's maximum
    /// token lifetime on every mint. Cheap (it shares the key); take a new
    /// one after every reload or promotion.
    pub fn signer(&self) -> KeyringSigner {
        let slot = self
            .in_state(KeyState::Current)
            .expect("a keyring always has a current key");
        KeyringSigner {
            signer: slot.signer.clone(),
            max_lifetime: secs(self.max_token_lifetime),
        }
    }

    /// A verifier that accepts a token of any key of the ring, the key
    /// chosen by the token's `kid` ([`Verifier::from_keys`]): a kid the
    /// ring does not hold is [`ErrorKind::UnknownKey`].
    pub fn verifier(&self) -> Verifier {
        Verifier::from_keys(
            self.slots
                .iter()
                .map(|s| s.signer.key().public_key().clone()),
        )
        .expect("a ring's keys each have a kid, and no two the same")
    }

    /// Add a saved create-key result as the next key, as of `now`.
    ///
    /// # Errors
    /// [`ErrorKind::NextKeyExists`] when the ring has one already,
    /// [`ErrorKind::KeyringKeyUnusable`] when the key does not load,
    /// [`ErrorKind::InvalidKeyring`] when its kid is in the ring already.
    pub fn add_next_at(&mut self, now: OffsetDateTime, key_json: &str) -> Result<KeyId, Error> {
        if let Some(next) = self.next() {
            return Err(ErrorKind::NextKeyExists {
                kid: next.kid.to_string(),
            }
            .into());
        }
        let key = load_key(key_json, self.slots.len())?;
        let kid = *key.kid();
        if self.slot(&kid).is_some() {
            return Err(ErrorKind::InvalidKeyring {
                reason: "a key id appears twice",
            }
            .into());
        }
        self.slots.push(Slot {
            entry: KeyEntry {
                kid,
                state: KeyState::Next,
                created_at: now,
                promoted_at: None,
                demoted_at: None,
            },
            signer: Signer::new(key),
            raw: Zeroizing::new(key_json.trim().to_owned()),
        });
        self.touch();
        Ok(kid)
    }

    /// When the next key may be promoted: created at + the minimum age,
    /// or + the [reload bound](Self::reload_bound) when that is longer.
    pub fn promotable_from(&self) -> Option<OffsetDateTime> {
        self.next()
            .and_then(|n| add(n.created_at, self.promotion_wait()).ok())
    }

    /// The least age of a next key at promotion: the minimum age, or the
    /// reload bound when that is longer.
    fn promotion_wait(&self) -> Duration {
        self.reload_bound
            .map_or(self.min_age, |b| b.max(self.min_age))
    }

    /// Promote the next key as of `now`: it becomes current, and the
    /// current key becomes previous (demoted at `now`). Returns the new
    /// current key's id.
    ///
    /// # Errors
    /// [`ErrorKind::NoNextKey`], or [`ErrorKind::KeyTooYoung`] before the
    /// minimum age or, when it is longer, the reload bound.
    pub fn promote_at(&mut self, now: OffsetDateTime) -> Result<KeyId, Error> {
        let next = self.next().ok_or(ErrorKind::NoNextKey)?;
        let ready = add(next.created_at, self.promotion_wait())?;
        if now < ready {
            return Err(ErrorKind::KeyTooYoung {
                kid: next.kid.to_string(),
                ready_at: ready.unix_timestamp(),
            }
            .into());
        }
        self.force_promote(now);
        Ok(next.kid)
    }

    fn force_promote(&mut self, now: OffsetDateTime) {
        self.touch();
        for slot in &mut self.slots {
            match slot.entry.state {
                KeyState::Current => {
                    slot.entry.state = KeyState::Previous;
                    slot.entry.demoted_at = Some(now);
                }
                KeyState::Next => {
                    slot.entry.state = KeyState::Current;
                    slot.entry.promoted_at = Some(now);
                }
                KeyState::Previous => {}
            }
        }
    }

    /// The retirement horizon of a previous key: demoted at + the maximum
    /// token lifetime + the margin, and never before
    /// [`old_tokens_expire_by`](Self::old_tokens_expire_by) + the margin
    /// (tokens signed under a longer lifetime than today's). `None` for a
    /// key that is not previous.
    pub fn horizon(&self, kid: &KeyId) -> Option<OffsetDateTime> {
        let entry = self.slot(kid)?.entry;
        let demoted = entry
            .demoted_at
            .filter(|_| entry.state == KeyState::Previous)?;
        let last = add(demoted, self.max_token_lifetime).ok()?;
        let last = self.old_tokens_expire_by.map_or(last, |t| t.max(last));
        add(last, self.margin).ok()
    }

    /// The previous keys past their horizon at `now`: safe to delete at
    /// Cloudflare.
    pub fn retirable_at(&self, now: OffsetDateTime) -> Vec<KeyId> {
        self.slots
            .iter()
            .filter(|s| self.horizon(&s.entry.kid).is_some_and(|h| now >= h))
            .map(|s| s.entry.kid)
            .collect()
    }

    /// Remove a previous key past its horizon from the ring (after deleting
    /// it at Cloudflare, or before: either way its tokens have expired).
    ///
    /// # Errors
    /// [`ErrorKind::NotInKeyring`] for a key that is not previous, and
    /// [`ErrorKind::RetireTooEarly`] before its horizon.
    pub fn retire_at(&mut self, now: OffsetDateTime, kid: &KeyId) -> Result<(), Error> {
        let horizon = self.horizon(kid).ok_or_else(|| ErrorKind::NotInKeyring {
            kid: kid.to_string(),
        })?;
        if now < horizon {
            return Err(ErrorKind::RetireTooEarly {
                kid: kid.to_string(),
                safe_at: horizon.unix_timestamp(),
            }
            .into());
        }
        self.slots.retain(|s| s.entry.kid != *kid);
        self.touch();
        Ok(())
    }

    /// Remove a leaked key at once, whatever its state, as of `now`. When it
    /// is the current key the next key is promoted, its minimum age
    /// notwithstanding. Returns the current key's id afterwards. Delete the
    /// key at Cloudflare right after saving the ring: its tokens stop
    /// playing then.
    ///
    /// # Errors
    /// [`ErrorKind::NotInKeyring`], or [`ErrorKind::LastSigningKey`] for the
    /// current key when there is no next key.
    pub fn revoke_at(&mut self, now: OffsetDateTime, kid: &KeyId) -> Result<KeyId, Error> {
        let entry = self
            .slot(kid)
            .ok_or_else(|| ErrorKind::NotInKeyring {
                kid: kid.to_string(),
            })?
            .entry;
        if entry.state == KeyState::Current {
            if self.next().is_none() {
                return Err(ErrorKind::LastSigningKey {
                    kid: kid.to_string(),
                }
                .into());
            }
            self.force_promote(now);
        }
        self.slots.retain(|s| s.entry.kid != *kid);
        self.touch();
        Ok(self.current().kid)
    }

    /// The ring against the ids of the keys Cloudflare lists.
    pub fn reconcile(&self, remote: &[KeyId]) -> Reconciliation {
        let orphans = remote
            .iter()
            .filter(|id| self.slot(id).is_none())
            .copied()
            .collect();
        let missing = self
            .slots
            .iter()
            .map(|s| s.entry.kid)
            .filter(|kid| !remote.contains(kid))
            .collect();
        Reconciliation {
            orphans,
            missing,
            remote_count: remote.len(),
        }
    }

    /// The public halves as a JWKS document, `{"keys":[…]}`, in the ring's
    /// order, for services that verify elsewhere.
    pub fn to_jwks_json(&self) -> String {
        let keys: Vec<String> = self
            .slots
            .iter()
            .map(|s| s.signer.key().public_key().to_jwk_json())
            .collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(","))
    }

    /// Read a keyring document (see [the document](Keyring#the-document)): every key is
    /// loaded and checked, and the invariants hold (schema version 1,
    /// exactly one current key, at most one next key, unique kids, a
    /// `promoted_at` on the current key and a `demoted_at` on every
    /// previous one).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidKeyring`] (which never quotes the document) and
    /// [`ErrorKind::KeyringKeyUnusable`].
    pub fn from_document(json: &str) -> Result<Keyring, Error> {
        let bad = |reason| Error::from(ErrorKind::InvalidKeyring { reason });
        // serde's messages can quote the input: none is kept.
        let doc: DocIn<'_> = serde_json::from_str(json)
            .map_err(|_| bad("not a keyring document (JSON of schema version 1)"))?;
        if doc.version != VERSION {
            return Err(bad("unsupported schema version (this crate reads 1)"));
        }
        let mut ring = Keyring {
            max_token_lifetime: MAX_LIFETIME,
            margin: Keyring::DEFAULT_MARGIN,
            min_age: Keyring::DEFAULT_MIN_AGE,
            old_tokens_expire_by: None,
            account_id: None,
            reload_bound: None,
            serial: 0,
            slots: Vec::with_capacity(doc.keys.len()),
        };
        if let Some(a) = doc.account_id {
            ring.account_id =
                Some(AccountId::new(a).map_err(|_| bad("account_id is not an account id"))?);
        }
        ring.set_max_token_lifetime(Duration::from_secs(doc.max_token_lifetime))
            .map_err(|_| bad("max_token_lifetime must be 1 to 86400 seconds"))?;
        if let Some(m) = doc.margin {
            ring.set_margin(Duration::from_secs(m))
                .map_err(|_| bad("margin must be at most 30 days"))?;
        }
        if let Some(m) = doc.min_age {
            ring.set_min_age(Duration::from_secs(m))
                .map_err(|_| bad("min_age must be at most 30 days"))?;
        }
        if let Some(b) = doc.reload_bound {
            ring.set_reload_bound(Duration::from_secs(b))
                .map_err(|_| bad("reload_bound must be at most 30 days and the margin"))?;
        }
        ring.old_tokens_expire_by = doc
            .old_tokens_expire_by
            .map(|t| OffsetDateTime::parse(t, &Rfc3339))
            .transpose()
            .map_err(|_| bad("old_tokens_expire_by is not an RFC 3339 date-time"))?;
        let time = |t: Option<&str>| -> Result<Option<OffsetDateTime>, Error> {
            t.map(|t| OffsetDateTime::parse(t, &Rfc3339))
                .transpose()
                .map_err(|_| bad("a key's time is not an RFC 3339 date-time"))
        };
        for (index, k) in doc.keys.iter().enumerate() {
            let state = KeyState::parse(k.state)
                .ok_or_else(|| bad("a key's state is not next, current or previous"))?;
            let created_at = time(Some(k.created_at))?.expect("given");
            let promoted_at = time(k.promoted_at)?;
            let demoted_at = time(k.demoted_at)?;
            match state {
                KeyState::Current if promoted_at.is_none() => {
                    return Err(bad("the current key has no promoted_at"));
                }
                KeyState::Previous if demoted_at.is_none() => {
                    return Err(bad("a previous key has no demoted_at"));
                }
                _ => {}
            }
            let raw = Zeroizing::new(k.key.get().to_owned());
            let key = load_key(&raw, index)?;
            if ring.slot(key.kid()).is_some() {
                return Err(bad("a key id appears twice"));
            }
            ring.slots.push(Slot {
                entry: KeyEntry {
                    kid: *key.kid(),
                    state,
                    created_at,
                    promoted_at,
                    demoted_at,
                },
                signer: Signer::new(key),
                raw,
            });
        }
        let count = |st| ring.slots.iter().filter(|s| s.entry.state == st).count();
        if count(KeyState::Current) != 1 {
            return Err(bad("a keyring needs exactly one current key"));
        }
        if count(KeyState::Next) > 1 {
            return Err(bad("a keyring holds at most one next key"));
        }
        // Last: the setters above count as changes.
        ring.serial = doc.serial.unwrap_or(0);
        Ok(ring)
    }

    /// Read a keyring file: at most [`KEYRING_FILE_LIMIT`] bytes of UTF-8
    /// holding a document, read as [`from_document`](Self::from_document)
    /// reads it (feature `api`, whose `files` module reads it).
    ///
    /// # Errors
    /// [`ErrorKind::KeyringFileUnreadable`],
    /// [`ErrorKind::KeyringFileTooLarge`], [`ErrorKind::InvalidKeyring`]
    /// for a file that is not UTF-8, and those of
    /// [`from_document`](Self::from_document).
    #[cfg(feature = "api")]
    #[cfg_attr(docsrs, doc(cfg(feature = "api")))]
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Keyring, Error> {
        let bytes =
            crate::files::read_bounded(path, KEYRING_FILE_LIMIT).map_err(|e| match e.kind() {
                std::io::ErrorKind::FileTooLarge => Error::from(ErrorKind::KeyringFileTooLarge),
                io => ErrorKind::KeyringFileUnreadable { io }.into(),
            })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ErrorKind::InvalidKeyring {
            reason: "the file is not UTF-8",
        })?;
        Self::from_document(text)
    }

    /// Read the document from `CF_STREAM_KEYRING`, which holds the document
    /// itself (not a path: a secret store injects values), or from the file
    /// `CF_STREAM_KEYRING_FILE` names (the Docker and Kubernetes secrets
    /// convention; at most [`KEYRING_FILE_LIMIT`] bytes of UTF-8).
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`] when neither is set (or both are
    /// blank); [`ErrorKind::ConflictingConfig`] when both are;
    /// [`ErrorKind::KeyringFileUnreadable`],
    /// [`ErrorKind::KeyringFileTooLarge`] and [`ErrorKind::InvalidKeyring`]
    /// (not UTF-8) for the file; else as
    /// [`from_document`](Self::from_document).
    pub fn from_env() -> Result<Keyring, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the environment given as a
    /// function, for tests and for configuration read elsewhere.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Keyring, Error> {
        let value = Zeroizing::new(var(KEYRING_ENV).unwrap_or_default());
        let file = var(KEYRING_FILE_ENV).filter(|f| !f.trim().is_empty());
        match (value.trim().is_empty(), file) {
            (false, Some(_)) => Err(ErrorKind::ConflictingConfig {
                first: KEYRING_ENV,
                second: KEYRING_FILE_ENV,
            }
            .into()),
            (false, None) => Self::from_document(&value),
            (true, Some(path)) => {
                let bytes = crate::key::read_secret_file(
                    std::path::Path::new(path.trim()),
                    KEYRING_FILE_LIMIT,
                )
                .map_err(|e| match e {
                    SecretFileError::TooLarge => Error::from(ErrorKind::KeyringFileTooLarge),
                    SecretFileError::Io(io) => ErrorKind::KeyringFileUnreadable { io }.into(),
                })?;
                let text = std::str::from_utf8(&bytes).map_err(|_| ErrorKind::InvalidKeyring {
                    reason: "the file is not UTF-8",
                })?;
                Self::from_document(text)
            }
            (true, None) => Err(ErrorKind::MissingConfig { name: KEYRING_ENV }.into()),
        }
    }

    /// The document, keys included exactly as they were read: **contains
    /// every private key**; store it as a secret.
    ///
    /// # Errors
    /// [`ErrorKind::TimeOutOfRange`] for a time RFC 3339 cannot show.
    pub fn secret_document(&self) -> Result<Zeroizing<String>, Error> {
        let fmt = |t: Option<OffsetDateTime>| -> Result<Option<String>, Error> {
            t.map(crate::clock::rfc3339).transpose()
        };
        let mut keys = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            let key: &RawValue =
                serde_json::from_str(&s.raw).map_err(|_| ErrorKind::InvalidKeyring {
                    reason: "a key is not JSON",
                })?;
            keys.push(EntryOut {
                state: s.entry.state.as_str(),
                created_at: fmt(Some(s.entry.created_at))?.expect("given"),
                promoted_at: fmt(s.entry.promoted_at)?,
                demoted_at: fmt(s.entry.demoted_at)?,
                key,
            });
        }
        let doc = DocOut {
            version: VERSION,
            serial: self.serial,
            reload_bound: self.reload_bound.map(|b| b.as_secs()),
            account_id: self.account_id.as_ref().map(AccountId::as_str),
            max_token_lifetime: self.max_token_lifetime.as_secs(),
            margin: self.margin.as_secs(),
            min_age: self.min_age.as_secs(),
            old_tokens_expire_by: fmt(self.old_tokens_expire_by)?,
            keys,
        };
        // Sized generously up front so that the buffer rarely grows (a
        // growth leaves an unzeroized copy behind).
        let size = 512 + self.slots.iter().map(|s| s.raw.len() + 256).sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(size * 2));
        serde_json::to_writer(&mut *out, &doc).map_err(|_| ErrorKind::InvalidKeyring {
            reason: "the document cannot be written",
        })?;
        let text = String::from_utf8(std::mem::take(&mut *out)).map_err(|_| {
            ErrorKind::InvalidKeyring {
                reason: "the document cannot be written",
            }
        })?;
        Ok(Zeroizing::new(text))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocIn<'a> {
    version: u32,
    #[serde(default)]
    serial: Option<u64>,
    #[serde(default)]
    reload_bound: Option<u64>,
    #[serde(default)]
    account_id: Option<&'a str>,
    max_token_lifetime: u64,
    #[serde(default)]
    old_tokens_expire_by: Option<&'a str>,
    #[serde(default)]
    margin: Option<u64>,
    #[serde(default)]
    min_age: Option<u64>,
    #[serde(borrow)]
    keys: Vec<EntryIn<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn<'a> {
    state: &'a str,
    created_at: &'a str,
    #[serde(default)]
    promoted_at: Option<&'a str>,
    #[serde(default)]
    demoted_at: Option<&'a str>,
    #[serde(borrow)]
    key: &'a RawValue,
}

#[derive(Serialize)]
struct DocOut<'a> {
    version: u32,
    #[serde(skip_serializing_if = "is_zero")]
    serial: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reload_bound: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    max_token_lifetime: u64,
    margin: u64,
    min_age: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_tokens_expire_by: Option<String>,
    keys: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    state: &'static str,
    created_at: String,
    promoted_at: Option<String>,
    demoted_at: Option<String>,
    key: &'a RawValue,
}

/// Signs with a ring's current key and keeps the ring's maximum token
/// lifetime itself: every mint, through [`KeyringSigner::mint_at`] or the
/// [`TokenSource`] it is, refuses a token that would outlive the ring, and
/// no accessor hands out the unchecked signer underneath. `Clone` shares the
/// key.
#[derive(Clone)]
pub struct KeyringSigner {
    signer: Signer,
    max_lifetime: i64,
}

impl fmt::Debug for KeyringSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringSigner")
            .field("kid", &self.signer.kid().as_str())
            .field("max_lifetime_secs", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl KeyringSigner {
    /// The current key's id.
    pub fn kid(&self) -> &KeyId {
        self.signer.kid()
    }

    /// The ring's maximum token lifetime, which every mint keeps.
    pub fn max_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.max_lifetime.unsigned_abs())
    }

    /// Mint as [`Signer::mint_at`] does, refusing a token that would
    /// outlive the ring's maximum token lifetime.
    ///
    /// # Errors
    /// [`ErrorKind::TokenOutlivesRing`], and those of [`Signer::mint_at`].
    pub fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        self.check_at(now, opts)?;
        self.signer.mint_at(now, video, opts)
    }

    /// The ring's cap, as of `now`: the options' `exp` at most the maximum
    /// token lifetime after `now`.
    fn check_at(&self, now: OffsetDateTime, opts: &TokenOptions) -> Result<(), Error> {
        let times = opts.resolve_at(now)?;
        let max = now
            .unix_timestamp()
            .checked_add(self.max_lifetime)
            .ok_or(ErrorKind::TimeOutOfRange)?;
        if times.exp > max {
            return Err(ErrorKind::TokenOutlivesRing {
                exp: times.exp,
                max,
            }
            .into());
        }
        Ok(())
    }

    /// Mint as of the system clock.
    ///
    /// # Errors
    /// As [`mint_at`](Self::mint_at).
    pub fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts)
    }
}

impl TokenSource for KeyringSigner {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        KeyringSigner::mint_at(self, now, video, opts)
    }
}

/// A ring against Cloudflare's list of keys: what
/// [`Keyring::reconcile`] finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    orphans: Vec<KeyId>,
    missing: Vec<KeyId>,
    remote_count: usize,
}

impl Reconciliation {
    /// Keys at Cloudflare that the ring does not hold: their private half
    /// is lost here, they can never sign for this ring, and they count
    /// toward the cap. Deleting them is safe for this ring.
    pub fn orphans(&self) -> &[KeyId] {
        &self.orphans
    }

    /// Keys of the ring that Cloudflare does not list: deleted behind the
    /// ring's back; their tokens do not play.
    pub fn missing(&self) -> &[KeyId] {
        &self.missing
    }

    /// How many keys Cloudflare lists.
    pub fn remote_count(&self) -> usize {
        self.remote_count
    }

    /// How many more keys the account can hold ([`ACCOUNT_KEY_CAP`] less
    /// those listed).
    pub fn headroom(&self) -> usize {
        ACCOUNT_KEY_CAP.saturating_sub(self.remote_count)
    }
}
