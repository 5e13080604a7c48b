//! `keys revoke`: delete a leaked key of the keyring at once.

use std::path::PathBuf;

use cf_stream_token::{ErrorKind, KeyId};
use clap::Args;
use serde::Serialize;

use super::ring::{Held, account_check};
use crate::api::{STREAM_WRITE, block_on, client, refusal};
use crate::args::{Account, LockArgs};
use crate::input::now;
use crate::output::emit;
use crate::secret::shown;

pub(crate) const AFTER_HELP: &str = "\
For a leaked key. The ring is written first (without the key; when it was
current, the next key is promoted at once), then the key is deleted at
Cloudflare: tokens signed by it stop playing now. Refused for the current
key when there is no next key (run `keys rotate` first).

Example:
  cf-stream-token keys revoke 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --keyring ring.json \\
      --account-id 023e105f4ecef8ad9ca31a8372d0c353";

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
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Serialize)]
struct RevokedJson {
    revoked: String,
    current: String,
    note: String,
}

pub(crate) fn run(args: RevokeArgs) -> anyhow::Result<()> {
    let acct = args.account.account_id;
    let kid = args.kid;
    let held = Held::lock(&args.keyring, &args.lock)?;
    let path = &held.path;
    let mut ring = held.load()?;
    account_check(&ring, path, &acct)?;
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
    ring.bind_account(&acct)?;
    held.save(&ring)?;
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
