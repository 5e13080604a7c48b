//! `keys rotate`: create a key at Cloudflare into a keyring (the first key
//! of a new ring is current, a later one next).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cf_stream_token::Keyring;
use clap::Args;

use super::ring::{Held, RotatedJson, ring_for_new_key};
use crate::api::client;
use crate::args::{Account, LockArgs};
use crate::input::now;
use crate::output::emit;
use crate::parse::parse_ttl;
use crate::secret::shown;
use crate::secret::{Created, create_key_into, create_private};
use crate::show::span;

pub(crate) const AFTER_HELP: &str = "\
A missing FILE starts a ring whose first key is current at once (it plays
once Cloudflare has propagated it). Otherwise the new key is `next`: it
verifies but does not sign until `keys promote`. The ring records its
account: a ring of another account is refused before any request.

Every argument and the ring are checked before the key is created. The
key's answer, private half included, is written to FILE.new-key (mode
0600, created before the request) as soon as it arrives, then into the
ring, and FILE.new-key is removed. If the ring cannot be written, the
error says so and FILE.new-key keeps the only copy of the key: `keys adopt`
adds it to the ring later.

Commands that change a ring hold FILE.lock from reading the ring to writing
it; another one waits up to --lock-timeout, then gives up before any
request. For a symbolic link, the file it points at is written (the link
stays), with FILE.lock, FILE.prev and FILE.new-key beside that file.

Example:
  cf-stream-token keys rotate --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct RotateArgs {
    /// The keyring file (created when missing)
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Longest token the ring signs, for a new ring: seconds, or 30m, 2h;
    /// 1s to 24h [default: 24h]
    #[arg(long, value_name = "DUR", value_parser = parse_ttl)]
    max_token_lifetime: Option<Duration>,
    #[command(flatten)]
    lock: LockArgs,
}

pub(crate) fn run(args: RotateArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    let held = Held::lock(&args.keyring, &args.lock)?;
    let path = &held.path;
    let ring = ring_for_new_key(&held, &acct)?;
    if let (Some(ring), Some(l)) = (&ring, args.max_token_lifetime)
        && l != ring.max_token_lifetime()
    {
        return Err(crate::output::Usage(format!(
            "--max-token-lifetime is set when a ring starts; keyring {} has {}; change it with \
             `cf-stream-token keys policy --keyring FILE --max-token-lifetime DUR`",
            shown(path),
            span(i64::try_from(ring.max_token_lifetime().as_secs()).unwrap_or(i64::MAX))
        ))
        .into());
    }
    let client = client(&args.account)?;
    let rescue = held.rescue();
    let file = create_rescue(&rescue)?;
    let Created {
        key: created,
        raw,
        saved,
    } = create_key_into(&client, file, &rescue, acct)?;
    let id = *created.id();
    drop(created);
    let now = now();
    let written = (|| -> anyhow::Result<Keyring> {
        let mut ring = match ring {
            Some(mut ring) => {
                ring.add_next_at(now, &raw)?;
                ring
            }
            None => {
                let mut ring = Keyring::start_at(now, &raw)?;
                if let Some(l) = args.max_token_lifetime {
                    ring.set_max_token_lifetime(l)?;
                }
                ring
            }
        };
        ring.bind_account(&acct)?;
        held.save(&ring)?;
        Ok(ring)
    })();
    let ring = match (written, saved) {
        (Ok(ring), _) => {
            let _ = std::fs::remove_file(&rescue);
            ring
        }
        (Err(e), Ok(())) => anyhow::bail!(
            "key {id} was created at Cloudflare and its answer is saved in {}, but the ring \
             could not be written ({e:#}); add it with `cf-stream-token keys adopt --keyring \
             FILE --account-id {acct}`, or delete the key with \
             `cf-stream-token keys delete {id} --account-id {acct}`",
            shown(&rescue)
        ),
        (Err(e), Err(io)) => anyhow::bail!(
            "key {id} was created at Cloudflare, but neither the ring ({e:#}) nor {} ({io}) \
             could be written, so its private half is lost; delete it with \
             `cf-stream-token keys delete {id} --account-id {acct}`",
            shown(&rescue)
        ),
    };
    emit(&serde_json::to_string(&RotatedJson::of(&ring, &id)?)?)
}

fn create_rescue(path: &Path) -> anyhow::Result<File> {
    create_private(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists: an earlier rotate left a key's answer there; add it to the ring with \
                 `cf-stream-token keys adopt` or delete it first (no key was created)",
                shown(path)
            )
        } else {
            anyhow::anyhow!("{}: {e} (no key was created)", shown(path))
        }
    })
}
