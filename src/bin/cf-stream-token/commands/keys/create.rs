//! `keys create`: a signing key through the Cloudflare API, saved, private
//! half included, to a new file.

use std::fs::File;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::api::client;
use crate::args::Account;
use crate::output::emit;
use crate::secret::shown;
use crate::secret::{Created, create_key_into, create_private};

pub(crate) const AFTER_HELP: &str = "\
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

#[derive(Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    account: Account,
    /// File to create for the key (must not exist)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print JSON (the default, and only, output)
    #[arg(long)]
    json: bool,
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
pub(crate) fn run(args: CreateArgs) -> anyhow::Result<()> {
    let (account, out) = (&args.account, args.out.as_path());
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
    // The library's own JSON form of a key, as `keys list` prints it.
    emit(&serde_json::to_string(&created.info())?)
}
