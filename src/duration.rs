//! Durations as people write them: `90`, `90s`, `30m`, `2h`, `1h30m`.

use std::time::Duration;

use crate::error::{ECHO_MAX_CHARS, Error, ErrorKind, echo};

/// What every refused duration is told: the forms that are accepted.
const FORMS: &str = "expected whole seconds (90) or whole numbers with the units h, m and s, \
     largest first, each once (90s, 30m, 2h, 1h30m, 1m2s)";

/// Read a duration: bare seconds (`90`), or one or more `<number><unit>`
/// groups with units `h`, `m`, `s`, largest first, each at most once
/// (`90s`, `30m`, `2h`, `1h30m`, `1m2s`). Zero is allowed here (a lifetime
/// of zero is refused when the options are built). This is the syntax of
/// the command line's `--ttl` and `--backdate`, and of the `lifetime` and
/// `backdate` members of [`TokenOptions`](crate::TokenOptions) in JSON.
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{ErrorKind, parse_duration};
/// assert_eq!(parse_duration("1h30m")?, Duration::from_secs(5400));
/// assert_eq!(parse_duration("90")?, Duration::from_secs(90));
/// let e = parse_duration("1.5h").unwrap_err();
/// assert!(matches!(e.kind(), ErrorKind::InvalidSyntax { what: "duration", .. }));
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidSyntax`] (`what: "duration"`), its message listing
/// the accepted forms, or saying that the number is too large.
pub fn parse_duration(text: &str) -> Result<Duration, Error> {
    let bad = |reason: &'static str| -> Error {
        ErrorKind::InvalidSyntax {
            what: "duration",
            value: echo(text, ECHO_MAX_CHARS),
            reason,
        }
        .into()
    };
    let too_large = || bad("the number is too large");
    if text.is_empty() {
        return Err(bad(FORMS));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| too_large());
    }
    const UNITS: [(u8, u64); 3] = [(b'h', 3600), (b'm', 60), (b's', 1)];
    let mut total: u64 = 0;
    // Index into UNITS of the last unit seen: units must strictly decrease.
    let mut last: Option<usize> = None;
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let unit = rest.get(digits).copied();
        let index = unit.and_then(|u| UNITS.iter().position(|(c, _)| *c == u));
        let (Some(index), true) = (index, digits > 0) else {
            return Err(bad(FORMS));
        };
        if last.is_some_and(|l| index <= l) {
            return Err(bad(FORMS));
        }
        last = Some(index);
        // The digits are ASCII, so this slice is valid UTF-8.
        let value = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
            .and_then(|n| n.checked_mul(UNITS[index].1))
            .ok_or_else(too_large)?;
        total = total.checked_add(value).ok_or_else(too_large)?;
        rest = &rest[digits + 1..];
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{human, human_between};

    #[test]
    fn spans_read_back_as_written() {
        for (secs, text) in [
            (0, "0s"),
            (45, "45s"),
            (300, "5m"),
            (303, "5m3s"),
            (3605, "1h5s"),
            (5400, "1h30m"),
            (90_000, "25h"),
        ] {
            assert_eq!(human(secs), text);
            assert_eq!(parse_duration(text).unwrap().as_secs(), secs);
        }
        assert_eq!(human(47 * 3600 + 59), "47h59s");
        assert_eq!(human(3 * 86_400 + 4 * 3600), "3d4h");
        assert_eq!(human_between(10, 3), "7s");
        assert_eq!(human_between(i64::MIN, i64::MAX), human(u64::MAX));
    }

    #[test]
    fn forms() {
        let d = |s| parse_duration(s).unwrap().as_secs();
        assert_eq!(d("0"), 0);
        assert_eq!(d("90"), 90);
        assert_eq!(d("90s"), 90);
        assert_eq!(d("30m"), 1800);
        assert_eq!(d("2h"), 7200);
        assert_eq!(d("1h30m"), 5400);
        assert_eq!(d("1h2m3s"), 3723);
        for bad in [
            "", "1.5h", "h", "1x", "1m1h", "1h1h", "1h 30m", "-5", "1h30",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid duration {bad:?}: {FORMS}"),
                "{bad}"
            );
        }
        assert_eq!(
            parse_duration("99999999999999999999")
                .unwrap_err()
                .to_string(),
            "invalid duration \"99999999999999999999\": the number is too large"
        );
        assert_eq!(
            parse_duration("9999999999999999h").unwrap_err().to_string(),
            "invalid duration \"9999999999999999h\": the number is too large"
        );
    }
}
