//! The one freshness rule of both token caches ([`CachingSigner`] and
//! [`FallbackMinter`]'s remote cache), and the settings they share.
//!
//! A cached token is handed out again only while at least a configured share
//! of its lifetime (from the clock it was minted or requested at to its
//! `exp`) remains, and never when it would break the 24-hour cap for the
//! caller's clock: a caller whose clock reads earlier than the one that
//! minted the token must not receive an `exp` more than 24 hours after its
//! own now.
//!
//! [`CachingSigner`]: crate::CachingSigner
//! [`FallbackMinter`]: crate::FallbackMinter

#[cfg(test)]
use crate::claims::MAX_LIFETIME_SECS;
use crate::claims::within_max_lifetime;
use crate::error::{Error, ErrorKind};

/// Default share of a cached token's lifetime that must remain for it to be
/// handed out again (both caches).
pub const DEFAULT_MIN_REMAINING_SHARE: f64 = 0.5;

/// Default bound on the tokens a cache keeps (both caches).
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;

/// A checked `min_remaining_share`: the reuse rule of one cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Freshness {
    share: f64,
}

impl Freshness {
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a share outside (0, 1]: zero would
    /// serve a token until its last second, and over one never.
    pub(crate) fn new(share: f64) -> Result<Self, Error> {
        // Written so that NaN fails too.
        if share > 0.0 && share <= 1.0 {
            Ok(Freshness { share })
        } else {
            Err(ErrorKind::InvalidConfig {
                what: "min_remaining_share must be in (0, 1]",
            }
            .into())
        }
    }

    pub(crate) fn share(self) -> f64 {
        self.share
    }

    /// May a token minted (or requested) at `issued`, expiring at `exp`, be
    /// handed out at `now` (unix seconds)? Only while it has not expired, its
    /// `exp` is at most 24 hours after `now`, and at least the share of its
    /// lifetime remains.
    pub(crate) fn is_fresh(self, issued: i64, exp: i64, now: i64) -> bool {
        if !Self::is_valid(exp, now) {
            return false;
        }
        let lifetime = exp.saturating_sub(issued);
        (exp - now) as f64 >= self.share * lifetime as f64
    }

    /// The part of the rule that holds whatever the share: not expired at
    /// `now`, and `exp` at most 24 hours after it.
    pub(crate) fn is_valid(exp: i64, now: i64) -> bool {
        let remaining = exp.saturating_sub(now);
        remaining > 0 && within_max_lifetime(remaining)
    }
}

/// # Errors
/// [`ErrorKind::InvalidConfig`] for zero entries.
pub(crate) fn check_max_entries(n: u64) -> Result<u64, Error> {
    if n == 0 {
        return Err(ErrorKind::InvalidConfig {
            what: "max_entries must be positive",
        }
        .into());
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(share: f64) -> Option<ErrorKind> {
        Freshness::new(share).err().map(Error::into_kind)
    }

    #[test]
    fn the_share_is_in_zero_exclusive_to_one_inclusive() {
        for bad in [
            0.0,
            -0.0,
            -0.1,
            1.0 + f64::EPSILON,
            1.1,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(
                kind(bad),
                Some(ErrorKind::InvalidConfig {
                    what: "min_remaining_share must be in (0, 1]"
                }),
                "{bad}"
            );
        }
        for good in [f64::MIN_POSITIVE, 0.5, 1.0] {
            assert_eq!(Freshness::new(good).unwrap().share(), good);
        }
        assert_eq!(
            Freshness::new(DEFAULT_MIN_REMAINING_SHARE).unwrap().share(),
            0.5
        );
    }

    #[test]
    fn exactly_the_share_left_is_fresh_one_second_less_is_not() {
        let half = Freshness::new(0.5).unwrap();
        // Issued at 1000, one hour: fresh up to and including 2800.
        assert!(half.is_fresh(1000, 4600, 1000));
        assert!(half.is_fresh(1000, 4600, 2800));
        assert!(!half.is_fresh(1000, 4600, 2801));
        let ninety = Freshness::new(0.9).unwrap();
        assert!(ninety.is_fresh(0, 3600, 360));
        assert!(!ninety.is_fresh(0, 3600, 361));
    }

    #[test]
    fn a_share_of_one_serves_only_in_the_second_it_was_issued() {
        let all = Freshness::new(1.0).unwrap();
        assert!(all.is_fresh(1000, 4600, 1000));
        assert!(!all.is_fresh(1000, 4600, 1001));
    }

    #[test]
    fn never_expired_and_never_past_the_cap_for_the_callers_clock() {
        let tiny = Freshness::new(f64::MIN_POSITIVE).unwrap();
        // The last second before exp is fresh, exp itself is not.
        assert!(tiny.is_fresh(0, 100, 99));
        assert!(!tiny.is_fresh(0, 100, 100));
        assert!(!tiny.is_fresh(0, 100, 101));
        // A caller whose clock reads before the minting clock: fine up to
        // exactly 24 hours ahead of its now, not one second more.
        let exp = 10_000 + MAX_LIFETIME_SECS;
        assert!(tiny.is_fresh(10_000, exp, 10_000));
        assert!(!tiny.is_fresh(10_000, exp, 9_999));
        // The share-free part alone, at the same boundaries.
        assert!(Freshness::is_valid(100, 99));
        assert!(!Freshness::is_valid(100, 100));
        assert!(Freshness::is_valid(exp, 10_000));
        assert!(!Freshness::is_valid(exp, 9_999));
        // Extreme clocks do not overflow.
        assert!(!tiny.is_fresh(i64::MIN, i64::MAX, i64::MIN));
        assert!(!tiny.is_fresh(0, i64::MIN, i64::MAX));
    }

    #[test]
    fn max_entries_must_be_positive() {
        assert_eq!(check_max_entries(1).unwrap(), 1);
        assert_eq!(
            check_max_entries(0).unwrap_err().into_kind(),
            ErrorKind::InvalidConfig {
                what: "max_entries must be positive"
            }
        );
    }
}
