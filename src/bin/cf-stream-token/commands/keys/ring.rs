//! `keys rotate|promote|retire|revoke|reconcile|adopt|policy`: a keyring
//! file and the keys at Cloudflare, and the `--keyring` of `mint`, `url`
//! and `verify`.
//!
//! Every command that changes a ring holds an exclusive lock on it
//! (`FILE.lock`) from the moment it reads the ring until it has written it,
//! so that two commands never interleave their read-modify-writes. The ring
//! is written with `cf_stream_token::files::write_private` (atomic, 0600,
//! through a symbolic link to the file it points at), and its previous
//! version is kept beside that file as `FILE.prev`, written the same way
//! first. The lock file, the backup and the rescue file `FILE.new-key` all
//! sit beside the file written, the link's target for a linked ring.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use cf_stream_token::api::CreatedKey;
use cf_stream_token::files::{self, FileLock};
use cf_stream_token::{AccountId, ErrorKind, KEYRING_FILE_LIMIT, KeyId, KeyState, Keyring};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::api::{STREAM_READ, STREAM_WRITE, block_on, client, refusal};
use crate::args::{Account, Limits, LockArgs};
use crate::input::now;
use crate::key_source::load;
use crate::output::emit;
use crate::parse::{parse_duration, parse_ttl};
use crate::secret::shown;
use crate::secret::{Created, create_key_into, create_private, read_key_file};
use crate::show::{rfc3339, span, when};

pub(crate) const ROTATE_AFTER_HELP: &str = "\
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

pub(crate) const PROMOTE_AFTER_HELP: &str = "\
The next key becomes current (it signs) and the current key becomes
previous (it verifies only). Refused until the next key is the ring's
minimum age old (1h unless `keys policy` changed it; --min-age overrides it
for this run only): Cloudflare does not document how soon a new key plays,
and every instance of a fleet must have reloaded the ring with the new key
before any of them signs with it.

The next key must still be listed at Cloudflare (--account-id and
credentials); --offline skips that check, on your word.

Example:
  cf-stream-token keys promote --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

pub(crate) const RETIRE_AFTER_HELP: &str = "\
Deletes at Cloudflare, and removes from the ring, every previous key past
its horizon: demoted at + the ring's maximum token lifetime + its margin
(1h unless `keys policy` changed it; --margin overrides it for this run
only), and never before the tokens signed under a longer lifetime have
expired. Before any horizon it refuses (exit 1) and says when it will be
safe. Deleting a key revokes every token it signed.

Example:
  cf-stream-token keys retire --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353 --dry-run";

pub(crate) const REVOKE_AFTER_HELP: &str = "\
For a leaked key. The ring is written first (without the key; when it was
current, the next key is promoted at once), then the key is deleted at
Cloudflare: tokens signed by it stop playing now. Refused for the current
key when there is no next key (run `keys rotate` first).

Example:
  cf-stream-token keys revoke 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --keyring ring.json \\
      --account-id 023e105f4ecef8ad9ca31a8372d0c353";

pub(crate) const RECONCILE_AFTER_HELP: &str = "\
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

pub(crate) const ADOPT_AFTER_HELP: &str = "\
Adds a key whose create-key answer was saved but never reached the ring
(FILE.new-key, left by a `keys rotate` that could not write the ring, is
the default; for a linked ring, beside the file the link points at). The
answer must load as `keys rotate` checks a fresh one, and the key must be
listed at Cloudflare. It becomes the next key (the current one of a new
ring). The answer file is removed only once the ring is written.

Example:
  cf-stream-token keys adopt --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

pub(crate) const POLICY_AFTER_HELP: &str = "\
Prints the ring's policy, and changes what is given: the minimum age of a
next key before promotion, the propagation margin of the retirement
horizon, and the maximum token lifetime. Lowering the lifetime records by
when the tokens signed under the old one expire: no key retires before
then. Flags of promote and retire apply to their run only; this command
changes the ring.

