//! `token`: a token minted by Cloudflare's API.

use cf_stream_token::VideoId;
use clap::Args;

use crate::api::{STREAM_WRITE, block_on, client, refusal};
use crate::args::{Account, OptionsArgs};
use crate::input::token_options;
use crate::output::print_token;

pub(crate) const AFTER_HELP: &str = "\
The token is made by Cloudflare (POST .../stream/VIDEO/token); no key is
sent. Cloudflare advises this for low volume only; sign locally with `mint`
above that.

Example:
  cf-stream-token token --account-id 023e105f4ecef8ad9ca31a8372d0c353 \\
      --video ea95132c15732412d22c1476fa83f27a --ttl 30m --rule allow:country=GB --rule block:any";

#[derive(Args)]
pub(crate) struct RemoteTokenArgs {
    #[command(flatten)]
    pub(crate) account: Account,
    /// Video UID (32 hexadecimal characters)
    #[arg(long, value_name = "UID")]
    pub(crate) video: VideoId,
    #[command(flatten)]
    pub(crate) options: OptionsArgs,
    /// Print {"token","kid","sub","exp","nbf"} instead of the token alone
    #[arg(long)]
    pub(crate) json: bool,
}

/// `token`: always made by Cloudflare.
pub(crate) fn run(args: RemoteTokenArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let client = client(&args.account)?;
    let token =
        block_on(client.create_token(&args.video, &opts))?.map_err(|e| refusal(e, STREAM_WRITE))?;
    print_token(&token, args.json)
}
