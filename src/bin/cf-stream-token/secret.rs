//! The files that hold secrets: a key file read with a bound, a new file
//! created owner-only, and the create -> save -> check flow that writes a
//! created key's answer before anything else can go wrong.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use cf_stream_token::api::{Client, CreatedKey};
use cf_stream_token::{AccountId, ErrorKind};
use zeroize::Zeroizing;

use crate::api::{STREAM_WRITE, block_on, refusal};

/// Longest key file read: the library's own limit, for `--key FILE` and
/// `--key -` alike.
pub(crate) use cf_stream_token::KEY_FILE_LIMIT as MAX_KEY_FILE;

/// How a path is named in messages: as given, unless it looks like key
/// contents passed where a file name belongs.
pub(crate) fn shown(path: &Path) -> String {
    let text = path.to_string_lossy();
    if text.chars().count() <= 1024
        && !text.chars().any(char::is_control)
        && !text.contains("-----")
        && !text.contains('{')
    {
        format!("{text:?}")
    } else {
        "(not shown: it looks like key contents, not a file name)".to_owned()
    }
}

/// Read a key file whole, through the library's bounded reader, into a
/// buffer that is zeroized when dropped.
pub(crate) fn read_key_file(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let name = shown(path);
    cf_stream_token::files::read_bounded(path, MAX_KEY_FILE).map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            anyhow::anyhow!("key file {name} is larger than 1 MiB: not a key")
        } else {
            anyhow::Error::new(e).context(format!("key file {name}"))
        }
    })
}

/// Create `path`, refusing one that exists: atomically (`create_new`), and
/// owner-only from the first byte on unix.
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Write the answer and a newline, flushed and synced to the disk.
fn save(mut file: File, text: &str) -> std::io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.flush()?;
    file.sync_all()
}

/// The file is still empty and ours: leave nothing behind.
fn remove_empty(file: File, path: &Path) {
    drop(file);
    let _ = std::fs::remove_file(path);
}

/// A key created at Cloudflare: checked, its answer as received, and
/// whether that answer reached its file.
pub(crate) struct Created {
    pub(crate) key: CreatedKey,
    pub(crate) raw: Zeroizing<String>,
    pub(crate) saved: std::io::Result<()>,
}

/// Create a key at Cloudflare with its answer going to `file` (just made
/// by [`create_private`] at `path`): the raw answer is written, flushed and
/// synced before the library parses or checks any of it; the file is
/// removed again only when no key can exist (no answer, or a refusal).
pub(crate) fn create_key_into(
    client: &Client,
    file: File,
    path: &Path,
    acct: AccountId,
) -> anyhow::Result<Created> {
    let answer = match block_on(client.create_signing_key_raw()) {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            remove_empty(file, path);
            return Err(not_created(e, acct));
        }
        Err(e) => {
            remove_empty(file, path);
            return Err(e);
        }
    };
    let saved = save(file, answer.secret_raw());
    let raw = Zeroizing::new(answer.secret_raw().to_owned());
    match answer.check() {
        Ok(key) => Ok(Created { key, raw, saved }),
        Err(e) => Err(unusable(&e, path, saved, acct)),
    }
}

/// A create that brought no key back: a refusal, or an answer that was
/// lost after the request left (then a key may exist).
fn not_created(e: cf_stream_token::Error, acct: AccountId) -> anyhow::Error {
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
fn unusable(
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
