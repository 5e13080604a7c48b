//! `url`: signed playback URLs, one token for every `--kind`.

use cf_stream_token::{ErrorKind, PlaybackUrls, Signer, StreamHost, TokenSource, VideoId};
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};

use crate::args::{KeySource, OptionsArgs};
use crate::input::{now, token_options};
use crate::key_source::{KeySourceResolved, resolve};
use crate::output::{Usage, emit};
use crate::parse::{self, Kind};
use crate::show::outlives;

pub(crate) const AFTER_HELP: &str = "\
Prints https://customer-CODE.cloudflarestream.com/TOKEN/SUFFIX[?QUERY] (or
the --host's origin instead), where
SUFFIX is iframe, watch, manifest/video.m3u8 (hls), manifest/video.mpd (dash),
thumbnails/thumbnail.jpg, thumbnails/thumbnail.gif, downloads/default.mp4,
downloads/audio.m4a or webRTC/play. mp4 and m4a make the token downloadable.

Parameters by kind:
  hls        clientBandwidthHint=MBPS, protocol=llhls
  dash       clientBandwidthHint=MBPS
  thumbnail  time=8s, width=PX, height=PX, fit=crop|clip|scale|fill
  gif        the thumbnail ones, duration=5s, fps=1..15
  mp4, m4a   filename=NAME (1 to 120 of A-Z a-z 0-9 _ -)

Examples:
  cf-stream-token url --key stream-key.json --customer-code f33zs165nr7gyfy4 \\
      --video ea95132c15732412d22c1476fa83f27a --kind hls
  cf-stream-token url --key stream-key.json --customer-code f33zs165nr7gyfy4 \\
      --video ea95132c15732412d22c1476fa83f27a --kind thumbnail --param time=8s --param width=320
  cf-stream-token url --key stream-key.json --host http://127.0.0.1:8787 \\
      --video ea95132c15732412d22c1476fa83f27a --kind hls   # the emulator's playback address";

// The playback host: exactly one of the two.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct HostArgs {
    /// Customer subdomain code: customer-CODE.cloudflarestream.com
    #[arg(long, value_name = "CODE", value_parser = customer_host)]
    pub(crate) customer_code: Option<StreamHost>,
    /// A host of your own instead (e.g. videodelivery.net), or a loopback
    /// base URL such as the emulator's http://127.0.0.1:PORT (http is
    /// refused for any other host)
    #[arg(long, value_name = "HOST", value_parser = custom_host)]
    pub(crate) host: Option<StreamHost>,
}

fn customer_host(code: &str) -> Result<StreamHost, cf_stream_token::Error> {
    StreamHost::customer_code(code)
}

fn custom_host(host: &str) -> Result<StreamHost, cf_stream_token::Error> {
    StreamHost::parse(host)
}

#[derive(Args)]
pub(crate) struct UrlArgs {
    #[command(flatten)]
    pub(crate) key: KeySource,
    /// Video UID (32 hexadecimal characters)
    #[arg(long, value_name = "UID")]
    pub(crate) video: VideoId,
    #[command(flatten)]
    pub(crate) host: HostArgs,
    /// What the URL serves; repeatable: one token for all, one URL per
    /// line in the order given
    #[arg(long, value_name = "KIND", required = true, value_parser = kind_parser())]
    pub(crate) kind: Vec<Kind>,
    /// Query parameter, repeatable (e.g. time=8s, width=320); it applies to
    /// every --kind that takes it
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse::parse_param)]
    pub(crate) params: Vec<(String, String)>,
    #[command(flatten)]
    pub(crate) options: OptionsArgs,
    /// Print one JSON object, {"KIND": URL, ..., "expires_at": RFC3339},
    /// instead of the URLs
    #[arg(long)]
    pub(crate) json: bool,
}

/// `--kind`: the names of the library's surface table, listed in the help.
fn kind_parser() -> impl TypedValueParser<Value = Kind> {
    PossibleValuesParser::new(Kind::ALL.map(Kind::name))
        .map(|name| parse::parse_kind(&name).expect("every possible value is a kind's name"))
}

/// `url`: signed playback URLs, one token for every `--kind`, signed
/// locally: one URL per line, or `{"KIND": URL, ...}` with `--json`.
pub(crate) fn run(args: UrlArgs) -> anyhow::Result<()> {
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
    let signed = urls.mint_at(now, &*source).map_err(|e| outlives(e, now))?;
    if args.json {
        emit(&serde_json::to_string(&signed)?)
    } else {
        emit(&signed.urls().join(
            "
",
        ))
    }
}
