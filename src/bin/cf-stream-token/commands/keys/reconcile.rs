//! `keys reconcile`: compare the keyring with Cloudflare's keys (orphans,
//! missing keys, the 1,000-key cap), and delete orphans within a scope.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cf_stream_token::api::CreatedKey;
use cf_stream_token::files;
use cf_stream_token::{ErrorKind, KeyId};
use clap::Args;
use serde::Serialize;

use super::ring::{Held, account_check, listed};
use crate::api::{STREAM_WRITE, block_on, client, refusal};
use crate::args::{Account, LockArgs};
use crate::key_source::load;
use crate::output::emit;
use crate::secret::{read_key_file, shown};

pub(crate) const AFTER_HELP: &str = "\
Compares the ring with Cloudflare's list. Orphans (keys at Cloudflare in no
ring: their private half is lost here, and they count toward the 1,000 key
cap) are reported with exit 0. A key whose answer is in FILE.new-key is
rescued, never an orphan (`keys adopt` adds it). Keys of the ring that
Cloudflare does not list were deleted behind the ring's back (their tokens
do not play): exit 1.

--delete-orphans deletes orphans, never a key of the ring or a rescued one,
and only within a scope: the orphans named with --orphan KID, or, with
--other-ring FILE for every other ring of the account, every key in none of
the rings. It deletes nothing while a key of the ring is missing at
Cloudflare (a stale or wrong ring). If a deletion fails, the error names
the keys already deleted; with --json the report, with what was deleted and
the error, is printed too (exit 1).

Examples:
  cf-stream-token keys reconcile --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353 --json
  cf-stream-token keys reconcile --keyring ring.json --other-ring staging.json --delete-orphans \\
      --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct ReconcileArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Delete orphans at Cloudflare (never a key of a ring, never a rescued
    /// one); needs --orphan or --other-ring
    #[arg(long)]
    delete_orphans: bool,
    /// An orphan to delete (repeatable): only these are deleted
    #[arg(long = "orphan", value_name = "KID", requires = "delete_orphans")]
    orphans: Vec<KeyId>,
    /// Another ring of the account (repeatable): its keys, and the answer
    /// in its FILE.new-key, are not orphans
    #[arg(long = "other-ring", value_name = "FILE")]
    other_rings: Vec<PathBuf>,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Clone, Serialize)]
struct Rescued {
    kid: String,
    file: String,
}

