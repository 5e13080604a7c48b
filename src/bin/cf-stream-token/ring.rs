//! `keys rotate|promote|retire|revoke|reconcile`: a keyring file and the
//! keys at Cloudflare, and the `--keyring` of `mint`, `url` and `verify`.
//!
//! The file is written atomically (a temporary file in the same directory,
//! mode 0600, synced, renamed over it), and its previous version is kept
//! beside it as `FILE.prev`, written the same way first.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use cf_stream_token::{ErrorKind, KEYRING_ENV, KeyId, KeyState, Keyring};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::api::{STREAM_READ, STREAM_WRITE, client, refusal};
use crate::cli::{Account, KeySource};
use crate::emit;
use crate::input::{block_on, now, read_key_file, shown};
use crate::parse::parse_duration;

pub(crate) const ROTATE_AFTER_HELP: &str = "\
A missing FILE starts a ring whose first key is current at once (it plays
once Cloudflare has propagated it). Otherwise the new key is `next`: it
verifies but does not sign until `keys promote`.

The key's answer, private half included, is written to FILE.new-key (mode
0600, created before the request) as soon as it arrives, then into the
ring, and FILE.new-key is removed. If the ring cannot be written, the
error says so and FILE.new-key keeps the only copy of the key.

Example:
  cf-stream-token keys rotate --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353";

pub(crate) const PROMOTE_AFTER_HELP: &str = "\
The next key becomes current (it signs) and the current key becomes
previous (it verifies only). Refused until the next key is --min-age old
[default: the ring's, 1h]: Cloudflare does not document how soon a new
key plays, and every instance of a fleet must have reloaded the ring with
the new key before any of them signs with it.

Example:
  cf-stream-token keys promote --keyring ring.json";

pub(crate) const RETIRE_AFTER_HELP: &str = "\
Deletes at Cloudflare, and removes from the ring, every previous key past
its horizon: demoted at + the ring's maximum token lifetime + --margin
[default: the ring's, 1h]. Before any horizon it refuses (exit 1) and says
when it will be safe. Deleting a key revokes every token it signed.

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
Compares the ring with Cloudflare's list. Orphans (keys at Cloudflare not in
the ring: their private half is lost here, and they count toward the 1,000
key cap) are reported with exit 0; --delete-orphans deletes them, never a
key of the ring. Keys of the ring that Cloudflare does not list were
deleted behind the ring's back (their tokens do not play): exit 1.

Example:
  cf-stream-token keys reconcile --keyring ring.json --account-id 023e105f4ecef8ad9ca31a8372d0c353 --json";

#[derive(Args)]
pub(crate) struct RotateArgs {
    /// The keyring file (created when missing)
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Longest token the ring signs, for a new ring: seconds, or 30m, 2h
    /// [default: 24h]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    max_token_lifetime: Option<Duration>,
}

#[derive(Args)]
pub(crate) struct PromoteArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// Minimum age of the next key (saved in the ring) [default: the
    /// ring's, 1h]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    min_age: Option<Duration>,
}

#[derive(Args)]
pub(crate) struct RetireArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Propagation margin of the horizon (saved in the ring) [default: the
    /// ring's, 1h]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    margin: Option<Duration>,
    /// Say what would be deleted, delete nothing
    #[arg(long)]
    dry_run: bool,
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
}

#[derive(Args)]
pub(crate) struct ReconcileArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    #[command(flatten)]
    account: Account,
    /// Delete the orphans at Cloudflare (never a key of the ring)
    #[arg(long)]
    delete_orphans: bool,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn unix(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t).map_or_else(|_| t.to_string(), rfc3339)
}

/// Read a keyring file.
pub(crate) fn load(path: &Path) -> anyhow::Result<Keyring> {
    let bytes = read_key_file(path).with_context(|| format!("keyring {}", shown(path)))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow::anyhow!("keyring {} is not UTF-8", shown(path)))?;
    Keyring::from_document(text).with_context(|| format!("keyring {}", shown(path)))
}

/// The ring `mint`, `url` and `verify` use: `--keyring FILE`, else the
/// document in `CF_STREAM_KEYRING` when no other key is given.
pub(crate) fn source_ring(source: &KeySource) -> anyhow::Result<Option<Keyring>> {
    ring_from(source.keyring.as_deref(), source.key.is_some())
}

