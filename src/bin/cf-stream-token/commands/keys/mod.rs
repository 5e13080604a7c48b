//! `keys create|list|delete`: signing keys through the Cloudflare API.

mod adopt;
mod policy;
mod promote;
mod reconcile;
mod retire;
mod revoke;
mod ring;
mod rotate;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cf_stream_token::KeyId;
use cf_stream_token::api::KeyInfo;
use clap::Subcommand;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::{STREAM_READ, STREAM_WRITE, block_on, client, refusal};
use crate::args::Account;
use crate::output::emit;
use crate::secret::shown;
use crate::secret::{Created, create_key_into, create_private};

pub(crate) const AFTER_HELP: &str = "\
Keyring commands (rotate, promote, retire, revoke, reconcile, adopt,
policy) keep a ring file: those that change it hold FILE.lock while they
read and write it (another waits up to --lock-timeout, 30s), write through
a symbolic link to its target, and refuse a ring of another account.

Examples:
  cf-stream-token keys create --account-id 023e105f4ecef8ad9ca31a8372d0c353 --out stream-key.json
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

const KEYS_CREATE_AFTER_HELP: &str = "\
FILE must not exist: it is created (mode 0600) before the request, so that
the private half, which Cloudflare shows only once, always has somewhere to
go. As soon as a success answer arrives, its result {\"id\",\"pem\",\"jwk\",
\"created\"} is written to FILE exactly as received and synced, which --key
and CF_STREAM_SIGNING_KEY read as it is. Standard output gets
{\"id\",\"created\"} only, once the key has loaded as --key would load it.

If the answer is a success but the key is unusable (it does not load, or
its id is not a key id), FILE is kept, the exit status is 1, and the error
says that the key exists at Cloudflare, where it was saved, why it is
unusable and how to delete it. If the answer is lost (timeout, broken
connection), a key may exist: `keys list` shows it. The request is sent
again only after a 429 or a connection that never opened.

Example:
  cf-stream-token keys create --account-id 023e105f4ecef8ad9ca31a8372d0c353 --out stream-key.json";

const KEYS_LIST_AFTER_HELP: &str = "\
Example:
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353";

const KEYS_DELETE_AFTER_HELP: &str = "\
Deleting a key revokes every token signed with it.

Example:
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a signing key and save it, private half included, to a new
    /// file
    #[command(after_help = KEYS_CREATE_AFTER_HELP)]
    Create {
        #[command(flatten)]
        account: Account,
        /// File to create for the key (must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// List signing keys: a JSON array of {"id","created"}, "created" RFC
    /// 3339 or null (with "created_raw", the text sent) when Cloudflare's
    /// is not
    #[command(after_help = KEYS_LIST_AFTER_HELP)]
    List {
        #[command(flatten)]
        account: Account,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// Delete a signing key, revoking every token signed with it
    #[command(after_help = KEYS_DELETE_AFTER_HELP)]
    Delete {
        /// The key id
        #[arg(value_name = "ID")]
        id: KeyId,
        #[command(flatten)]
        account: Account,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// Create a key at Cloudflare into a keyring: the first key of a new
    /// ring is current, a later one next
    #[command(after_help = rotate::AFTER_HELP)]
    Rotate(rotate::RotateArgs),
    /// Make the keyring's next key current, and its current key previous
    #[command(after_help = promote::AFTER_HELP)]
    Promote(promote::PromoteArgs),
    /// Delete the keyring's previous keys past their retirement horizon
    #[command(after_help = retire::AFTER_HELP)]
    Retire(retire::RetireArgs),
    /// Delete a leaked key of the keyring at once
    #[command(after_help = revoke::AFTER_HELP)]
    Revoke(revoke::RevokeArgs),
    /// Compare the keyring with Cloudflare's keys: orphans, missing keys,
    /// the 1,000-key cap
    #[command(after_help = reconcile::AFTER_HELP)]
    Reconcile(reconcile::ReconcileArgs),
    /// Add a key whose saved create-key answer never reached the keyring
    /// (FILE.new-key): it must be listed at Cloudflare
    #[command(after_help = adopt::AFTER_HELP)]
    Adopt(adopt::AdoptArgs),
    /// Show or change the keyring's policy: minimum age, margin, maximum
    /// token lifetime
    #[command(after_help = policy::AFTER_HELP)]
    Policy(policy::PolicyArgs),
}

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
        KeysCommand::Rotate(args) => rotate::run(args),
        KeysCommand::Promote(args) => promote::run(args),
        KeysCommand::Retire(args) => retire::run(args),
        KeysCommand::Revoke(args) => revoke::run(args),
        KeysCommand::Reconcile(args) => reconcile::run(args),
        KeysCommand::Adopt(args) => adopt::run(args),
        KeysCommand::Policy(args) => policy::run(args),
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
