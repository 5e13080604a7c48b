//! What the keyring commands (`keys rotate|promote|retire|revoke|reconcile|
//! adopt|policy`, one module each) share: a ring file held under its lock,
//! the account check, the ids Cloudflare lists, and the JSON of a new key.
//!
//! Every command that changes a ring holds an exclusive lock on it
//! (`FILE.lock`) from the moment it reads the ring until it has written it,
//! so that two commands never interleave their read-modify-writes. The ring
//! is written with `cf_stream_token::files::write_private` (atomic, 0600,
//! through a symbolic link to the file it points at), and its previous
//! version is kept beside that file as `FILE.prev`, written the same way
//! first. The lock file, the backup and the rescue file `FILE.new-key` all
//! sit beside the file written, the link's target for a linked ring.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cf_stream_token::files::{self, FileLock};
use cf_stream_token::{AccountId, ErrorKind, KEYRING_FILE_LIMIT, KeyId, KeyState, Keyring};
use serde::Serialize;
use time::OffsetDateTime;

use crate::api::{STREAM_READ, block_on, client, refusal};
use crate::args::{Account, LockArgs};
use crate::key_source::load;
use crate::secret::shown;
use crate::show::{rfc3339, span};

/// A ring file held for a read-modify-write: the path as given, the file
/// written (the link's target for a linked ring) and the lock beside it.
pub(super) struct Held {
    pub(super) path: PathBuf,
    pub(super) target: PathBuf,
    _lock: FileLock,
}

impl Held {
    /// Resolve the ring's link (if any) and take `TARGET.lock`, waiting at
    /// most `timeout`; nothing has been sent to Cloudflare when this fails.
    pub(super) fn lock(path: &Path, lock: &LockArgs) -> anyhow::Result<Held> {
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

    pub(super) fn exists(&self) -> bool {
        self.target.exists()
    }

    pub(super) fn load(&self) -> anyhow::Result<Keyring> {
        load(&self.path)
    }

    /// `FILE.new-key` beside the file written.
    pub(super) fn rescue(&self) -> PathBuf {
        files::with_suffix(&self.target, ".new-key")
    }

    /// Save the ring, its former contents to `TARGET.prev` first.
    pub(super) fn save(&self, ring: &Keyring) -> anyhow::Result<()> {
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
pub(super) fn account_check(ring: &Keyring, path: &Path, acct: &AccountId) -> anyhow::Result<()> {
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
pub(super) struct RotatedJson {
    kid: String,
    state: &'static str,
    promote_from: Option<String>,
    promote_from_unix: Option<i64>,
}

impl RotatedJson {
    pub(super) fn of(ring: &Keyring, id: &KeyId) -> anyhow::Result<Self> {
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
pub(super) fn ring_for_new_key(held: &Held, acct: &AccountId) -> anyhow::Result<Option<Keyring>> {
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

/// The ids Cloudflare lists for the account.
pub(super) fn listed(account: &Account) -> anyhow::Result<Vec<KeyId>> {
    let client = client(account)?;
    Ok(block_on(client.list_signing_keys())?
        .map_err(|e| refusal(e, STREAM_READ))?
        .iter()
        .map(|k| *k.id())
        .collect())
}
