//! The one place the system clock is read (see `clippy.toml`).

use time::OffsetDateTime;

/// Now, from the system clock. Everything else in the crate takes the time
/// as a parameter so that it can be tested at fixed instants.
#[allow(clippy::disallowed_methods)]
pub(crate) fn system_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
