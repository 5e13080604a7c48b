//! The commands that make a token: `mint`, `url` and `token`.

use cf_stream_token::{ErrorKind, PlaybackUrls, Signer, StreamHost, Token, TokenSource};
use serde::Serialize;

use crate::api::{ClientError, STREAM_WRITE, block_on, client, client_for, refusal};
use crate::cli::{MintArgs, RemoteTokenArgs, UrlArgs};
use crate::input::{now, token_options};
use crate::key_source::{KeySourceResolved, resolve};
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
    let token = match resolve(&args.key)? {
        Some(KeySourceResolved::Ring(ring)) => {
            let now = now();
            ring.signer()
                .mint_at(now, &args.video, &opts)
                .map_err(|e| crate::ring::outlives(e, now))?
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

/// `token`: always made by Cloudflare.
pub(crate) fn remote_token(args: RemoteTokenArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let client = client(&args.account)?;
    let token =
        block_on(client.create_token(&args.video, &opts))?.map_err(|e| refusal(e, STREAM_WRITE))?;
    print_token(&token, args.json)
}

/// `url`: signed playback URLs, one token for every `--kind`, signed
/// locally: one URL per line, or `{"KIND": URL, ...}` with `--json`.
pub(crate) fn url(args: UrlArgs) -> anyhow::Result<()> {
    let opts = token_options(&args.options)?;
    let surfaces = parse::surfaces(&args.kind, &args.params).map_err(Usage)?;
    let host: StreamHost = match (args.host.customer_code, args.host.host) {
        (Some(host), _) | (None, Some(host)) => host,
        (None, None) => unreachable!("clap requires one of --customer-code and --host"),
    };
    let now = now();
    // A ring's signer keeps the ring's lifetime itself, on the mint below.
    let source: Box<dyn TokenSource> = match resolve(&args.key)? {
        Some(KeySourceResolved::Ring(ring)) => Box::new(ring.signer()),
        Some(KeySourceResolved::Key(key)) => Box::new(Signer::new(key)),
        None => anyhow::bail!("no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY"),
    };
    // The parser reads the values; the URL builder checks them (an fps
    // over 15, a zero width, a bad file name). What it refuses is on the
    // command line, so a usage error.
    let urls = PlaybackUrls::builder(host, args.video)
        .options(opts)
        .surfaces(surfaces)
        .build()
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidUrlPart { .. } | ErrorKind::UrlTooLong { .. } => {
                anyhow::Error::new(Usage(format!("--param: {e}")))
            }
            _ => anyhow::Error::new(e),
        })?;
    let signed = urls
        .mint_at(now, &*source)
        .map_err(|e| crate::ring::outlives(e, now))?;
    if args.json {
        emit(&serde_json::to_string(&signed)?)
    } else {
        emit(&signed.urls().join(
            "
",
        ))
    }
}
