//! How a time and a span are written in messages: the bottom of the tree
//! (it imports nothing of the crate), so that `error.rs` can use it and
//! `clock.rs` and `duration.rs`, which return errors, can too.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A unix time as an error message writes it: RFC 3339 in UTC
/// (`2026-12-06T10:00:00Z`), or `unix time N` when RFC 3339 cannot show it.
pub(crate) fn unix_text(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("unix time {unix}"))
}

/// A span as people read it: the non-zero hours, minutes and seconds,
/// largest first (`25h`, `1h30m`, `5m3s`, `0s`), the form
/// `parse_duration` reads; from two days on, days first (`3d4h`).
pub(crate) fn human(secs: u64) -> String {
    let days = if secs >= 2 * 86_400 { secs / 86_400 } else { 0 };
    let rest = secs - days * 86_400;
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::new();
    for (n, unit) in [(days, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(unit);
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// The span from `from` to `to` as [`human`] writes it, whichever is later.
pub(crate) fn human_between(from: i64, to: i64) -> String {
    human(from.abs_diff(to))
}
