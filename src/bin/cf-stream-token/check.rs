//! The commands that read a token: `verify` and `inspect`.

use anyhow::Context as _;
use cf_stream_token::dangerous::{Header, decode_unverified};
use cf_stream_token::{AccessRule, Claims, MAX_LIFETIME, Signer, Verifier};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{InspectArgs, VerifyArgs};
use crate::input::{now, token_arg};
use crate::key_source::{env_key, key_id, key_name, read_key_arg, ring_from};
use crate::{Usage, emit};

/// The claims with every member present, in the order they are minted:
/// `nbf` null and `downloadable` false when the token leaves them out,
/// `accessRules` an array.
#[derive(Serialize)]
struct ClaimsJson<'a> {
    sub: &'a str,
    kid: &'a str,
    exp: i64,
    nbf: Option<i64>,
    downloadable: bool,
    #[serde(rename = "accessRules")]
    access_rules: &'a [AccessRule],
}

impl<'a> From<&'a Claims> for ClaimsJson<'a> {
    fn from(c: &'a Claims) -> Self {
        ClaimsJson {
            sub: c.video().as_str(),
            kid: c.kid().as_str(),
            exp: c.exp(),
            nbf: c.nbf(),
            downloadable: c.downloadable(),
            access_rules: c.access_rules(),
        }
    }
}

/// The header as it is printed: the members the library reads, and the
/// names of any others.
#[derive(Serialize)]
struct HeaderJson<'a> {
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    other_members: &'a [String],
}

impl<'a> From<&'a Header> for HeaderJson<'a> {
    fn from(h: &'a Header) -> Self {
        HeaderJson {
            alg: h.alg(),
            kid: h.kid(),
            typ: h.typ(),
            other_members: h.other_members(),
        }
    }
}

/// `verify` output.
#[derive(Serialize)]
struct VerifiedJson<'a> {
    header: HeaderJson<'a>,
    claims: ClaimsJson<'a>,
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

/// `verify`: the header and claims on standard output when the token is
/// valid as of now; otherwise an error naming the reason.
pub(crate) fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    if args.key.as_deref() == Some(std::path::Path::new("-")) && args.token == "-" {
        return Err(Usage("--key - and TOKEN - cannot both read standard input".to_owned()).into());
    }
    let ring = ring_from(
        args.keyring.as_deref(),
        args.key.is_some(),
        args.key_id.is_some(),
    )?;
    let verifier = match (&args.key, &ring) {
        (Some(path), _) => {
            let bytes = read_key_arg(path)?;
            let kid = key_id(args.key_id)?;
            Some(Verifier::parse(&*bytes, kid).with_context(|| key_name(path))?)
        }
        (None, Some(_)) => None,
        (None, None) => Some(
            Signer::new(env_key(key_id(args.key_id)?)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no key: give --key FILE or --keyring FILE, or set CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
                )
            })?)
            .verifier(),
        ),
    };
    let token = token_arg(&args.token)?;
    let checked = match (&verifier, &ring) {
        (Some(v), _) => v.verify(&token),
        (None, Some(ring)) => ring.verifier().verify(&token),
        (None, None) => unreachable!("one of the two was made above"),
    };
    let claims = checked.map_err(|e| anyhow::anyhow!("token refused: {e}"))?;
    // Authentic from here on, so the header can be shown as it is.
    let header = decode_unverified(&token)?.header;
    emit(&serde_json::to_string(&VerifiedJson {
        header: (&header).into(),
        claims: (&claims).into(),
    })?)
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

/// `inspect`: decode without verifying; when the token expires and whether
/// it keeps the 24-hour cap, as of now.
pub(crate) fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let token = token_arg(&args.token)?;
    let read = decode_unverified(&token)?;
    drop(token);
    let (header, claims) = (read.header, read.claims);
    let now = now().unix_timestamp();
    let exp = claims.exp();
    let expires_in = exp.saturating_sub(now);
    let expired = expires_in <= 0;
    let not_yet_valid = claims.nbf().is_some_and(|nbf| now < nbf);
    // A token carries no signing time; one that still has more than 24
    // hours to run was certainly signed with an expiry past the cap.
    let within_cap = expires_in <= MAX_LIFETIME.as_secs() as i64;

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
