//! What the commands read: keys, token options, tokens, the clock.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use cf_stream_token::{Clock as _, ErrorKind, KeyId, SigningKey, SystemClock, TokenOptions};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::Usage;
use crate::args::{KeySource, OptionsArgs};
use crate::secret::{MAX_KEY_FILE, read_key_file, shown};

/// Key contents when `--key` is not given (read by the library).
pub(crate) const ENV_SIGNING_KEY: &str = "CF_STREAM_SIGNING_KEY";
/// The key id for `--key FILE` or `CF_STREAM_SIGNING_KEY`, when `--key-id`
/// is not given: read by [`key_id`], never by clap, so that it cannot
/// conflict with `--keyring` as a flag would.
const ENV_KEY_ID: &str = "CF_STREAM_KEY_ID";

/// Longest standard input read for a token: far above any token (at most
/// `MAX_TOKEN_LEN`) with room for surrounding whitespace. Past it the input
/// is refused, never cut: a cut could drop what follows the token.
const MAX_TOKEN_INPUT: u64 = 1 << 20;

/// The key id for a single key: `--key-id`, else `CF_STREAM_KEY_ID`. Only
/// the commands that load a single key call this (never with `--keyring`),
/// so the variable never stands in for a flag the user did not type.
pub(crate) fn key_id(flag: Option<KeyId>) -> anyhow::Result<Option<KeyId>> {
    if flag.is_some() {
        return Ok(flag);
    }
    match std::env::var(ENV_KEY_ID) {
        Ok(v) if !v.trim().is_empty() => KeyId::new(v.trim())
            .map(Some)
            .map_err(|e| Usage(format!("{ENV_KEY_ID}: {e}")).into()),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Usage(format!("{ENV_KEY_ID} is not valid UTF-8")).into())
        }
    }
}

/// Key bytes from `--key FILE`, or from standard input for `--key -`.
pub(crate) fn read_key_arg(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if path != Path::new("-") {
        return read_key_file(path);
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(64 * 1024));
    std::io::stdin()
        .take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the key from standard input")?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        anyhow::bail!("standard input is larger than 1 MiB: not a key");
    }
    Ok(bytes)
}

/// How `--key` is named in messages.
pub(crate) fn key_name(path: &Path) -> String {
    if path == Path::new("-") {
        "key on standard input".to_owned()
    } else {
        format!("key file {}", shown(path))
    }
}

/// Load a signing key from `--key FILE` (`-`: standard input), with an
/// optional key id.
pub(crate) fn key_from_file(path: &Path, kid: Option<KeyId>) -> anyhow::Result<SigningKey> {
    let bytes = read_key_arg(path)?;
    SigningKey::parse(&*bytes, kid).with_context(|| key_name(path))
}

/// The signing key of `--key FILE` (`-`: standard input), else the
/// library's [`SigningKey::from_env`] (`CF_STREAM_SIGNING_KEY`); `None`
/// when neither is given. The key id is `--key-id`, else `CF_STREAM_KEY_ID`
/// (see [`key_id`]); a key that names its own must agree with it.
pub(crate) fn local_key(source: &KeySource) -> anyhow::Result<Option<SigningKey>> {
    let kid = key_id(source.key_id)?;
    if let Some(path) = &source.key {
        return key_from_file(path, kid).map(Some);
    }
    env_key(kid)
}

/// The key in `CF_STREAM_SIGNING_KEY`, read by the library, with `kid`
/// (from `--key-id` or `CF_STREAM_KEY_ID`); `None` when it is unset.
pub(crate) fn env_key(kid: Option<KeyId>) -> anyhow::Result<Option<SigningKey>> {
    let var = |name: &str| {
        if name == ENV_KEY_ID {
            kid.map(|k| k.to_string())
        } else {
            std::env::var(name).ok()
        }
    };
    match SigningKey::from_env_with(var) {
        Ok(key) => Ok(Some(key)),
        Err(e) if matches!(e.kind(), ErrorKind::MissingConfig { .. }) => {
            if std::env::var_os(ENV_SIGNING_KEY).is_some_and(|v| v.to_str().is_none()) {
                anyhow::bail!("{ENV_SIGNING_KEY} is not valid UTF-8")
            }
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e).context(ENV_SIGNING_KEY)),
    }
}

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
    let mut text = Zeroizing::new(String::new());
    // One byte past the bound tells "exactly at it" from "over it".
    std::io::stdin()
        .take(MAX_TOKEN_INPUT + 1)
        .read_to_string(&mut text)
        .context("cannot read the token from standard input")?;
    if text.len() as u64 > MAX_TOKEN_INPUT {
        anyhow::bail!("standard input is larger than 1 MiB: not a token");
    }
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
