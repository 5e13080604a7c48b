//! `keys adopt`: add a key whose saved create-key answer never reached the
//! keyring.

use std::path::PathBuf;

use anyhow::Context as _;
use cf_stream_token::api::CreatedKey;
use cf_stream_token::{ErrorKind, Keyring};
use clap::Args;
use serde::Serialize;
use zeroize::Zeroizing;

use super::ring::{Held, RotatedJson, listed, ring_for_new_key};
use crate::args::{Account, LockArgs};
use crate::input::now;
use crate::output::emit;
use crate::secret::{read_key_file, shown};

pub(crate) const AFTER_HELP: &str = "\
Adds a key whose create-key answer was saved but never reached the ring
(FILE.new-key, left by a `keys rotate` that could not write the ring, is
the default; for a linked ring, beside the file the link points at). The
answer must load as `keys rotate` checks a fresh one, and the key must be
listed at Cloudflare. It becomes the next key (the current one of a new
ring). The answer file is removed only once the ring is written.

Example:
  cf-stream-token keys adopt --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct AdoptArgs {
    /// The keyring file (created when missing)
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// The saved create-key answer [default: the ring's FILE.new-key]
    #[arg(value_name = "ANSWER")]
    answer: Option<PathBuf>,
    #[command(flatten)]
    account: Account,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Serialize)]
struct AdoptedJson {
    #[serde(flatten)]
    key: RotatedJson,
    adopted_from: String,
}

pub(crate) fn run(args: AdoptArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    let held = Held::lock(&args.keyring, &args.lock)?;
    let file = args.answer.clone().unwrap_or_else(|| held.rescue());
    let ring = ring_for_new_key(&held, &acct).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            format!("{e:#}").replace("(no key was created)", "(nothing was adopted)")
        )
    })?;
    let bytes = read_key_file(&file)?;
    let text = Zeroizing::new(
        std::str::from_utf8(&bytes)
            .map_err(|_| anyhow::anyhow!("{} is not UTF-8", shown(&file)))?
            .trim()
            .to_owned(),
    );
    let created = CreatedKey::from_saved(&text).map_err(|e| {
        let cause = match e.kind() {
            ErrorKind::CreatedKeyUnusable { cause, .. } => cause.to_string(),
            other => other.to_string(),
        };
        anyhow::anyhow!(
            "{} does not hold a usable create-key answer: {cause}; nothing was adopted",
            shown(&file)
        )
    })?;
    let id = *created.id();
    drop(created);
    if !listed(&args.account)?.contains(&id) {
        anyhow::bail!(
            "key {id} in {} is not listed at Cloudflare for account {acct}: its tokens would not \
             play; nothing was adopted",
            shown(&file)
        );
    }
    let now = now();
    let mut ring = match ring {
        Some(mut ring) => {
            ring.add_next_at(now, &text)?;
            ring
        }
        None => Keyring::start_at(now, &text)?,
    };
    ring.bind_account(&acct)?;
    held.save(&ring)?;
    std::fs::remove_file(&file).with_context(|| {
        format!(
            "key {id} is in the ring now, but {} could not be removed",
            shown(&file)
        )
    })?;
    emit(&serde_json::to_string(&AdoptedJson {
        key: RotatedJson::of(&ring, &id)?,
        adopted_from: file.to_string_lossy().into_owned(),
    })?)
}
