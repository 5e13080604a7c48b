//! Everything the emulator remembers, behind one lock.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::ratelimit::RateLimiter;
use super::{Fault, LoggedRequest, Route};
use crate::error::{Error, ErrorKind};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::{PublicKey, SigningKey};
use crate::rules::CountryCode;
use crate::verify::Verifier;

/// The request log keeps this many entries, the newest.
const LOG_CAP: usize = 10_000;

/// The earliest instant the clock may show: 1970-01-01T00:00:00Z.
pub(crate) const CLOCK_MIN: i64 = 0;
/// The latest instant the clock may show: 9999-12-31T23:59:59Z, the last
/// second `time` represents (without its `large-dates` feature).
pub(crate) const CLOCK_MAX: i64 = 253_402_300_799;

/// Whether the clock may show `unix`.
pub(crate) fn clock_in_range(unix: i64) -> bool {
    (CLOCK_MIN..=CLOCK_MAX).contains(&unix)
}

/// A change through the handle or the control API whose state file could
/// not be written: undone, and this error returned.
fn state_file_unwritable() -> Error {
    ErrorKind::InvalidConfig {
        what: "the emulator could not write its state file (the change was undone)",
    }
    .into()
}

fn clock_out_of_range() -> Error {
    ErrorKind::TimeOutOfRange.into()
}

/// Random lower-case hex of `bytes` random bytes.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).expect("the system RNG works");
    hex(&buf)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One accepted credential and what it may do.
pub(crate) struct Credential {
    pub(crate) form: CredentialForm,
    /// "Stream Write" (every endpoint) or only "Stream Read" (list).
    pub(crate) write: bool,
}

pub(crate) enum CredentialForm {
    Token(Zeroizing<String>),
    Global {
        email: String,
        key: Zeroizing<String>,
    },
}

impl Credential {
    pub(crate) fn token(token: String, write: bool) -> Self {
        Credential {
            form: CredentialForm::Token(Zeroizing::new(token)),
            write,
        }
    }

    pub(crate) fn global(email: String, key: String) -> Self {
        Credential {
            form: CredentialForm::Global {
                email,
                key: Zeroizing::new(key),
            },
            write: true,
        }
    }

    /// The part of this credential that is empty (or only white space),
    /// if any: such a credential would match a request that sends an
    /// empty header.
    pub(crate) fn empty_part(&self) -> Option<&'static str> {
        match &self.form {
            CredentialForm::Token(t) if t.trim().is_empty() => Some("an API token"),
            CredentialForm::Global { email, .. } if email.trim().is_empty() => Some("an email"),
            CredentialForm::Global { key, .. } if key.trim().is_empty() => Some("a global API key"),
            _ => None,
        }
    }

    pub(crate) fn write_token(&self) -> Option<&str> {
        match &self.form {
            CredentialForm::Token(t) if self.write => Some(t.as_str()),
            _ => None,
        }
    }
}

/// Settings fixed at start.
pub(crate) struct Config {
    pub(crate) rate_limit: u32,
    pub(crate) rate_window_secs: u64,
    pub(crate) max_keys: usize,
    pub(crate) state_file: Option<PathBuf>,
}

/// A key the edge knows: live, revoked, or the emulator's own.
pub(crate) struct KeyEntry {
    pub(crate) account: AccountId,
    pub(crate) created: i64,
    pub(crate) public: PublicKey,
    pub(crate) verifier: Arc<Verifier>,
    /// Tokens signed with it play from this instant (creation plus the
    /// activation delay then in force).
    pub(crate) plays_from: i64,
    pub(crate) revoked: bool,
    /// The emulator's own token-endpoint key (never listed).
    pub(crate) own: bool,
}

impl KeyEntry {
    /// The one way a key entry is made: live, with a verifier of its
    /// public half. `own` for the emulator's own token-endpoint key.
    pub(crate) fn new(
        account: AccountId,
        public: PublicKey,
        created: i64,
        plays_from: i64,
        own: bool,
    ) -> Self {
        KeyEntry {
            account,
            created,
            verifier: Arc::new(Verifier::new(public.clone())),
            public,
            plays_from,
            revoked: false,
            own,
        }
    }
}

