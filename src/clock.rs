//! The one place the system clock is read (see `clippy.toml`), and the one
//! way a time is written out.

#[cfg(any(not(target_arch = "wasm32"), feature = "webcrypto"))]
use time::OffsetDateTime;
#[cfg(not(target_arch = "wasm32"))]
use time::format_description::well_known::Rfc3339;

#[cfg(not(target_arch = "wasm32"))]
use crate::error::{Error, ErrorKind};

/// `t` in RFC 3339 (`2026-11-22T12:00:00Z` for a whole-second UTC time): the
/// one formatter of every time this crate writes (keyring documents, key
/// listings, the emulator's answers).
///
/// # Errors
/// [`ErrorKind::TimeOutOfRange`] for a time RFC 3339 cannot show (a year
/// outside 0 to 9999).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn rfc3339(t: OffsetDateTime) -> Result<String, Error> {
    t.format(&Rfc3339)
        .map_err(|_| ErrorKind::TimeOutOfRange.into())
}

/// Now, from the system clock. Everything else in the crate takes the time
/// as a parameter so that it can be tested at fixed instants.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_methods)]
pub(crate) fn system_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Now, from the JS runtime's `Date.now()`: on `wasm32-unknown-unknown`
/// `SystemTime::now` (and so `time`'s `now_utc`) panics. In Cloudflare
/// Workers this clock stands still during a request's CPU work and moves
/// only across I/O (a Spectre mitigation), so every token of one request is
/// minted at the same second, the request's start or its last I/O: `exp` is
/// at most 24 hours after that instant, never later than the cap.
#[cfg(all(target_arch = "wasm32", feature = "webcrypto"))]
pub(crate) fn system_now() -> OffsetDateTime {
    let secs = (js_sys::Date::now() / 1000.0).floor();
    // Date.now() is within +-8.64e15 ms of the epoch, inside time's range;
    // the fallback is unreachable but keeps this path free of panics.
    #[allow(clippy::cast_possible_truncation)]
    OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A source of "now" for the API client and the fallback minter, which read
/// the time on their own (token expiries, `Retry-After` dates, cache
/// freshness). Production code uses [`SystemClock`]; tests inject a closure.
///
/// Any `Fn() -> OffsetDateTime + Send + Sync` is a clock:
///
/// ```
/// use cf_stream_token::Clock;
/// use time::macros::datetime;
/// let fixed = || datetime!(2023-11-14 22:13:20 UTC);
/// assert_eq!(fixed.now().unix_timestamp(), 1_700_000_000);
/// ```
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

#[cfg(feature = "api")]
impl<F: Fn() -> OffsetDateTime + Send + Sync> Clock for F {
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// The system clock: the default [`Clock`].
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(feature = "api")]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        system_now()
    }
}