Example:
  cf-stream-token keys policy --keyring ring.json --max-token-lifetime 2h --margin 30m";

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

#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// The leaked key's id
    #[arg(value_name = "KID")]
    kid: KeyId,
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    #[command(flatten)]
    lock: LockArgs,
}

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

#[derive(Args)]
pub(crate) struct PolicyArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// Minimum age of a next key before promotion (at most 30 days)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    min_age: Option<Duration>,
    /// Propagation margin of the retirement horizon (at most 30 days)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    margin: Option<Duration>,
    /// Longest token the ring signs: 1s to 24h
    #[arg(long, value_name = "DUR", value_parser = parse_ttl)]
    max_token_lifetime: Option<Duration>,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lock: LockArgs,
}

/// A ring file held for a read-modify-write: the path as given, the file
/// written (the link's target for a linked ring) and the lock beside it.
struct Held {
    path: PathBuf,
    target: PathBuf,
    _lock: FileLock,
}

impl Held {
    /// Resolve the ring's link (if any) and take `TARGET.lock`, waiting at
    /// most `timeout`; nothing has been sent to Cloudflare when this fails.
    fn lock(path: &Path, lock: &LockArgs) -> anyhow::Result<Held> {
        let target = files::write_target(path)
            .with_context(|| format!("keyring {} (nothing was done)", shown(path)))?;
        let lock_path = files::with_suffix(&target, ".lock");
        let held = FileLock::acquire(&lock_path, lock.lock_timeout).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                anyhow::anyhow!(
                    "keyring {} is locked by another command: lock file {} still held after {} \
                     (--lock-timeout); nothing was done",
                    shown(path),
                    shown(&lock_path),
                    span(i64::try_from(lock.lock_timeout.as_secs()).unwrap_or(i64::MAX))
                )
            } else {
                anyhow::anyhow!("lock file {}: {e} (nothing was done)", shown(&lock_path))
            }
        })?;
        Ok(Held {
            path: path.to_path_buf(),
            target,
            _lock: held,
        })
    }

    fn exists(&self) -> bool {
        self.target.exists()
    }

    fn load(&self) -> anyhow::Result<Keyring> {
        load(&self.path)
    }

    /// `FILE.new-key` beside the file written.
    fn rescue(&self) -> PathBuf {
        files::with_suffix(&self.target, ".new-key")
    }

    /// Save the ring, its former contents to `TARGET.prev` first.
    fn save(&self, ring: &Keyring) -> anyhow::Result<()> {
        let mut doc = ring.secret_document()?;
        doc.push('\n');
        if self.target.exists() {
            let old = files::read_bounded(&self.target, KEYRING_FILE_LIMIT)
                .with_context(|| format!("keyring {}", shown(&self.path)))?;
            let prev = files::with_suffix(&self.target, ".prev");
            files::write_private(&prev, &old)
                .with_context(|| format!("keyring backup {}", shown(&prev)))?;
        }
        files::write_private(&self.target, doc.as_bytes())
            .with_context(|| format!("keyring {}", shown(&self.path)))
    }
}

/// The ring is of another account: refused before any request.
fn account_check(ring: &Keyring, path: &Path, acct: &AccountId) -> anyhow::Result<()> {
    ring.check_account(acct).map_err(|e| match e.kind() {
        ErrorKind::KeyringAccountMismatch { ring, given } => anyhow::anyhow!(
            "keyring {} holds keys of account {ring}, not of --account-id {given} (one ring per \
             account); nothing was done",
            shown(path)
        ),
        _ => anyhow::Error::new(e),
    })
}

#[derive(Serialize)]
struct RotatedJson {
    kid: String,
    state: &'static str,
    promote_from: Option<String>,
    promote_from_unix: Option<i64>,
}

impl RotatedJson {
    fn of(ring: &Keyring, id: &KeyId) -> anyhow::Result<Self> {
        let entry = ring.key(id).context("the new key is in the ring")?;
        let from = match entry.state() {
            KeyState::Next => ring.promotable_from(),
            _ => None,
        };
        Ok(RotatedJson {
            kid: id.to_string(),
            state: entry.state().as_str(),
            promote_from: from.map(rfc3339),
            promote_from_unix: from.map(OffsetDateTime::unix_timestamp),
        })
    }
}

