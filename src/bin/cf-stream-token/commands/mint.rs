//! `mint`: sign locally, or have Cloudflare mint when no key is given.

use cf_stream_token::{AccountId, Signer, VideoId};
use clap::Args;

use crate::api::{ClientError, STREAM_WRITE, block_on, client_for, refusal};
use crate::args::{KeySource, Limits, OptionsArgs};
use crate::input::{now, token_options};
use crate::key_source::{KeySourceResolved, resolve};
use crate::output::print_token;
use crate::show::outlives;

pub(crate) const AFTER_HELP: &str = "\
Signs locally with --key FILE or CF_STREAM_SIGNING_KEY. With neither, and
with --account-id and Cloudflare credentials, Cloudflare's token endpoint
mints the token instead (suited to low volume only).

Examples:
  cf-stream-token mint --key stream-key.json --video ea95132c15732412d22c1476fa83f27a --ttl 2h
  cf-stream-token mint --key key.pem --key-id 8f3c2a1b9d4e5f60718293a4b5c6d7e8 \\
      --video ea95132c15732412d22c1476fa83f27a --rule allow:country=GB --rule block:any --json";

#[derive(Args)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) key: KeySource,
    /// Video UID (32 hexadecimal characters)
    #[arg(long, value_name = "UID")]
    pub(crate) video: VideoId,
    #[command(flatten)]
    pub(crate) options: OptionsArgs,
    /// Account for the API fallback, used only when no key is given
    #[arg(
        long,
        value_name = "ACCT",
        env = "CLOUDFLARE_ACCOUNT_ID",
        hide_env_values = true
    )]
    pub(crate) account_id: Option<AccountId>,
    /// The API fallback's limits (ignored when a key is given)
    #[command(flatten)]
    pub(crate) limits: Limits,
    /// Print {"token","kid","sub","exp","nbf"} instead of the token alone
    #[arg(long)]
    pub(crate) json: bool,
}

/// Why no token can be made without a key: names every way to give one.
const NO_KEY: &str = "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY; \
     or, to have Cloudflare mint the token, give --account-id and set \
     CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)";

/// `mint`: sign locally, or fall back to the API token endpoint when no key
/// is given but an account and credentials are.
pub(crate) fn run(args: MintArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let token = match resolve(&args.key)? {
        Some(KeySourceResolved::Ring(ring)) => {
            let now = now();
            ring.signer()
                .mint_at(now, &args.video, &opts)
                .map_err(|e| outlives(e, now))?
        }
        Some(KeySourceResolved::Key(key)) => Signer::new(key).mint(&args.video, &opts)?,
        None => {
            let account = args.account_id.ok_or_else(|| anyhow::anyhow!(NO_KEY))?;
            let client = match client_for(account, &args.limits) {
                Ok(client) => client,
                Err(ClientError::NoCredentials) => anyhow::bail!(NO_KEY),
                Err(ClientError::Other(e)) => return Err(e),
            };
            block_on(client.create_token(&args.video, &opts))?
                .map_err(|e| refusal(e, STREAM_WRITE))?
        }
    };
    print_token(&token, args.json)
}
