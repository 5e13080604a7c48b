//! The argument groups that several commands share: where the key comes
//! from, the token options, the account and the API client's limits, the
//! keyring lock.

use std::path::PathBuf;
use std::time::Duration;

use cf_stream_token::{AccessRule, AccountId, KeyId};
use clap::Args;

use crate::parse::{self, parse_duration};

// Where the signing key comes from.
#[derive(Args)]
pub(crate) struct KeySource {
    /// Signing key file: PKCS#1 or PKCS#8 PEM, base64 of either, a JWK,
    /// base64 of a JWK, or the saved create-key response; - reads it from
    /// standard input [default: the key contents in CF_STREAM_SIGNING_KEY]
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Key id, needed for PEM keys; other forms carry their own, which it
    /// must match [default: CF_STREAM_KEY_ID; not with --keyring]
    #[arg(long, value_name = "KID", conflicts_with = "keyring")]
    pub(crate) key_id: Option<KeyId>,
    /// Keyring file: sign with its current key, within its maximum token
    /// lifetime [default: the document in CF_STREAM_KEYRING, when no other
    /// key is given]
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    pub(crate) keyring: Option<PathBuf>,
}

// Expiry, not-before, downloads and access rules.
#[derive(Args)]
pub(crate) struct OptionsArgs {
    /// Lifetime: whole seconds, or 90s, 30m, 2h, 1h30m [default: 1h; at most 24h]
    #[arg(long, value_name = "DUR", value_parser = parse::parse_ttl, conflicts_with = "exp")]
    pub(crate) ttl: Option<Duration>,
    /// Expiry, unix seconds (at most 24 hours from now)
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub(crate) exp: Option<i64>,
    /// Not valid before, unix seconds
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub(crate) nbf: Option<i64>,
    /// Not valid before: this long before the signing time, for viewers'
    /// clock skew (e.g. 60s, 1h)
    #[arg(long, value_name = "DUR", value_parser = parse::parse_duration, conflicts_with = "nbf")]
    pub(crate) backdate: Option<Duration>,
    /// Allow MP4/M4A downloads with the token
    #[arg(long)]
    pub(crate) downloadable: bool,
    /// Access rule, repeatable, evaluated in order (at most 5):
    /// allow|block:any, allow|block:country=CC[,CC..],
    /// allow|block:ip=ADDR_OR_CIDR[,..]
    #[arg(long = "rule", value_name = "SPEC", value_parser = parse::parse_rule)]
    pub(crate) rules: Vec<AccessRule>,
}

// The account for API calls (required), and the client's limits.
#[derive(Args)]
pub(crate) struct Account {
    /// Cloudflare account id
    #[arg(
        long,
        value_name = "ACCT",
        env = "CLOUDFLARE_ACCOUNT_ID",
        hide_env_values = true
    )]
    pub(crate) account_id: AccountId,
    #[command(flatten)]
    pub(crate) limits: Limits,
}

// The API client's limits, for every command that may call the API.
#[derive(Args)]
pub(crate) struct Limits {
    /// Longest wait for each attempt, from sending the request to the end
    /// of the answer: seconds, or 90s, 2m, 1m30s (at most 1h)
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_timeout)]
    pub(crate) timeout: Duration,
    /// How many times a request that failed is sent again (0 to 10): list,
    /// delete, token and keyless mint on timeouts, 408, 429 and 5xx; keys
    /// create only on a 429 or a connection that never opened
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub(crate) retries: u32,
}

/// How long a command waits for another one's lock on the ring.
#[derive(Args)]
pub(crate) struct LockArgs {
    /// How long to wait for another command holding the ring's lock
    /// (FILE.lock), then give up before any request: seconds, or 90s, 2m
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,
}

/// The longest `--timeout`.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// `--timeout DUR`: more than zero, at most an hour.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() || d > MAX_TIMEOUT {
        // It parsed, so it is digits and units; only its length is unknown.
        let shown: String = text.chars().take(32).collect();
        return Err(format!(
            "invalid timeout {shown:?}: it must be more than zero and at most 1h"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_and_at_most_an_hour() {
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(
            parse_timeout("0"),
            Err("invalid timeout \"0\": it must be more than zero and at most 1h".to_owned())
        );
        assert!(parse_timeout("1h1s").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