/// The ring an existing file holds, checked for a new key: no next key, the
/// same account. `None` for a new ring.
fn ring_for_new_key(held: &Held, acct: &AccountId) -> anyhow::Result<Option<Keyring>> {
    if !held.exists() {
        return Ok(None);
    }
    let ring = held.load()?;
    if let Some(next) = ring.next() {
        anyhow::bail!(
            "keyring {} already has a next key {}; promote it first (no key was created)",
            shown(&held.path),
            next.kid()
        );
    }
    account_check(&ring, &held.path, acct)?;
    Ok(Some(ring))
}

pub(crate) fn rotate(args: RotateArgs) -> anyhow::Result<()> {
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

/// The ids Cloudflare lists for the account.
fn listed(account: &Account) -> anyhow::Result<Vec<KeyId>> {
    let client = client(account)?;
    Ok(block_on(client.list_signing_keys())?
        .map_err(|e| refusal(e, STREAM_READ))?
        .iter()
        .map(|k| *k.id())
        .collect())
}

#[derive(Serialize)]
struct PromotedJson {
    current: String,
    previous: String,
    retire_from: Option<String>,
    retire_from_unix: Option<i64>,
}

pub(crate) fn promote(args: PromoteArgs) -> anyhow::Result<()> {
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
            "next key {kid} is younger than the minimum age; it may be promoted from {}",
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

pub(crate) fn retire(args: RetireArgs) -> anyhow::Result<()> {
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

#[derive(Serialize)]
struct RevokedJson {
    revoked: String,
    current: String,
    note: String,
}

pub(crate) fn revoke(args: RevokeArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    let kid = args.kid;
    let held = Held::lock(&args.keyring, &args.lock)?;
    let path = &held.path;
    let mut ring = held.load()?;
    account_check(&ring, path, &acct)?;
    let client = client(&args.account)?;
    let current = ring.revoke_at(now(), &kid).map_err(|e| match e.kind() {
        ErrorKind::NotInKeyring { .. } => anyhow::anyhow!(
            "key {kid} is not in keyring {}; `cf-stream-token keys delete {kid} --account-id \
             {acct}` deletes a key the ring does not hold (nothing was changed)",
            shown(path)
        ),
        ErrorKind::LastSigningKey { .. } => anyhow::anyhow!(
            "key {kid} is the ring's only key able to sign; run `cf-stream-token keys rotate` \
             first, then revoke it (nothing was changed; its tokens still play)"
        ),
        _ => anyhow::Error::new(e),
    })?;
    ring.bind_account(&acct)?;
    held.save(&ring)?;
    match block_on(client.delete_signing_key(&kid))? {
        Ok(()) => {}
        Err(e) if *e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            return Err(refusal(e, STREAM_WRITE).context(format!(
                "the ring no longer holds key {kid}, but deleting it at Cloudflare failed, so \
                 its tokens still play; run `cf-stream-token keys delete {kid} --account-id \
                 {acct}` now"
            )));
        }
    }
    emit(&serde_json::to_string(&RevokedJson {
        revoked: kid.to_string(),
        current: current.to_string(),
        note: format!("key {kid} is deleted at Cloudflare: tokens signed by it stop playing now"),
    })?)
}

#[derive(Serialize)]
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

pub(crate) fn reconcile(args: ReconcileArgs) -> anyhow::Result<()> {
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
    if let Some(failure) = failure {
        if args.json {
            // What was deleted is what a script must know: the report
            // goes out before the error.
            emit(&serde_json::to_string(&ReconciledJson {
                ring: ring.keys().len(),
                cloudflare: at_cloudflare,
                cap,
                orphans: remaining,
                rescued: rescued_json,
                other_rings: args
                    .other_rings
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
                missing: names(r.missing()),
                deleted,
                error: Some(failure.clone()),
            })?)?;
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
        return emit(&serde_json::to_string(&ReconciledJson {
            ring: ring.keys().len(),
            cloudflare: at_cloudflare,
            cap,
            orphans: remaining,
            rescued: rescued_json,
            other_rings: args
                .other_rings
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            missing: Vec::new(),
            deleted,
            error: None,
        })?);
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

#[derive(Serialize)]
struct AdoptedJson {
    #[serde(flatten)]
    key: RotatedJson,
    adopted_from: String,
}

pub(crate) fn adopt(args: AdoptArgs) -> anyhow::Result<()> {
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

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
struct PolicyJson {
    max_token_lifetime: u64,
    margin: u64,
    min_age: u64,
}

impl PolicyJson {
    fn of(ring: &Keyring) -> Self {
        PolicyJson {
            max_token_lifetime: ring.max_token_lifetime().as_secs(),
            margin: ring.margin().as_secs(),
            min_age: ring.min_age().as_secs(),
        }
    }
}

#[derive(Serialize)]
struct PolicyChangeJson {
    old: PolicyJson,
    new: PolicyJson,
    changed: bool,
    old_tokens_expire_by: Option<String>,
    old_tokens_expire_by_unix: Option<i64>,
}

pub(crate) fn policy(args: PolicyArgs) -> anyhow::Result<()> {
    let held = Held::lock(&args.keyring, &args.lock)?;
    let mut ring = held.load()?;
    let old = PolicyJson::of(&ring);
    let now = now();
    if let Some(d) = args.min_age {
        ring.set_min_age(d)
            .map_err(|e| crate::output::Usage(format!("--min-age: {e}")))?;
    }
    if let Some(d) = args.margin {
        ring.set_margin(d)
            .map_err(|e| crate::output::Usage(format!("--margin: {e}")))?;
    }
    if let Some(d) = args.max_token_lifetime {
        ring.change_max_token_lifetime_at(now, d)
            .map_err(|e| crate::output::Usage(format!("--max-token-lifetime: {e}")))?;
    }
    let new = PolicyJson::of(&ring);
    let changed = new != old;
    if changed {
        held.save(&ring)?;
    }
    let until = ring.old_tokens_expire_by();
    if args.json {
        return emit(&serde_json::to_string(&PolicyChangeJson {
            old,
            new,
            changed,
            old_tokens_expire_by: until.map(rfc3339),
            old_tokens_expire_by_unix: until.map(OffsetDateTime::unix_timestamp),
        })?);
    }
    let line = |name: &str, a: u64, b: u64| {
        let show = |s: u64| format!("{s} s ({})", span(i64::try_from(s).unwrap_or(i64::MAX)));
        if a == b {
            format!("{name}: {} (unchanged)", show(a))
        } else {
            format!("{name}: {} -> {}", show(a), show(b))
        }
    };
    let mut text = vec![
        line(
            "max_token_lifetime",
            old.max_token_lifetime,
            new.max_token_lifetime,
        ),
        line("margin", old.margin, new.margin),
        line("min_age", old.min_age, new.min_age),
    ];
    if let Some(t) = until.filter(|t| *t > now) {
        text.push(format!(
            "tokens signed under a longer lifetime may play until {}: no key retires before then",
            when(t, now)
        ));
    }
    emit(&text.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(0), "0 s");
        assert_eq!(span(40), "40 s");
        assert_eq!(span(89), "89 s");
        assert_eq!(span(90), "2 min");
        assert_eq!(span(12 * 60), "12 min");
        assert_eq!(span(89 * 60), "89 min");
        assert_eq!(span(90 * 60), "2 h");
        assert_eq!(span(89_995), "25 h");
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = t0 + Duration::from_secs(89_995);
        assert_eq!(when(t, t0), "2027-01-16T08:59:55Z (in 25 h)");
        assert!(when(t0, t).ends_with("(now)"));
    }
}
