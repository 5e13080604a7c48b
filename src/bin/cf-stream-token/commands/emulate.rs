//! `emulate`: serve the local Stream emulator until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use cf_stream_token::emulator::Emulator;
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use crate::output::emit;
use crate::parse::parse_duration;

pub(crate) const EMULATE_AFTER_HELP: &str = "\
Prints one JSON line once it serves, then serves until SIGINT or SIGTERM:
  {\"api\":\"http://127.0.0.1:PORT/client/v4\",\"playback\":\"http://127.0.0.1:PORT\",
   \"control\":\"http://127.0.0.1:PORT/__emulator\"}
With no credential given it makes up an API token and adds it as \"api_token\".
Point a client at \"api\" (CLOUDFLARE_BASE_URL, or an SDK's base-URL option);
play /TOKEN/manifest/video.m3u8 and the other surfaces under \"playback\";
refusals carry an x-emulator-reason header. Keys are real RSA keys; the
emulator keeps only their public halves. The HLS manifest is a real
six-second stream (hls.js plays it): its playlist and segments are fetched
under the same token and each is checked as the manifest is. A browser
cannot send CF-IPCountry: make requests from 127.0.0.1 come from a country
or address with POST /__emulator/viewer {\"country\":\"US\"}. The control
endpoints and their JSON bodies are listed in the emulator module's docs.

Only requests addressed to localhost, 127.0.0.0/8 or [::1] reach the API and
the control endpoints (else 403, x-emulator-reason: foreign-host); control
requests from a web page elsewhere are refused (foreign-origin), and control
POSTs must be Content-Type: application/json (else 415). The request log
shows <token> for anything in a path that could be a token, and cuts each
path at 1 KiB. The clock stays within the years 1970..=9999. An unreadable
CF-Connecting-IP or CF-IPCountry answers 400; HEAD plays as GET.
With --state, the file is locked (FILE.lock) while the emulator runs and
written once at start: a second emulator on it, or a file that cannot be
written, stops start-up. Empty credentials are a usage error (exit 2).

Examples:
  cf-stream-token emulate --api-token test-token
  cf-stream-token emulate --api-token test-token --state emulator-state.json --rate-limit 10/60s";

/// Arguments of `emulate`.
#[derive(Args)]
pub(crate) struct EmulateArgs {
    /// Address to listen on (port 0: a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Accept this API token ("Stream Write"), repeatable
    #[arg(long = "api-token", value_name = "T")]
    api_tokens: Vec<String>,
    /// Accept this API token with "Stream Read" only (list), repeatable
    #[arg(long = "read-only-api-token", value_name = "T")]
    read_only_tokens: Vec<String>,
    /// Accept this account email with --api-key (X-Auth-Email)
    #[arg(long, value_name = "E", requires = "api_key")]
    email: Option<String>,
    /// The global API key that goes with --email (X-Auth-Key)
    #[arg(long, value_name = "K", requires = "email")]
    api_key: Option<String>,
    /// Keep keys, revocations and videos in FILE across restarts (mode 0600)
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// API calls allowed per credential and window [default: 1200/5m]
    #[arg(long, value_name = "N/DUR", value_parser = parse_rate_limit)]
    rate_limit: Option<(u32, Duration)>,
    /// Start with the clock stopped at this unix time (else the system clock)
    #[arg(long, value_name = "UNIX")]
    now: Option<i64>,
    /// New keys play only this long after they are created [default: 0s]
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    key_activation_delay: Option<Duration>,
    /// Let tokens expiring more than 24 h ahead play
    #[arg(long)]
    no_check_24h: bool,
}

/// `N/DUR`: `10/60s`, `1200/5m`.
fn parse_rate_limit(text: &str) -> Result<(u32, Duration), String> {
    let bad = || format!("invalid rate limit {text:?}: expected N/DUR, e.g. 10/60s");
    let (n, d) = text.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let d = parse_duration(d.trim()).map_err(|_| bad())?;
    if n == 0 || d.is_zero() {
        return Err(bad());
    }
    Ok((n, d))
}

/// The ready line.
#[derive(Serialize)]
struct Ready<'a> {
    api: String,
    playback: String,
    control: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_token: Option<&'a str>,
}

/// An empty credential would let in a request that sends an empty header:
/// a usage error here, before the library refuses it at start.
fn refuse_empty(args: &EmulateArgs) -> Result<(), crate::output::Usage> {
    let empty = |v: &str| v.trim().is_empty();
    let flags = [
        ("--api-token", args.api_tokens.iter().any(|t| empty(t))),
        (
            "--read-only-api-token",
            args.read_only_tokens.iter().any(|t| empty(t)),
        ),
        ("--email", args.email.as_deref().is_some_and(empty)),
        ("--api-key", args.api_key.as_deref().is_some_and(empty)),
    ];
    match flags.iter().find(|(_, is_empty)| *is_empty) {
        Some((flag, _)) => Err(crate::output::Usage(format!("{flag} must not be empty"))),
        None => Ok(()),
    }
}

pub(crate) fn run(args: EmulateArgs) -> anyhow::Result<()> {
    refuse_empty(&args)?;
    let generated =
        args.api_tokens.is_empty() && args.read_only_tokens.is_empty() && args.email.is_none();
    let mut builder = Emulator::builder()
        .bind(args.bind)
        .check_24h(!args.no_check_24h);
    for t in args.api_tokens {
        builder = builder.api_token(t);
    }
    for t in args.read_only_tokens {
        builder = builder.read_only_api_token(t);
    }
    if let (Some(email), Some(key)) = (args.email, args.api_key) {
        builder = builder.global_api_key(email, key);
    }
    if let Some(path) = args.state {
        builder = builder.state_file(path);
    }
    if let Some((n, window)) = args.rate_limit {
        builder = builder.rate_limit(n, window);
    }
    if let Some(now) = args.now {
        let now = OffsetDateTime::from_unix_timestamp(now)
            .map_err(|_| crate::output::Usage("--now is out of range".to_owned()))?;
        builder = builder.clock_at(now);
    }
    if let Some(delay) = args.key_activation_delay {
        builder = builder.key_activation_delay(delay);
    }

    // Two workers: the edge verifies signatures on both cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // The library validates the arguments (`--now` out of range, an
        // empty credential): what it refuses as invalid input is a usage
        // error, anything else (a port, a state file) a run-time one.
        let emulator = builder.start().await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidInput {
                anyhow::Error::new(crate::output::Usage(e.to_string()))
            } else {
                anyhow::Error::new(e).context("cannot start the emulator")
            }
        })?;
        // Watched before the ready line: a script that stops the emulator
        // as soon as it read that line must not find the default action
        // (death by signal, without the graceful stop) still in place.
        let stop = StopSignals::watch()?;
        emit(&serde_json::to_string(&Ready {
            api: emulator.api_base_url(),
            playback: emulator.playback_base_url(),
            control: emulator.control_base_url(),
            api_token: if generated {
                emulator.secret_api_token()
            } else {
                None
            },
        })?)?;
        stop.wait().await;
        drop(emulator);
        Ok(())
    })
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere), watched from creation on.
struct StopSignals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn watch() -> anyhow::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                int: signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?,
                term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
        #[cfg(not(unix))]
        {
            // Nothing else stops it: an error here means no Ctrl-C will come.
            let _ = tokio::signal::ctrl_c().await;
            let _ = &mut self;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits() {
        assert_eq!(
            parse_rate_limit("10/60s"),
            Ok((10, Duration::from_secs(60)))
        );
        assert_eq!(
            parse_rate_limit("1200/5m"),
            Ok((1200, Duration::from_secs(300)))
        );
        assert_eq!(parse_rate_limit("3/90"), Ok((3, Duration::from_secs(90))));
        for bad in ["10", "0/60s", "10/0s", "x/60s", "10/60x", "/60s"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }
}
