//! Cloudflare's API rate limit: a fixed window per credential; once the
//! quota is spent, every call is refused until the window ends ("all API
//! calls for the next five minutes will be blocked").

use std::collections::HashMap;

/// One credential's window.
#[derive(Clone, Copy)]
struct Window {
    start: i64,
    used: u32,
}

pub(crate) struct RateLimiter {
    limit: u32,
    window: i64,
    /// Keyed by the credential's position in the configured list: no
    /// credential is copied here.
    windows: HashMap<usize, Window>,
}

/// The verdict for one call, with what the `Ratelimit` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub(crate) reset_secs: i64,
    pub(crate) window_secs: i64,
}

impl Verdict {
    /// `Ratelimit: "default";r=REMAINING;t=RESET`
    pub(crate) fn ratelimit_header(&self) -> String {
        format!("\"default\";r={};t={}", self.remaining, self.reset_secs)
    }

    /// `Ratelimit-Policy: "default";q=LIMIT;w=WINDOW`
    pub(crate) fn policy_header(&self) -> String {
        format!("\"default\";q={};w={}", self.limit, self.window_secs)
    }
}

impl RateLimiter {
    pub(crate) fn new(limit: u32, window_secs: u64) -> Self {
        RateLimiter {
            limit,
            window: i64::try_from(window_secs).unwrap_or(i64::MAX).max(1),
            windows: HashMap::new(),
        }
    }

    /// Count one call by credential `who` at `now` (unix seconds).
    pub(crate) fn check(&mut self, who: usize, now: i64) -> Verdict {
        let window = self.window;
        let w = self.windows.entry(who).or_insert(Window {
            start: now,
            used: 0,
        });
        // A new window once the old one is over (or the clock went back).
        if now >= w.start.saturating_add(window) || now < w.start {
            *w = Window {
                start: now,
                used: 0,
            };
        }
        let allowed = w.used < self.limit;
        if allowed {
            w.used += 1;
        }
        Verdict {
            allowed,
            limit: self.limit,
            remaining: self.limit - w.used,
            reset_secs: (w.start.saturating_add(window) - now).max(1),
            window_secs: window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_then_blocked_until_the_window_ends() {
        let mut rl = RateLimiter::new(2, 60);
        let v = rl.check(0, 1000);
        assert_eq!((v.allowed, v.remaining, v.reset_secs), (true, 1, 60));
        assert_eq!(v.ratelimit_header(), "\"default\";r=1;t=60");
        assert_eq!(v.policy_header(), "\"default\";q=2;w=60");
        assert!(rl.check(0, 1010).allowed);
        let v = rl.check(0, 1059);
        assert_eq!((v.allowed, v.remaining, v.reset_secs), (false, 0, 1));
        // Another credential has its own window.
        assert!(rl.check(1, 1059).allowed);
        let v = rl.check(0, 1060);
        assert_eq!((v.allowed, v.remaining, v.reset_secs), (true, 1, 60));
    }
}