pub(crate) fn ring_from(path: Option<&Path>, key_given: bool) -> anyhow::Result<Option<Keyring>> {
    if let Some(path) = path {
        return load(path).map(Some);
    }
    let signing_key_set = std::env::var_os(crate::input::ENV_SIGNING_KEY)
        .is_some_and(|v| !v.to_string_lossy().trim().is_empty());
    if key_given || signing_key_set {
        return Ok(None);
    }
    match std::env::var(KEYRING_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            let v = Zeroizing::new(v);
            Keyring::from_document(&v).map(Some).context(KEYRING_ENV)
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{KEYRING_ENV} is not valid UTF-8"),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `bytes` to `path` atomically: a new temporary file beside it (0600),
/// synced, renamed over it, the directory synced.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "keyring".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the directory is synced.
        #[cfg(unix)]
        File::open(&dir)?.sync_all()?;
        Ok(())
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Save the ring to `path`, its former contents to `path.prev` first.
fn save_ring(path: &Path, ring: &Keyring) -> anyhow::Result<()> {
    let mut doc = ring.secret_document()?;
    doc.push('\n');
    if path.exists() {
        let old = read_key_file(path)?;
        let prev = with_suffix(path, ".prev");
        write_atomic(&prev, &old).with_context(|| format!("keyring backup {}", shown(&prev)))?;
    }
    write_atomic(path, doc.as_bytes()).with_context(|| format!("keyring {}", shown(path)))
}

#[derive(Serialize)]
struct RotatedJson {
    kid: String,
    state: &'static str,
    promote_from: Option<String>,
}

pub(crate) fn rotate(args: RotateArgs) -> anyhow::Result<()> {
    let path = &args.keyring;
    let acct = args.account.account_id;
    let ring = if path.exists() {
        let ring = load(path)?;
        if let Some(next) = ring.next() {
            anyhow::bail!(
                "keyring {} already has a next key {}; promote it first (no key was created)",
                shown(path),
                next.kid()
            );
        }
        if let Some(l) = args.max_token_lifetime
            && l != ring.max_token_lifetime()
        {
            return Err(crate::Usage(format!(
                "--max-token-lifetime is set when a ring starts; keyring {} has {} s",
                shown(path),
                ring.max_token_lifetime().as_secs()
            ))
            .into());
        }
        Some(ring)
    } else {
        None
    };
    let client = client(&args.account)?;
    let rescue = with_suffix(path, ".new-key");
    let file = create_rescue(&rescue)?;
    let answer = match block_on(client.create_signing_key_raw()) {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            remove_empty(file, &rescue);
            return Err(crate::keys::not_created(e, acct));
        }
        Err(e) => {
            remove_empty(file, &rescue);
            return Err(e);
        }
    };
    let saved = crate::keys::save(file, answer.secret_raw());
    let raw = Zeroizing::new(answer.secret_raw().to_owned());
    let created = match answer.check() {
        Ok(created) => created,
        Err(e) => return Err(crate::keys::unusable(&e, &rescue, saved, acct)),
    };
    let id = *created.id();
    drop(created);
    let now = now();
    let written = (|| -> anyhow::Result<Keyring> {
        let ring = match ring {
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
        save_ring(path, &ring)?;
        Ok(ring)
    })();
    let ring = match (written, saved) {
        (Ok(ring), _) => {
            let _ = std::fs::remove_file(&rescue);
            ring
        }
        (Err(e), Ok(())) => anyhow::bail!(
            "key {id} was created at Cloudflare and its answer is saved in {}, but the ring \
             could not be written ({e:#}); add it by hand, or delete the key with \
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
    let entry = ring.key(&id).context("the new key is in the ring")?;
    emit(&serde_json::to_string(&RotatedJson {
        kid: id.to_string(),
        state: entry.state().as_str(),
        promote_from: match entry.state() {
            KeyState::Next => ring.promotable_from().map(rfc3339),
            _ => None,
        },
    })?)
}

fn create_rescue(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists: an earlier rotate left a key's answer there; add it to the ring or \
                 delete it first (no key was created)",
                shown(path)
            )
        } else {
            anyhow::anyhow!("{}: {e} (no key was created)", shown(path))
        }
    })
}

fn remove_empty(file: File, path: &Path) {
    drop(file);
    let _ = std::fs::remove_file(path);
}

#[derive(Serialize)]
struct PromotedJson {
    current: String,
    previous: String,
    retire_from: Option<String>,
}

