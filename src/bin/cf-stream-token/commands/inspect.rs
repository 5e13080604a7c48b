//! `inspect`: decode a token without verifying it.

use anyhow::Context as _;
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{Claims, ErrorKind, TokenOptions};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::input::{now, token_arg};
use crate::output::emit;
use crate::output::{ClaimsJson, HeaderJson};

pub(crate) const AFTER_HELP: &str = "\
Nothing is verified: use `verify` for that. Exit 0 whenever the token
decodes, even if it has expired or breaks the 24-hour cap.

Examples:
  cf-stream-token inspect \"$TOKEN\"
  echo \"$TOKEN\" | cf-stream-token inspect --json -";

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// The token, a whole playback URL carrying one, or - to read either
    /// from standard input
    #[arg(value_name = "TOKEN")]
    pub(crate) token: String,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `inspect --json` output.
#[derive(Serialize)]
struct InspectedJson<'a> {
    verified: bool,
    header: HeaderJson<'a>,
    claims: ClaimsJson<'a>,
    expires_at: String,
    expires_in: i64,
    expired: bool,
    not_yet_valid: bool,
    within_24h_cap: bool,
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// `3605` -> `1h 0m 5s`; days for long spans.
fn span(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m {s}s"),
    }
}

/// Whether the token keeps the 24-hour cap as of `now`, asked of the
/// library's own rule (no second copy of it here): would the library mint
/// a token with this `exp` now? A token carries no signing time; one that
/// still has more than 24 hours to run was certainly signed past the cap.
/// An expired token has no time left, so it keeps the cap.
fn keeps_cap(claims: &Claims, now: OffsetDateTime) -> bool {
    let resolved = TokenOptions::builder()
        .expires_at(claims.expires_at())
        .build()
        .and_then(|opts| opts.resolve_at(now));
    !matches!(
        resolved.as_ref().map_err(cf_stream_token::Error::kind),
        Err(ErrorKind::ExpiryTooFar { .. })
    )
}

/// `inspect`: decode without verifying; when the token expires and whether
/// it keeps the 24-hour cap, as of now.
pub(crate) fn run(args: InspectArgs) -> anyhow::Result<()> {
    let token = token_arg(&args.token)?;
    let read = decode_unverified(&token)?;
    drop(token);
    let (header, claims) = (read.header, read.claims);
    let clock = now();
    let now = clock.unix_timestamp();
    let exp = claims.exp();
    let expires_in = exp.saturating_sub(now);
    let expired = expires_in <= 0;
    let not_yet_valid = claims.nbf().is_some_and(|nbf| now < nbf);
    let within_cap = keeps_cap(&claims, clock);

    if args.json {
        return emit(&serde_json::to_string(&InspectedJson {
            verified: false,
            header: (&header).into(),
            claims: (&claims).into(),
            expires_at: rfc3339(exp),
            expires_in,
            expired,
            not_yet_valid,
            within_24h_cap: within_cap,
        })?);
    }

    let alg = header.alg();
    let mut lines = vec![
        "NOT VERIFIED: decoded only; `verify --key FILE` checks the signature".to_owned(),
        if alg == "RS256" {
            format!("alg:          {alg}")
        } else {
            format!("alg:          {alg:?} (verify refuses everything but RS256)")
        },
        format!("kid:          {}", claims.kid()),
        format!("video (sub):  {}", claims.video()),
    ];
    let when = if expired {
        format!("expired {} ago", span(expires_in.unsigned_abs()))
    } else {
        format!("in {}", span(expires_in.unsigned_abs()))
    };
    lines.push(format!(
        "expires:      {} (exp {exp}), {when}",
        rfc3339(exp)
    ));
    lines.push(match claims.nbf() {
        Some(nbf) if not_yet_valid => {
            format!("not before:   {} (nbf {nbf}), not valid yet", rfc3339(nbf))
        }
        Some(nbf) => format!("not before:   {} (nbf {nbf})", rfc3339(nbf)),
        None => "not before:   (none)".to_owned(),
    });
    lines.push(format!(
        "downloadable: {}",
        if claims.downloadable() { "yes" } else { "no" }
    ));
    lines.push(if claims.access_rules().is_empty() {
        "access rules: (none)".to_owned()
    } else {
        format!(
            "access rules: {}",
            serde_json::to_string(claims.access_rules()).context("access rules")?
        )
    });
    lines.push(if within_cap {
        "24 h cap:     kept (at most 24 hours left)".to_owned()
    } else {
        format!(
            "24 h cap:     BROKEN: {} left, more than the 24 hours a token may live",
            span(expires_in.unsigned_abs())
        )
    });
    if !header.other_members().is_empty() {
        lines.push(format!(
            "header also:  {}{}",
            header.other_members().join(", "),
            if header.has_crit() {
                " (verify refuses crit)"
            } else {
                ""
            }
        ));
    }
    emit(&lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(59), "59s");
        assert_eq!(span(60), "1m 0s");
        assert_eq!(span(3605), "1h 0m 5s");
        assert_eq!(span(86_400 + 3661), "1d 1h 1m 1s");
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(1_700_003_600), "2023-11-14T23:13:20Z");
    }
}
