//! `keys retire`: delete the keyring's previous keys past their retirement
//! horizon.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use cf_stream_token::{ErrorKind, KeyId, KeyState};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use super::ring::{Held, account_check};
use crate::api::{STREAM_WRITE, block_on, client, refusal};
use crate::args::{Account, LockArgs};
use crate::input::now;
use crate::output::emit;
use crate::parse::parse_duration;
use crate::show::{rfc3339, when};

pub(crate) const AFTER_HELP: &str = "\
Deletes at Cloudflare, and removes from the ring, every previous key past
its horizon: demoted at + the ring's maximum token lifetime + its margin
(1h unless `keys policy` changed it; --margin overrides it for this run
only), and never before the tokens signed under a longer lifetime have
expired. Before any horizon it refuses (exit 1) and says when it will be
safe. Deleting a key revokes every token it signed.

Example:
  cf-stream-token keys retire --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353 --dry-run";

#[derive(Args)]
pub(crate) struct RetireArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Propagation margin of the horizon, for this run only [default: the
    /// ring's]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    margin: Option<Duration>,
    /// Say what would be deleted, delete nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Serialize)]
struct Waiting {
    kid: String,
    retire_from: String,
    retire_from_unix: i64,
}

#[derive(Serialize)]
struct RetiredJson {
    retired: Vec<String>,
    dry_run: bool,
    waiting: Vec<Waiting>,
}

pub(crate) fn run(args: RetireArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    let held = Held::lock(&args.keyring, &args.lock)?;
    let mut ring = held.load()?;
    account_check(&ring, &held.path, &acct)?;
    let policy = ring.margin();
    let margin = args.margin.unwrap_or(policy);
    ring.set_margin(margin)
        .map_err(|e| crate::output::Usage(format!("--margin: {e}")))?;
    let now = now();
    let due = ring.retirable_at(now);
    let waiting: Vec<(KeyId, OffsetDateTime)> = ring
        .keys()
        .iter()
        .filter(|k| k.state() == KeyState::Previous && !due.contains(k.kid()))
        .filter_map(|k| ring.horizon(k.kid()).map(|h| (*k.kid(), h)))
        .collect();
    if due.is_empty()
        && let Some((kid, at)) = waiting.iter().min_by_key(|(_, h)| *h)
    {
        anyhow::bail!(
            "previous key {kid} may still have tokens playing; it can be retired from {}; \
             nothing was deleted",
            when(*at, now)
        );
    }
    let mut retired = Vec::new();
    if !args.dry_run {
        let client = client(&args.account)?;
        for kid in &due {
            match block_on(client.delete_signing_key(kid))? {
                Ok(()) => {}
                // Gone already: what retiring wants.
                Err(e) if *e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(refusal(e, STREAM_WRITE)),
            }
            ring.retire_at(now, kid)?;
            // The run's --margin is not the ring's policy: the ring is
            // written with its own.
            ring.set_margin(policy)?;
            ring.bind_account(&acct)?;
            held.save(&ring).with_context(|| {
                format!("key {kid} was deleted at Cloudflare, but the ring still lists it")
            })?;
            ring.set_margin(margin)?;
            retired.push(kid.to_string());
        }
    } else {
        retired = due.iter().map(ToString::to_string).collect();
    }
    emit(&serde_json::to_string(&RetiredJson {
        retired,
        dry_run: args.dry_run,
        waiting: waiting
            .iter()
            .map(|(kid, h)| Waiting {
                kid: kid.to_string(),
                retire_from: rfc3339(*h),
                retire_from_unix: h.unix_timestamp(),
            })
            .collect(),
    })?)
}
