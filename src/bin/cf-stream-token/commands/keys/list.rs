//! `keys list`: the account's signing keys, in the library's JSON form.

use cf_stream_token::api::KeyInfo;
use clap::Args;

use crate::api::{STREAM_READ, block_on, client, refusal};
use crate::args::Account;
use crate::output::emit;

pub(crate) const AFTER_HELP: &str = "\
Example:
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    account: Account,
    /// Print JSON (the default, and only, output)
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ListArgs) -> anyhow::Result<()> {
    let client = client(&args.account)?;
    let keys: Vec<KeyInfo> =
        block_on(client.list_signing_keys())?.map_err(|e| refusal(e, STREAM_READ))?;
    // The library's own JSON form of a listed key.
    emit(&serde_json::to_string(&keys)?)
}
