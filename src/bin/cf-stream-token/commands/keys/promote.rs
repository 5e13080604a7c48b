//! `keys promote`: the keyring's next key becomes current, its current key
//! previous.

use std::path::PathBuf;
use std::time::Duration;

use cf_stream_token::{AccountId, ErrorKind};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use super::ring::{Held, account_check, listed};
use crate::args::{Account, Limits, LockArgs};
use crate::input::now;
use crate::output::emit;
use crate::parse::parse_duration;
use crate::secret::shown;
use crate::show::{rfc3339, when};

pub(crate) const AFTER_HELP: &str = "\
The next key becomes current (it signs) and the current key becomes
previous (it verifies only). Refused until the next key is the ring's
minimum age old (1h unless `keys policy` changed it; --min-age overrides it
for this run only) and, when longer, the fleet's reload bound (`keys policy
--reload-bound`, which --min-age cannot shorten): Cloudflare does not
document how soon a new key plays, and every instance of a fleet must have
reloaded the ring with the new key before any of them signs with it.

The next key must still be listed at Cloudflare (--account-id and
credentials); --offline skips that check, on your word.

Example:
  cf-stream-token keys promote --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct PromoteArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// Cloudflare account id, to check that the next key is listed
    #[arg(
        long,
        value_name = "ACCT",
        env = "CLOUDFLARE_ACCOUNT_ID",
        hide_env_values = true
    )]
    account_id: Option<AccountId>,
    #[command(flatten)]
    limits: Limits,
    /// Do not check at Cloudflare that the next key is listed
    #[arg(long)]
    offline: bool,
    /// Minimum age of the next key, for this run only [default: the
    /// ring's]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    min_age: Option<Duration>,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Serialize)]
struct PromotedJson {
    current: String,
    previous: String,
    retire_from: Option<String>,
    retire_from_unix: Option<i64>,
}

pub(crate) fn run(args: PromoteArgs) -> anyhow::Result<()> {
    let account = match (args.offline, args.account_id) {
        (true, _) => None,
        (false, Some(account_id)) => Some(Account {
            account_id,
            limits: args.limits,
        }),
        (false, None) => {
            return Err(crate::output::Usage(
                "keys promote checks that the next key is listed at Cloudflare: give \
                 --account-id ACCT (or CLOUDFLARE_ACCOUNT_ID) with credentials, or --offline to \
                 skip the check"
                    .to_owned(),
            )
            .into());
        }
    };
    let held = Held::lock(&args.keyring, &args.lock)?;
    let path = &held.path;
    let mut ring = held.load()?;
    if let Some(account) = &account {
        account_check(&ring, path, &account.account_id)?;
    }
    let policy = ring.min_age();
    if let Some(age) = args.min_age {
        ring.set_min_age(age)
            .map_err(|e| crate::output::Usage(format!("--min-age: {e}")))?;
    }
    let old = *ring.current().kid();
    let now = now();
    let new = ring.promote_at(now).map_err(|e| match e.kind() {
        ErrorKind::KeyTooYoung { kid, ready_at } => anyhow::anyhow!(
            "next key {kid} is younger than the minimum age or the fleet's reload bound; it may \
             be promoted from {}",
            OffsetDateTime::from_unix_timestamp(*ready_at)
                .map_or_else(|_| ready_at.to_string(), |t| when(t, now))
        ),
        _ => anyhow::Error::new(e).context(format!("keyring {}", shown(path))),
    })?;
    // A one-off --min-age is not the ring's policy.
    ring.set_min_age(policy)?;
    if let Some(account) = &account {
        if !listed(account)?.contains(&new) {
            anyhow::bail!(
                "next key {new} is not listed at Cloudflare for account {}: its tokens would not \
                 play; nothing was changed (`keys rotate` makes a new one once the dead key is \
                 revoked)",
                account.account_id
            );
        }
        ring.bind_account(&account.account_id)?;
    }
    held.save(&ring)?;
    let horizon = ring.horizon(&old);
    emit(&serde_json::to_string(&PromotedJson {
        current: new.to_string(),
        previous: old.to_string(),
        retire_from: horizon.map(rfc3339),
        retire_from_unix: horizon.map(OffsetDateTime::unix_timestamp),
    })?)
}
