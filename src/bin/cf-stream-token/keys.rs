//! `keys create|list|delete`: signing keys through the Cloudflare API.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::KeysCommand;
use crate::emit;
use crate::input::{api_client, block_on, shown};

/// A key as `keys create` and `keys list` print it.
#[derive(Serialize)]
struct KeyJson<'a> {
    id: &'a str,
    created: String,
}

/// What `keys delete` prints.
#[derive(Serialize)]
struct DeletedJson<'a> {
    id: &'a str,
    deleted: bool,
}

fn rfc3339(t: OffsetDateTime) -> anyhow::Result<String> {
    t.format(&Rfc3339).context("cannot format a creation time")
}

pub(crate) fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { account, out } => create(account.account_id, &out),
        KeysCommand::List { account } => {
            let client = api_client(account.account_id)?;
            let keys = block_on(client.list_signing_keys())??;
            let list = keys
                .iter()
                .map(|k| {
                    Ok(KeyJson {
                        id: k.id().as_str(),
                        created: rfc3339(k.created())?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            emit(&serde_json::to_string(&list)?)
        }
        KeysCommand::Delete { id, account } => {
            let client = api_client(account.account_id)?;
            block_on(client.delete_signing_key(&id))??;
            emit(&serde_json::to_string(&DeletedJson {
                id: id.as_str(),
                deleted: true,
            })?)
        }
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

/// `keys create`: the file is made before the request, so that the private
/// half (shown by Cloudflare once) always has a place to go; it is removed
/// again if no key comes back.
fn create(account: cf_stream_token::AccountId, out: &Path) -> anyhow::Result<()> {
    let client = api_client(account)?;
    let mut file = create_key_file(out)?;
    let created = match block_on(client.create_signing_key()).and_then(|r| Ok(r?)) {
        Ok(created) => created,
        Err(e) => {
            drop(file);
            // The file is empty and ours: leave nothing behind.
            let _ = std::fs::remove_file(out);
            return Err(e);
        }
    };
    let id = *created.id();
    let written = file
        .write_all(created.secret_result_json().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        anyhow::bail!(
            "key {id} was created but could not be saved to {}: {e}; its private half is lost, \
             so delete it with `cf-stream-token keys delete {id}`",
            shown(out)
        );
    }
    emit(&serde_json::to_string(&KeyJson {
        id: id.as_str(),
        created: rfc3339(created.created())?,
    })?)
}
