//! `bench`: tokens per second from the library's signer against raw RS256
//! signatures per second, measured in one run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cf_stream_token::{Signer, SigningKey, TokenOptions, VideoId};
use clap::Args;
use serde::Serialize;

use crate::args::KeySource;
use crate::key_source::{KeySourceResolved, resolve};
use crate::output::{Usage, emit};

pub(crate) const AFTER_HELP: &str = "\
The two measurements alternate in short slices over the same run, so that
background load hits both alike. The raw figure is one RS256 signature by
aws-lc-rs over the same signing input with the same key, nothing else.

The key is found as `mint` finds it: --key FILE (- for standard input),
else CF_STREAM_SIGNING_KEY, with --key-id or CF_STREAM_KEY_ID; without
either, the built-in demo key. A keyring (--keyring, CF_STREAM_KEYRING) is
refused: it does not hand out the key the raw figure needs.

Examples:
  cf-stream-token bench --seconds 5
  cf-stream-token bench --seconds 10 --threads 2 --key stream-key.json --json";

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// How long to run, in seconds (split between the two measurements)
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) seconds: u64,
    /// Threads minting (and signing) at once
    #[arg(long, value_name = "T", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) threads: u16,
    /// The key, found as `mint` finds it (without one: the built-in demo
    /// key)
    #[command(flatten)]
    pub(crate) key: KeySource,
    /// Print {"tokens_per_sec","raw_sign_per_sec","ratio","threads","seconds"}
    #[arg(long)]
    pub(crate) json: bool,
}

/// The project's demo key: public, for tests and demos only.
const DEMO_KEY: &str = include_str!("../../../../fixtures/demo/demo_create_result.json");
const DEMO_VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";

/// Each measurement runs in slices of this length, alternating with the
/// other, so that a change in background load hits both alike.
const SLICE: Duration = Duration::from_millis(250);

/// Operations completed and the time they took.
#[derive(Clone, Copy, Default)]
struct Tally {
    ops: u64,
    elapsed: Duration,
}

impl Tally {
    fn per_sec(self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
}

/// Run `op` on `threads` threads until `slice` has passed.
fn burst<E: Send>(
    threads: u16,
    slice: Duration,
    op: &(dyn Fn() -> Result<(), E> + Sync),
) -> Result<Tally, E> {
    let start = Instant::now();
    let deadline = start + slice;
    let counts: Vec<Result<u64, E>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        op()?;
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a bench thread panicked"))
            .collect()
    });
    let elapsed = start.elapsed();
    let mut ops = 0;
    for c in counts {
        ops += c?;
    }
    Ok(Tally { ops, elapsed })
}

/// `bench --json` output.
#[derive(Serialize)]
struct BenchJson {
    tokens_per_sec: f64,
    raw_sign_per_sec: f64,
    ratio: f64,
    threads: u16,
    seconds: u64,
}

/// Why a keyring cannot be benchmarked: the raw figure signs with the key
/// itself, which a ring never hands out.
const NO_RING: &str = "bench compares minting with a bare RS256 signature by the same key, and a \
     keyring does not hand out its keys: give --key FILE (a key of the ring), or unset \
     CF_STREAM_KEYRING to use the built-in demo key";

/// Where the key came from, as the text output names it.
fn key_origin(source: &KeySource) -> &'static str {
    if source.key.is_some() {
        "--key"
    } else {
        "CF_STREAM_SIGNING_KEY"
    }
}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.key.keyring.is_some() {
        return Err(Usage(NO_RING.to_owned()).into());
    }
    let (key, origin) = match resolve(&args.key)? {
        Some(KeySourceResolved::Key(key)) => (key, key_origin(&args.key)),
        Some(KeySourceResolved::Ring(_)) => return Err(Usage(NO_RING.to_owned()).into()),
        None if args.key.key_id.is_some() => {
            return Err(Usage(
                "--key-id names the key of --key FILE or CF_STREAM_SIGNING_KEY, and neither is \
                 given (bench uses its built-in demo key then)"
                    .to_owned(),
            )
            .into());
        }
        None => (
            SigningKey::parse(DEMO_KEY, None)?,
            "built-in demo key: public, for tests only",
        ),
    };
    let signer = Signer::new(key);
    let video = VideoId::new(DEMO_VIDEO)?;
    let opts = TokenOptions::default();
    // The raw signatures are over exactly the bytes a token signs.
    let sample = signer.mint(&video, &opts)?;
    let signing_input = sample
        .as_str()
        .rsplit_once('.')
        .map(|(signed, _)| signed.as_bytes().to_vec())
        .unwrap_or_default();

    let mint_op = || {
        signer
            .mint(black_box(&video), black_box(&opts))
            .map(black_box)
            .map(drop)
    };
    let raw_op = || {
        cf_stream_token::hazmat::sign_rs256(signer.key(), black_box(&signing_input))
            .map(black_box)
            .map(drop)
    };

    let total = Duration::from_secs(args.seconds);
    let pairs = (total.as_millis() / (2 * SLICE.as_millis())).max(1);
    let slice = total / u32::try_from(2 * pairs).unwrap_or(u32::MAX);
    let (mut minted, mut raw) = (Tally::default(), Tally::default());
    for pair in 0..pairs {
        // Alternate which goes first, so that neither always follows a rest.
        let order: [bool; 2] = if pair % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_mint in order {
            let t = if is_mint {
                burst(args.threads, slice, &mint_op)?
            } else {
                burst(args.threads, slice, &raw_op)?
            };
            let acc = if is_mint { &mut minted } else { &mut raw };
            acc.ops += t.ops;
            acc.elapsed += t.elapsed;
        }
    }
    if minted.ops == 0 || raw.ops == 0 {
        anyhow::bail!(
            "no operation completed in {} s; try more --seconds",
            args.seconds
        );
    }
    let (tokens, sigs) = (minted.per_sec(), raw.per_sec());
    let ratio = tokens / sigs;

    if args.json {
        return emit(&serde_json::to_string(&BenchJson {
            tokens_per_sec: tokens,
            raw_sign_per_sec: sigs,
            ratio,
            threads: args.threads,
            seconds: args.seconds,
        })?);
    }
    emit(&format!(
        "key:              {} ({origin}), {} bits\n\
         threads:          {}\n\
         seconds:          {}\n\
         tokens/s:         {tokens:.0}\n\
         raw signatures/s: {sigs:.0} (aws-lc-rs RS256 alone: same key, same bytes)\n\
         ratio:            {ratio:.3}",
        signer.kid(),
        signer.key().bits(),
        args.threads,
        args.seconds,
    ))
}
