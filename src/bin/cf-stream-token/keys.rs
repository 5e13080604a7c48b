//! `keys create|list|delete`: signing keys through the Cloudflare API.

use std::fs::File;
use std::path::Path;

use anyhow::Context as _;
use cf_stream_token::api::KeyInfo;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::{STREAM_READ, STREAM_WRITE, block_on, client, refusal};
use crate::args::Account;
use crate::cli::KeysCommand;
use crate::emit;
use crate::secret::shown;
use crate::secret::{Created, create_key_into, create_private};

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

/// Create `--out` for the key, refusing one that exists.
fn create_key_file(path: &Path) -> anyhow::Result<File> {
    create_private(path).map_err(|e| {
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
/// half (shown by Cloudflare once) always has a place to go. A success
/// answer's raw `result` (its whole body when it has none) is written there
/// first, flushed and synced, before the library parses or checks any of
/// it; the file is removed again only when no key can exist (no answer, or
/// a refusal).
fn create(account: &Account, out: &Path) -> anyhow::Result<()> {
    let client = client(account)?;
    let acct = account.account_id;
    let file = create_key_file(out)?;
    let Created {
        key: created,
        saved,
        ..
    } = create_key_into(&client, file, out, acct)?;
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
