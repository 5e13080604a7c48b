//! `keys create|list|delete`: signing keys through the Cloudflare API.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use cf_stream_token::api::KeyInfo;
use cf_stream_token::{AccountId, ErrorKind};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::{STREAM_READ, STREAM_WRITE, client, refusal};
use crate::cli::{Account, KeysCommand};
use crate::emit;
use crate::input::{block_on, shown};

/// A key as `keys create` and `keys list` print it: `created` in RFC 3339,
/// or null with `created_raw` (the text Cloudflare sent, if any) when that
/// text is not an RFC 3339 date-time.
#[derive(Serialize)]
struct KeyJson<'a> {
    id: &'a str,
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_raw: Option<&'a str>,
}

impl<'a> KeyJson<'a> {
    fn new(
        id: &'a str,
        created: Option<OffsetDateTime>,
        raw: Option<&'a str>,
    ) -> anyhow::Result<Self> {
        let created = created
            .map(|t| t.format(&Rfc3339))
            .transpose()
            .context("cannot format a creation time")?;
        Ok(KeyJson {
            id,
            created_raw: if created.is_none() { raw } else { None },
            created,
        })
    }
}

/// What `keys delete` prints.
#[derive(Serialize)]
struct DeletedJson<'a> {
    id: &'a str,
    deleted: bool,
}

pub(crate) fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { account, out, .. } => create(&account, &out),
        KeysCommand::List { account, .. } => {
            let client = client(&account)?;
            let keys: Vec<KeyInfo> =
                block_on(client.list_signing_keys())?.map_err(|e| refusal(e, STREAM_READ))?;
            // The library's own JSON form of a listed key.
            emit(&serde_json::to_string(&keys)?)
        }
        KeysCommand::Delete { id, account, .. } => {
            let client = client(&account)?;
            block_on(client.delete_signing_key(&id))?.map_err(|e| refusal(e, STREAM_WRITE))?;
            emit(&serde_json::to_string(&DeletedJson {
                id: id.as_str(),
                deleted: true,
            })?)
        }
        KeysCommand::Rotate(args) => crate::ring::rotate(args),
        KeysCommand::Promote(args) => crate::ring::promote(args),
        KeysCommand::Retire(args) => crate::ring::retire(args),
        KeysCommand::Revoke(args) => crate::ring::revoke(args),
        KeysCommand::Reconcile(args) => crate::ring::reconcile(args),
        KeysCommand::Adopt(args) => crate::ring::adopt(args),
        KeysCommand::Policy(args) => crate::ring::policy(args),
    }
}

/// Create `path` for the key, refusing one that exists: atomically
/// (`create_new`), and owner-only from the first byte on unix.
fn create_key_file(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "--out {} already exists; refusing to overwrite it (no key was created)",
                shown(path)
            )
        } else {
            anyhow::anyhow!("--out {}: {e} (no key was created)", shown(path))
        }
    })
}

/// Write the answer and a newline, flushed and synced to the disk.
pub(crate) fn save(mut file: File, text: &str) -> std::io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.flush()?;
    file.sync_all()
}

/// `keys create`: the file is made before the request, so that the private
/// half (shown by Cloudflare once) always has a place to go. A success
/// answer's raw `result` (its whole body when it has none) is written there
/// first, flushed and synced, before the library parses or checks any of
/// it; the file is removed again only when no key can exist (no answer, or
/// a refusal).
fn create(account: &Account, out: &Path) -> anyhow::Result<()> {
    let client = client(account)?;
    let acct = account.account_id;
    let file = create_key_file(out)?;
    let answer = match block_on(client.create_signing_key_raw()) {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            remove_empty(file, out);
            return Err(not_created(e, acct));
        }
        Err(e) => {
            remove_empty(file, out);
            return Err(e);
        }
    };
    let saved = save(file, answer.secret_raw());
    let created = match answer.check() {
        Ok(created) => created,
        Err(e) => return Err(unusable(&e, out, saved, acct)),
    };
    let id = *created.id();
    if let Err(e) = saved {
        anyhow::bail!(
            "key {id} was created at Cloudflare but could not be saved to {}: {e}; its private \
             half is lost, so delete it with `cf-stream-token keys delete {id} --account-id {acct}`",
            shown(out)
        );
    }
    emit(&serde_json::to_string(&KeyJson::new(
        id.as_str(),
        created.created(),
        created.created_raw(),
    )?)?)
}

/// The file is still empty and ours: leave nothing behind.
fn remove_empty(file: File, out: &Path) {
    drop(file);
    let _ = std::fs::remove_file(out);
}

/// A create that brought no key back: a refusal, or an answer that was
/// lost after the request left (then a key may exist).
pub(crate) fn not_created(e: cf_stream_token::Error, acct: AccountId) -> anyhow::Error {
    if let ErrorKind::CreateOutcomeUnknown { timed_out } = *e.kind() {
        let what = if timed_out {
            "timed out"
        } else {
            "lost its connection"
        };
        return anyhow::Error::new(e).context(format!(
            "the create-key request {what} after it was sent, so a signing key may have been \
             created at Cloudflare without its private half reaching this machine; \
             `cf-stream-token keys list --account-id {acct}` shows it, and \
             `cf-stream-token keys delete ID --account-id {acct}` deletes it"
        ));
    }
    refusal(e, STREAM_WRITE)
}

/// A success answer whose key is unusable: it exists at Cloudflare, and
/// its answer is (or could not be) saved.
pub(crate) fn unusable(
    e: &cf_stream_token::Error,
    out: &Path,
    saved: std::io::Result<()>,
    acct: AccountId,
) -> anyhow::Error {
    let (id, cause) = match e.kind() {
        ErrorKind::CreatedKeyUnusable { id, cause } => (id.as_deref(), cause.to_string()),
        other => (None, other.to_string()),
    };
    let created = match id {
        Some(id) => format!("signing key {id} was created at Cloudflare"),
        None => "Cloudflare answered with success, so a signing key was created (its id could \
                 not be read)"
            .to_owned(),
    };
    let stored = match saved {
        Ok(()) => format!("its answer was saved as received to {}", shown(out)),
        Err(io) => format!(
            "its answer could not be saved to {} ({io}), so its private half is lost",
            shown(out)
        ),
    };
    let delete = match id {
        Some(id) => {
            format!("delete it with `cf-stream-token keys delete {id} --account-id {acct}`")
        }
        None => format!(
            "find it with `cf-stream-token keys list --account-id {acct}` and delete it with \
             `cf-stream-token keys delete ID --account-id {acct}`"
        ),
    };
    anyhow::anyhow!("{created}, but it is unusable: {cause}; {stored}; {delete}")
}
