//! `keys delete`: delete a signing key, revoking every token signed with it.

use cf_stream_token::KeyId;
use clap::Args;
use serde::Serialize;

use crate::api::{STREAM_WRITE, block_on, client, refusal};
use crate::args::Account;
use crate::output::emit;

pub(crate) const AFTER_HELP: &str = "\
Deleting a key revokes every token signed with it.

Example:
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct DeleteArgs {
    /// The key id
    #[arg(value_name = "ID")]
    id: KeyId,
    #[command(flatten)]
    account: Account,
    /// Print JSON (the default, and only, output)
    #[arg(long)]
    json: bool,
}

/// What `keys delete` prints.
#[derive(Serialize)]
struct DeletedJson<'a> {
    id: &'a str,
    deleted: bool,
}

pub(crate) fn run(args: DeleteArgs) -> anyhow::Result<()> {
    let DeleteArgs { id, account, .. } = args;
    let client = client(&account)?;
    block_on(client.delete_signing_key(&id))?.map_err(|e| refusal(e, STREAM_WRITE))?;
    emit(&serde_json::to_string(&DeletedJson {
        id: id.as_str(),
        deleted: true,
    })?)
}
