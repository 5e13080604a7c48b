//! The commands that make a token: `mint`, `url` and `token`.

use anyhow::Context as _;
use cf_stream_token::api::Credentials;
use cf_stream_token::{ErrorKind, FallbackMinter, PlaybackUrls, Signer, StreamHost, Token};
use serde::Serialize;

use crate::cli::{MintArgs, RemoteTokenArgs, UrlArgs};
use crate::input::{api_client, block_on, local_key, token_options};
use crate::{Usage, emit, parse};

/// Why no token can be made without a key: names every way to give one.
const NO_KEY: &str = "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY; \
     or, to have Cloudflare mint the token, give --account-id and set \
     CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)";

/// `--json` output of `mint` and `token`, members in this order.
#[derive(Serialize)]
struct MintedJson<'a> {
    token: &'a str,
    kid: &'a str,
    sub: &'a str,
    exp: i64,
    nbf: Option<i64>,
}

/// The token alone, or `{"token","kid","sub","exp","nbf"}`.
fn print_token(token: &Token, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        emit(&serde_json::to_string(&MintedJson {
            token: token.as_str(),
            kid: token.kid().as_str(),
            sub: token.video().as_str(),
            exp: token.exp(),
            nbf: token.nbf(),
        })?)
    } else {
        emit(token.as_str())
    }
}

/// `mint`: sign locally, or fall back to the API token endpoint when no key
/// is given but an account and credentials are.
pub(crate) fn mint(args: MintArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let token = match local_key(&args.key)? {
        Some(key) => Signer::new(key).mint(&args.video, &opts)?,
        None => {
            let account = args.account_id.ok_or_else(|| anyhow::anyhow!(NO_KEY))?;
            if let Err(e) = Credentials::from_env()
                && *e.kind() == ErrorKind::MissingCredentials
            {
                anyhow::bail!(NO_KEY);
            }
            let minter = FallbackMinter::builder()
                .client(api_client(account)?)
                .build()?;
            block_on(minter.mint(&args.video, &opts))??
        }
    };
    print_token(&token, args.json)
}

/// `token`: always made by Cloudflare.
pub(crate) fn remote_token(args: RemoteTokenArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let client = crate::api::client(&args.account)?;
    let token = block_on(client.create_token(&args.video, &opts))?
        .map_err(|e| crate::api::refusal(e, crate::api::STREAM_WRITE))?;
    print_token(&token, args.json)
}

/// `url`: one signed playback URL, signed locally.
pub(crate) fn url(args: UrlArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let surface = parse::surface(args.kind, &args.params).map_err(Usage)?;
    let host: StreamHost = match (args.host.customer_code, args.host.host) {
        (Some(host), _) | (None, Some(host)) => host,
        (None, None) => unreachable!("clap requires one of --customer-code and --host"),
    };
    let key = local_key(&args.key)?.ok_or_else(|| {
        anyhow::anyhow!("no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY")
    })?;
    // Values the parser let through but the URL builder refuses (an fps
    // over 15, a bad file name) are command-line errors too.
    let urls = PlaybackUrls::builder(host, args.video)
        .options(opts)
        .surface(surface)
        .build()
        .map_err(|e| Usage(format!("--param: {e}")))?;
    let signed = urls.mint(&Signer::new(key))?;
    let url = signed
        .urls()
        .first()
        .context("no URL was made for the surface")?;
    emit(url)
}
