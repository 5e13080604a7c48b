//! What the commands read: keys, token options, tokens, the clock.

use cf_stream_token::files;
use cf_stream_token::{Clock as _, ErrorKind, SystemClock, TokenOptions};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::args::OptionsArgs;
use crate::output::Usage;

/// Longest standard input read for a token: far above any token (at most
/// `MAX_TOKEN_LEN`) with room for surrounding whitespace. Past it the input
/// is refused, never cut: a cut could drop what follows the token.
const MAX_TOKEN_INPUT: u64 = 1 << 20;

/// Build the token options. Their checks (rule lists, `nbf < exp`) concern
/// the command line alone, so a refusal is a usage error.
pub(crate) fn token_options(args: &OptionsArgs) -> anyhow::Result<TokenOptions> {
    let unix = |what: &str, t: i64| {
        OffsetDateTime::from_unix_timestamp(t)
            .map_err(|_| Usage(format!("{what} {t} is out of range")))
    };
    let mut b = TokenOptions::builder()
        .downloadable(args.downloadable)
        .access_rules(args.rules.iter().cloned());
    if let Some(ttl) = args.ttl {
        b = b.lifetime(ttl);
    }
    if let Some(exp) = args.exp {
        b = b.expires_at(unix("--exp", exp)?);
    }
    if let Some(nbf) = args.nbf {
        b = b.not_before(unix("--nbf", nbf)?);
    }
    if let Some(by) = args.backdate {
        b = b.backdate_not_before(by);
    }
    b.build().map_err(|e| {
        let what = match e.kind() {
            ErrorKind::NotBeforeAfterExpiry { .. } => "--nbf",
            ErrorKind::InvalidDuration { .. } => "--backdate",
            ErrorKind::TooManyRules { .. }
            | ErrorKind::RuleAfterAny { .. }
            | ErrorKind::EmptyRuleList { .. }
            | ErrorKind::TokenTooLong { .. } => "--rule",
            _ => "token options",
        };
        anyhow::Error::new(Usage(format!("{what}: {e}")))
    })
}

/// The token in a playback URL (`https://HOST/TOKEN/...`): its first
/// path segment; anything else is taken as a token.
fn token_in(text: &str) -> &str {
    let text = text.trim();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| text.strip_prefix(scheme));
    match rest {
        Some(rest) => {
            let path = rest.split_once('/').map_or("", |(_, path)| path);
            path.split(['/', '?', '#']).next().unwrap_or("")
        }
        None => text,
    }
}

/// A token from the command line, or from standard input for `-`; either
/// may be a whole playback URL, whose token is taken out of it.
pub(crate) fn token_arg(arg: &str) -> anyhow::Result<Zeroizing<String>> {
    let text = token_text(arg)?;
    Ok(Zeroizing::new(token_in(&text).to_owned()))
}

fn token_text(arg: &str) -> anyhow::Result<Zeroizing<String>> {
    if arg != "-" {
        return Ok(Zeroizing::new(arg.trim().to_owned()));
    }
    // Bounded by the library's reader, as a key on standard input is.
    let bytes =
        files::read_bounded_from(std::io::stdin().lock(), MAX_TOKEN_INPUT).map_err(|e| {
            if e.kind() == std::io::ErrorKind::FileTooLarge {
                anyhow::anyhow!("standard input is larger than 1 MiB: not a token")
            } else {
                anyhow::Error::new(e).context("cannot read the token from standard input")
            }
        })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow::anyhow!("standard input is not UTF-8 text: not a token"))?;
    let trimmed = Zeroizing::new(text.trim().to_owned());
    if trimmed.is_empty() {
        anyhow::bail!("no token on standard input");
    }
    Ok(trimmed)
}

/// Now, from the library's system clock: the one clock this crate reads.
pub(crate) fn now() -> OffsetDateTime {
    SystemClock.now()
}

#[cfg(test)]
mod tests {
    use super::token_in;

    #[test]
    fn tokens_are_taken_out_of_playback_urls() {
        let host = "https://customer-abc.cloudflarestream.com";
        assert_eq!(
            token_in(&format!("{host}/aa.bb.cc/manifest/video.m3u8")),
            "aa.bb.cc"
        );
        assert_eq!(token_in(&format!("{host}/aa.bb.cc/iframe")), "aa.bb.cc");
        assert_eq!(token_in(&format!("{host}/aa.bb.cc?x=1")), "aa.bb.cc");
        assert_eq!(token_in("http://localhost:8443/aa.bb.cc/watch"), "aa.bb.cc");
        assert_eq!(token_in(host), "");
        assert_eq!(token_in(" aa.bb.cc\n"), "aa.bb.cc");
    }
}
