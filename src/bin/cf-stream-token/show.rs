//! Times as people read them, and the ring's lifetime refusal in those
//! words: shared by the commands that mint with a ring and the keys ones.

use cf_stream_token::ErrorKind;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A time in RFC 3339, or its unix seconds when it has no such form.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A span of seconds as people read it: `40 s`, `12 min`, `25 h`.
pub(crate) fn span(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 90 {
        format!("{secs} s")
    } else if secs < 90 * 60 {
        format!("{} min", (secs + 30) / 60)
    } else {
        format!("{} h", (secs + 1800) / 3600)
    }
}

/// A time to come, as people read it: `2026-12-07T03:18:42Z (in 25 h)`.
pub(crate) fn when(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let left = (t - now).whole_seconds();
    if left <= 0 {
        format!("{} (now)", rfc3339(t))
    } else {
        format!("{} (in {})", rfc3339(t), span(left))
    }
}

/// A ring's signer refused a token that would outlive the ring: the
/// times as people read them, not unix seconds.
pub(crate) fn outlives(e: cf_stream_token::Error, now: OffsetDateTime) -> anyhow::Error {
    match *e.kind() {
        ErrorKind::TokenOutlivesRing { exp, max } => {
            let at = |t: i64| {
                OffsetDateTime::from_unix_timestamp(t)
                    .map_or_else(|_| t.to_string(), |t| when(t, now))
            };
            anyhow::anyhow!(
                "the token would expire at {}, past the keyring's maximum token lifetime (latest \
                 allowed {})",
                at(exp),
                at(max)
            )
        }
        _ => anyhow::Error::new(e),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(0), "0 s");
        assert_eq!(span(40), "40 s");
        assert_eq!(span(89), "89 s");
        assert_eq!(span(90), "2 min");
        assert_eq!(span(12 * 60), "12 min");
        assert_eq!(span(89 * 60), "89 min");
        assert_eq!(span(90 * 60), "2 h");
        assert_eq!(span(89_995), "25 h");
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = t0 + Duration::from_secs(89_995);
        assert_eq!(when(t, t0), "2027-01-16T08:59:55Z (in 25 h)");
        assert!(when(t0, t).ends_with("(now)"));
    }
}