/// The emulator's own key for an account's token endpoint.
pub(crate) struct OwnKey {
    pub(crate) key: SigningKey,
    /// Its private JWK, for the state file only.
    pub(crate) jwk_json: Zeroizing<String>,
}

#[derive(Default)]
pub(crate) struct Account {
    /// Live API keys, in creation order (what list answers).
    pub(crate) listed: Vec<KeyId>,
    pub(crate) own_key: Option<Arc<OwnKey>>,
}

#[derive(Clone, Copy)]
pub(crate) struct VideoEntry {
    pub(crate) account: AccountId,
    pub(crate) public: bool,
}

/// Who a request from a loopback address is, when it sends no
/// `CF-Connecting-IP` / `CF-IPCountry` (a browser cannot send them): set
/// through the control API; `None` is the TCP peer, and `XX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LoopbackViewer {
    pub(crate) ip: Option<IpAddr>,
    pub(crate) country: Option<CountryCode>,
}

/// The emulator's clock: the system clock plus an offset, or stopped.
#[derive(Clone, Copy)]
pub(crate) enum Clock {
    Running { offset: i64 },
    Stopped(i64),
}

impl Clock {
    fn now(self) -> i64 {
        match self {
            Clock::Running { offset } => crate::clock::system_now()
                .unix_timestamp()
                .saturating_add(offset),
            Clock::Stopped(t) => t,
        }
    }
}

pub(crate) struct State {
    pub(crate) clock: Clock,
    pub(crate) accounts: HashMap<AccountId, Account>,
    pub(crate) keys: HashMap<KeyId, KeyEntry>,
    pub(crate) videos: HashMap<VideoId, VideoEntry>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) log: VecDeque<LoggedRequest>,
    pub(crate) key_delay: i64,
    pub(crate) check_24h: bool,
    pub(crate) limiter: RateLimiter,
    pub(crate) loopback: LoopbackViewer,
}

impl State {
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The clock's now as a time, or `None` when it is outside the clock's
    /// range (a running clock whose system clock went past it): whoever
    /// asks must then refuse, never fall back to another instant.
    pub(crate) fn now_at(&self) -> Option<(i64, OffsetDateTime)> {
        let now = self.now();
        if !clock_in_range(now) {
            return None;
        }
        OffsetDateTime::from_unix_timestamp(now)
            .ok()
            .map(|t| (now, t))
    }

    /// Take the next fault for `route`, counting it down.
    pub(crate) fn take_fault(&mut self, route: Route) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.route == route && f.times > 0)?;
        let fault = self.faults[i].clone();
        self.faults[i].times -= 1;
        if self.faults[i].times == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }

    pub(crate) fn add_key(&mut self, account: AccountId, entry: KeyEntry, listed: bool) {
        let kid = *entry.public.kid().expect("emulator keys carry a kid");
        self.keys.insert(kid, entry);
        let acct = self.accounts.entry(account).or_default();
        if listed {
            acct.listed.push(kid);
        }
    }
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) credentials: Vec<Credential>,
    pub(crate) config: Config,
    initial_check_24h: bool,
    initial_key_delay: i64,
    initial_clock: Clock,
    state: Mutex<State>,
    /// Serialises state-file writes, so that a later snapshot never loses
    /// to an earlier one.
    pub(crate) persist_lock: Mutex<()>,
}