#[derive(Serialize)]
struct ReconciledJson {
    ring: usize,
    cloudflare: usize,
    cap: usize,
    orphans: Vec<String>,
    rescued: Vec<Rescued>,
    other_rings: Vec<String>,
    missing: Vec<String>,
    deleted: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The key whose create-key answer a rescue file holds, if the file
/// exists. A file that exists but names no key refuses deletions: it may
/// be the only copy of a key that Cloudflare lists.
fn rescued_in(file: &Path) -> anyhow::Result<Option<KeyId>> {
    if !file.exists() {
        return Ok(None);
    }
    let bytes = read_key_file(file)?;
    let text = std::str::from_utf8(&bytes).unwrap_or("");
    match CreatedKey::from_saved(text) {
        Ok(key) => Ok(Some(*key.id())),
        Err(e) => match e.kind() {
            ErrorKind::CreatedKeyUnusable { id: Some(id), .. } => {
                Ok(Some(KeyId::new(id).map_err(|_| {
                    anyhow::anyhow!("{} names no key id", shown(file))
                })?))
            }
            _ => anyhow::bail!(
                "{} holds no readable create-key answer, so which key it rescues is unknown; \
                 nothing was deleted (move it away once you know)",
                shown(file)
            ),
        },
    }
}

pub(crate) fn run(args: ReconcileArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    if args.delete_orphans && args.orphans.is_empty() && args.other_rings.is_empty() {
        return Err(crate::output::Usage(
            "--delete-orphans needs a scope: name each orphan to delete with --orphan KID, or \
             give every other ring of the account with --other-ring FILE (then every key in no \
             ring is deleted)"
                .to_owned(),
        )
        .into());
    }
    // Only a deletion changes anything; a report needs no lock.
    let held = if args.delete_orphans {
        Some(Held::lock(&args.keyring, &args.lock)?)
    } else {
        None
    };
    let target = match &held {
        Some(h) => h.target.clone(),
        None => files::write_target(&args.keyring)
            .with_context(|| format!("keyring {}", shown(&args.keyring)))?,
    };
    let ring = load(&args.keyring)?;
    account_check(&ring, &args.keyring, &acct)?;
    // Keys elsewhere: in another ring, or in a rescue file of any ring.
    let mut rescued: Vec<(KeyId, PathBuf)> = Vec::new();
    let mut elsewhere: Vec<KeyId> = Vec::new();
    let mut rescue_files = vec![files::with_suffix(&target, ".new-key")];
    for other in &args.other_rings {
        let r = load(other)?;
        account_check(&r, other, &acct)?;
        elsewhere.extend(r.keys().iter().map(|k| *k.kid()));
        let t = files::write_target(other).with_context(|| format!("keyring {}", shown(other)))?;
        rescue_files.push(files::with_suffix(&t, ".new-key"));
    }
    for file in rescue_files {
        if let Some(kid) = rescued_in(&file)? {
            rescued.push((kid, file));
        }
    }
    let listed = listed(&args.account)?;
    let r = ring.reconcile(&listed);
    let is_rescued = |k: &KeyId| rescued.iter().any(|(r, _)| r == k);
    let orphans: Vec<KeyId> = r
        .orphans()
        .iter()
        .filter(|k| !is_rescued(k) && !elsewhere.contains(k))
        .copied()
        .collect();
    let names = |ids: &[KeyId]| ids.iter().map(ToString::to_string).collect::<Vec<_>>();
    let cap = cf_stream_token::ACCOUNT_KEY_CAP;
    if args.delete_orphans && !r.missing().is_empty() {
        anyhow::bail!(
            "{} key(s) of the ring are not at Cloudflare: {}; the ring is stale or of another \
             account, so no key is an orphan for sure; nothing was deleted",
            r.missing().len(),
            names(r.missing()).join(", "),
        );
    }
    let doomed: Vec<KeyId> = if args.orphans.is_empty() {
        orphans.clone()
    } else {
        for kid in &args.orphans {
            if !orphans.contains(kid) {
                let why = if ring.key(kid).is_some() {
                    "it is in the ring".to_owned()
                } else if let Some((_, f)) = rescued.iter().find(|(r, _)| r == kid) {
                    format!("it is rescued in {}", shown(f))
                } else if elsewhere.contains(kid) {
                    "it is in an --other-ring".to_owned()
                } else {
                    "Cloudflare does not list it".to_owned()
                };
                anyhow::bail!("--orphan {kid} is not an orphan: {why}; nothing was deleted");
            }
        }
        args.orphans.clone()
    };
    let mut deleted: Vec<String> = Vec::new();
    let mut failure = None;
    if args.delete_orphans {
        let client = client(&args.account)?;
        for orphan in &doomed {
            // Never a key of the ring, whatever the list said.
            if ring.key(orphan).is_some() {
                continue;
            }
            let result = match block_on(client.delete_signing_key(orphan)) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) if *e.kind() == ErrorKind::NotFound => Ok(()),
                Ok(Err(e)) => Err(refusal(e, STREAM_WRITE)),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => deleted.push(orphan.to_string()),
                Err(e) => {
                    failure = Some(format!(
                        "deleting orphan {orphan} failed ({e:#}); already deleted: {}",
                        list_or_none(&deleted)
                    ));
                    break;
                }
            }
        }
    }
    let at_cloudflare = r.remote_count() - deleted.len();
    let remaining: Vec<String> = names(&orphans)
        .into_iter()
        .filter(|k| !deleted.contains(k))
        .collect();
    let rescued_json: Vec<Rescued> = rescued
        .iter()
        .filter(|(k, _)| listed.contains(k))
        .map(|(k, f)| Rescued {
            kid: k.to_string(),
            file: f.to_string_lossy().into_owned(),
        })
        .collect();
    // The `--json` report, with the error that stopped the run if any.
    let report = |error: Option<String>| {
        serde_json::to_string(&ReconciledJson {
            ring: ring.keys().len(),
            cloudflare: at_cloudflare,
            cap,
            orphans: remaining.clone(),
            rescued: rescued_json.clone(),
            other_rings: args
                .other_rings
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            missing: names(r.missing()),
            deleted: deleted.clone(),
            error,
        })
    };
    if let Some(failure) = failure {
        if args.json {
            // What was deleted is what a script must know: the report
            // goes out before the error.
            emit(&report(Some(failure.clone()))?)?;
        }
        anyhow::bail!(failure);
    }
    if !r.missing().is_empty() {
        anyhow::bail!(
            "{} key(s) of the ring are not at Cloudflare (deleted behind the ring's back; their \
             tokens do not play): {}; orphans: {}; {at_cloudflare} of {cap} keys used",
            r.missing().len(),
            names(r.missing()).join(", "),
            list_or_none(&remaining),
        );
    }
    if args.json {
        // Every ring key is at Cloudflare here (`missing` is empty).
        return emit(&report(None)?);
    }
    let rescued_text: Vec<String> = rescued_json
        .iter()
        .map(|r| format!("{} (answer in {:?}; `keys adopt` adds it)", r.kid, r.file))
        .collect();
    emit(&format!(
        "ring: {} keys, all at Cloudflare\norphans: {}\nrescued: {}\ndeleted: {}\ncloudflare: {at_cloudflare} of {cap} keys",
        ring.keys().len(),
        list_or_none(&remaining),
        list_or_none(&rescued_text),
        list_or_none(&deleted),
    ))
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