pub(crate) fn promote(args: PromoteArgs) -> anyhow::Result<()> {
    let path = &args.keyring;
    let mut ring = load(path)?;
    if let Some(age) = args.min_age {
        ring.set_min_age(age)
            .map_err(|e| crate::Usage(format!("--min-age: {e}")))?;
    }
    let old = *ring.current().kid();
    let now = now();
    let new = ring.promote_at(now).map_err(|e| match e.kind() {
        ErrorKind::KeyTooYoung { kid, ready_at } => anyhow::anyhow!(
            "next key {kid} is younger than the minimum age; it may be promoted from {} (in {} s)",
            unix(*ready_at),
            ready_at - now.unix_timestamp()
        ),
        _ => anyhow::Error::new(e).context(format!("keyring {}", shown(path))),
    })?;
    save_ring(path, &ring)?;
    emit(&serde_json::to_string(&PromotedJson {
        current: new.to_string(),
        previous: old.to_string(),
        retire_from: ring.horizon(&old).map(rfc3339),
    })?)
}

#[derive(Serialize)]
struct Waiting {
    kid: String,
    retire_from: Option<String>,
}

#[derive(Serialize)]
struct RetiredJson {
    retired: Vec<String>,
    dry_run: bool,
    waiting: Vec<Waiting>,
}

pub(crate) fn retire(args: RetireArgs) -> anyhow::Result<()> {
    let path = &args.keyring;
    let mut ring = load(path)?;
    if let Some(m) = args.margin {
        ring.set_margin(m)
            .map_err(|e| crate::Usage(format!("--margin: {e}")))?;
    }
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
            "previous key {kid} may still have tokens playing; it can be retired from {} \
             (in {} s); nothing was deleted",
            rfc3339(*at),
            (*at - now).whole_seconds()
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
            save_ring(path, &ring).with_context(|| {
                format!("key {kid} was deleted at Cloudflare, but the ring still lists it")
            })?;
            retired.push(kid.to_string());
        }
        if due.is_empty() && args.margin.is_some() {
            save_ring(path, &ring)?;
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
                retire_from: Some(rfc3339(*h)),
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
    let path = &args.keyring;
    let acct = args.account.account_id;
    let kid = args.kid;
    let mut ring = load(path)?;
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
    save_ring(path, &ring)?;
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
struct ReconciledJson {
    ring: usize,
    cloudflare: usize,
    cap: usize,
    orphans: Vec<String>,
    missing: Vec<String>,
    deleted: Vec<String>,
}

pub(crate) fn reconcile(args: ReconcileArgs) -> anyhow::Result<()> {
    let ring = load(&args.keyring)?;
    let client = client(&args.account)?;
    let listed: Vec<KeyId> = block_on(client.list_signing_keys())?
        .map_err(|e| refusal(e, STREAM_READ))?
        .iter()
        .map(|k| *k.id())
        .collect();
    let r = ring.reconcile(&listed);
    let names = |ids: &[KeyId]| ids.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut deleted = Vec::new();
    if args.delete_orphans {
        for orphan in r.orphans() {
            // Never a key of the ring, whatever the list said.
            if ring.key(orphan).is_some() {
                continue;
            }
            match block_on(client.delete_signing_key(orphan))? {
                Ok(()) => {}
                Err(e) if *e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(refusal(e, STREAM_WRITE)),
            }
            deleted.push(orphan.to_string());
        }
    }
    let at_cloudflare = r.remote_count() - deleted.len();
    let cap = cf_stream_token::ACCOUNT_KEY_CAP;
    if !r.missing().is_empty() {
        anyhow::bail!(
            "{} key(s) of the ring are not at Cloudflare (deleted behind the ring's back; their \
             tokens do not play): {}; orphans: {}; deleted: {}; {at_cloudflare} of {cap} keys \
             used",
            r.missing().len(),
            names(r.missing()).join(", "),
            list_or_none(&names(r.orphans())),
            list_or_none(&deleted),
        );
    }
    if args.json {
        return emit(&serde_json::to_string(&ReconciledJson {
            ring: ring.keys().len(),
            cloudflare: at_cloudflare,
            cap,
            orphans: names(r.orphans()),
            missing: Vec::new(),
            deleted,
        })?);
    }
    emit(&format!(
        "ring: {} keys, all at Cloudflare\norphans: {}\ndeleted: {}\ncloudflare: {at_cloudflare} of {cap} keys",
        ring.keys().len(),
        list_or_none(&names(r.orphans())),
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