impl Shared {
    pub(crate) fn new(
        credentials: Vec<Credential>,
        config: Config,
        check_24h: bool,
        key_delay: i64,
        now: Option<i64>,
    ) -> Self {
        let clock = match now {
            Some(t) => Clock::Stopped(t),
            None => Clock::Running { offset: 0 },
        };
        let limiter = RateLimiter::new(config.rate_limit, config.rate_window_secs);
        Shared {
            credentials,
            config,
            initial_check_24h: check_24h,
            initial_key_delay: key_delay,
            initial_clock: clock,
            state: Mutex::new(State {
                clock,
                accounts: HashMap::new(),
                keys: HashMap::new(),
                videos: HashMap::new(),
                faults: Vec::new(),
                log: VecDeque::new(),
                key_delay,
                check_24h,
                limiter,
                loopback: LoopbackViewer::default(),
            }),
            persist_lock: Mutex::new(()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> i64 {
        self.lock().now()
    }

    /// Stop the clock at `now`.
    ///
    /// # Errors
    /// [`ErrorKind::TimeOutOfRange`] outside [`CLOCK_MIN`]..=[`CLOCK_MAX`].
    pub(crate) fn set_now(&self, now: i64) -> Result<(), Error> {
        if !clock_in_range(now) {
            return Err(clock_out_of_range());
        }
        self.lock().clock = Clock::Stopped(now);
        Ok(())
    }

    /// Move the clock by `secs` (back, when negative).
    ///
    /// # Errors
    /// [`ErrorKind::TimeOutOfRange`] when the result would leave
    /// [`CLOCK_MIN`]..=[`CLOCK_MAX`] or the arithmetic overflows; the clock
    /// is then unchanged.
    pub(crate) fn advance(&self, secs: i64) -> Result<(), Error> {
        let mut st = self.lock();
        let moved = st
            .now()
            .checked_add(secs)
            .filter(|t| clock_in_range(*t))
            .ok_or_else(clock_out_of_range)?;
        st.clock = match st.clock {
            Clock::Running { offset } => Clock::Running {
                offset: offset.checked_add(secs).ok_or_else(clock_out_of_range)?,
            },
            Clock::Stopped(_) => Clock::Stopped(moved),
        };
        Ok(())
    }

    pub(crate) fn add_fault(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().faults.push(fault);
        }
    }

    pub(crate) fn faults(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub(crate) fn set_key_delay(&self, secs: i64) {
        self.lock().key_delay = secs;
    }

    pub(crate) fn set_loopback_viewer(&self, viewer: LoopbackViewer) {
        self.lock().loopback = viewer;
    }

    pub(crate) fn loopback_viewer(&self) -> LoopbackViewer {
        self.lock().loopback
    }

    pub(crate) fn set_check_24h(&self, on: bool) {
        self.lock().check_24h = on;
    }

    pub(crate) fn register_video(
        &self,
        account: AccountId,
        video: VideoId,
        public: bool,
    ) -> Result<(), Error> {
        let before = {
            let mut st = self.lock();
            if let Some(existing) = st.videos.get(&video)
                && existing.account != account
            {
                return Err(ErrorKind::InvalidConfig {
                    what: "the video belongs to another account",
                }
                .into());
            }
            st.videos.insert(video, VideoEntry { account, public })
        };
        if self.persist().is_err() {
            // As the API does: what could not be saved did not happen.
            let mut st = self.lock();
            match before {
                Some(entry) => st.videos.insert(video, entry),
                None => st.videos.remove(&video),
            };
            return Err(state_file_unwritable());
        }
        Ok(())
    }

    pub(crate) fn import_public_key(
        &self,
        account: AccountId,
        key: &PublicKey,
    ) -> Result<(), Error> {
        let kid = *key.kid().ok_or(ErrorKind::KeyIdRequired)?;
        {
            let mut st = self.lock();
            if st.keys.contains_key(&kid) {
                return Err(ErrorKind::InvalidConfig {
                    what: "a key with this kid is already known",
                }
                .into());
            }
            let listed = st.accounts.get(&account).map_or(0, |a| a.listed.len());
            if listed >= self.config.max_keys {
                return Err(ErrorKind::InvalidConfig {
                    what: "the account has the most signing keys allowed",
                }
                .into());
            }
            let (now, _) = st.now_at().ok_or_else(clock_out_of_range)?;
            let plays_from = now.saturating_add(st.key_delay);
            let entry = KeyEntry::new(account, key.clone(), now, plays_from, false);
            st.add_key(account, entry, true);
        }
        if self.persist().is_err() {
            self.forget_key(&account, &kid);
            return Err(state_file_unwritable());
        }
        Ok(())
    }

    pub(crate) fn keys(&self, account: &AccountId) -> Vec<KeyId> {
        self.lock()
            .accounts
            .get(account)
            .map(|a| a.listed.clone())
            .unwrap_or_default()
    }

    pub(crate) fn reset(&self) {
        {
            let mut st = self.lock();
            st.clock = self.initial_clock;
            st.accounts.clear();
            st.keys.clear();
            st.videos.clear();
            st.faults.clear();
            st.log.clear();
            st.key_delay = self.initial_key_delay;
            st.check_24h = self.initial_check_24h;
            st.limiter = RateLimiter::new(self.config.rate_limit, self.config.rate_window_secs);
            st.loopback = LoopbackViewer::default();
        }
        let _ = self.persist();
    }

    /// Undo a key's creation whose state could not be saved.
    pub(crate) fn forget_key(&self, account: &AccountId, kid: &KeyId) {
        let mut st = self.lock();
        st.keys.remove(kid);
        if let Some(acct) = st.accounts.get_mut(account) {
            acct.listed.retain(|k| k != kid);
        }
    }

    /// Undo a key's deletion whose state could not be saved: live again, at
    /// its old place in the list.
    pub(crate) fn restore_key(&self, account: &AccountId, kid: &KeyId, position: usize) {
        let mut st = self.lock();
        if let Some(entry) = st.keys.get_mut(kid) {
            entry.revoked = false;
        }
        let acct = st.accounts.entry(*account).or_default();
        if !acct.listed.contains(kid) {
            let at = position.min(acct.listed.len());
            acct.listed.insert(at, *kid);
        }
    }

    /// Undo the making of the emulator's own token-endpoint key for
    /// `account` whose state could not be saved.
    pub(crate) fn forget_own_key(&self, account: &AccountId, kid: &KeyId) {
        let mut st = self.lock();
        st.keys.remove(kid);
        if let Some(acct) = st.accounts.get_mut(account)
            && acct.own_key.as_ref().is_some_and(|k| k.key.kid() == kid)
        {
            acct.own_key = None;
        }
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.iter().cloned().collect()
    }

    pub(crate) fn log(&self, entry: LoggedRequest) {
        let mut st = self.lock();
        if st.log.len() == LOG_CAP {
            st.log.pop_front();
        }
        st.log.push_back(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(now: i64) -> Shared {
        Shared::new(
            Vec::new(),
            Config {
                rate_limit: 1,
                rate_window_secs: 1,
                max_keys: 1,
                state_file: None,
            },
            true,
            0,
            Some(now),
        )
    }

    #[test]
    fn the_clock_stays_in_range_and_refuses_to_leave_it() {
        let s = shared(CLOCK_MAX);
        assert_eq!(s.lock().now_at().map(|t| t.0), Some(CLOCK_MAX));
        let kind = |r: Result<(), Error>| r.unwrap_err().kind().clone();
        assert_eq!(kind(s.advance(1)), ErrorKind::TimeOutOfRange);
        assert_eq!(kind(s.advance(i64::MAX)), ErrorKind::TimeOutOfRange);
        assert_eq!(kind(s.set_now(CLOCK_MAX + 1)), ErrorKind::TimeOutOfRange);
        assert_eq!(kind(s.set_now(CLOCK_MIN - 1)), ErrorKind::TimeOutOfRange);
        assert_eq!(kind(s.set_now(i64::MIN)), ErrorKind::TimeOutOfRange);
        assert_eq!(s.now(), CLOCK_MAX);
        s.advance(-CLOCK_MAX).unwrap();
        assert_eq!(s.now(), CLOCK_MIN);
        assert_eq!(kind(s.advance(-1)), ErrorKind::TimeOutOfRange);
        assert_eq!(kind(s.advance(i64::MIN)), ErrorKind::TimeOutOfRange);
        s.set_now(CLOCK_MIN).unwrap();
        assert_eq!(s.lock().now_at().map(|t| t.0), Some(CLOCK_MIN));

        // A running clock moves by an offset, checked the same way.
        let running = shared(0);
        running.lock().clock = Clock::Running { offset: 0 };
        assert_eq!(kind(running.advance(CLOCK_MAX)), ErrorKind::TimeOutOfRange);
        running.advance(60).unwrap();
        assert!(matches!(
            running.lock().clock,
            Clock::Running { offset: 60 }
        ));

        // Out of range however it got there: no time to compute with.
        for t in [CLOCK_MAX + 1, CLOCK_MIN - 1, i64::MAX, i64::MIN] {
            s.lock().clock = Clock::Stopped(t);
            assert!(s.lock().now_at().is_none(), "{t}");
        }
    }
}
