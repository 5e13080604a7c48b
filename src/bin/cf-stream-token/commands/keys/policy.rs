//! `keys policy`: show or change the keyring's policy (minimum age, margin,
//! maximum token lifetime, the fleet's reload bound).

use std::path::PathBuf;
use std::time::Duration;

use cf_stream_token::Keyring;
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

use super::ring::Held;
use crate::args::LockArgs;
use crate::input::now;
use crate::output::emit;
use crate::parse::{parse_duration, parse_ttl};
use crate::show::{rfc3339, span, when};

pub(crate) const AFTER_HELP: &str = "\
Prints the ring's policy, and changes what is given: the minimum age of a
next key before promotion, the propagation margin of the retirement
horizon, the maximum token lifetime, and the fleet's reload bound.
Lowering the lifetime records by when the tokens signed under the old one
expire: no key retires before then. Flags of promote and retire apply to
their run only; this command changes the ring.

The reload bound is the longest time from publishing the ring to the last
instance of the fleet signing with it: the instances' reload interval plus
any cache of the secret store (a Kubernetes Secret volume adds the
kubelet's sync, about a minute). `keys promote` then waits at least that
long after the next key was added, and a margin shorter than it is refused.

Example:
  cf-stream-token keys policy --keyring ring.json --max-token-lifetime 2h --margin 30m
  cf-stream-token keys policy --keyring ring.json --reload-bound 3m";

#[derive(Args)]
pub(crate) struct PolicyArgs {
    /// The keyring file
    #[arg(long, value_name = "FILE")]
    keyring: PathBuf,
    /// Minimum age of a next key before promotion (at most 30 days)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    min_age: Option<Duration>,
    /// Propagation margin of the retirement horizon (at most 30 days)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    margin: Option<Duration>,
    /// Longest token the ring signs: 1s to 24h
    #[arg(long, value_name = "DUR", value_parser = parse_ttl)]
    max_token_lifetime: Option<Duration>,
    /// The fleet's reload bound: reload interval + secret-store cache (at
    /// most the margin)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    reload_bound: Option<Duration>,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lock: LockArgs,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
struct PolicyJson {
    max_token_lifetime: u64,
    margin: u64,
    min_age: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reload_bound: Option<u64>,
}

impl PolicyJson {
    fn of(ring: &Keyring) -> Self {
        PolicyJson {
            max_token_lifetime: ring.max_token_lifetime().as_secs(),
            margin: ring.margin().as_secs(),
            min_age: ring.min_age().as_secs(),
            reload_bound: ring.reload_bound().map(|b| b.as_secs()),
        }
    }
}

#[derive(Serialize)]
struct PolicyChangeJson {
    old: PolicyJson,
    new: PolicyJson,
    changed: bool,
    old_tokens_expire_by: Option<String>,
    old_tokens_expire_by_unix: Option<i64>,
}

pub(crate) fn run(args: PolicyArgs) -> anyhow::Result<()> {
    let held = Held::lock(&args.keyring, &args.lock)?;
    let mut ring = held.load()?;
    let old = PolicyJson::of(&ring);
    let now = now();
    if let Some(d) = args.min_age {
        ring.set_min_age(d)
            .map_err(|e| crate::output::Usage(format!("--min-age: {e}")))?;
    }
    let margin = |ring: &mut Keyring, d| {
        ring.set_margin(d)
            .map_err(|e| crate::output::Usage(format!("--margin: {e}")))
    };
    let bound = |ring: &mut Keyring, d| {
        ring.set_reload_bound(d)
            .map_err(|e| crate::output::Usage(format!("--reload-bound: {e}")))
    };
    // Both given: the margin first when the bound outgrows the margin in
    // force, else the bound first, so that only the final pair is judged.
    match (args.margin, args.reload_bound) {
        (Some(m), Some(b)) if b > ring.margin() => {
            margin(&mut ring, m)?;
            bound(&mut ring, b)?;
        }
        (m, b) => {
            if let Some(b) = b {
                bound(&mut ring, b)?;
            }
            if let Some(m) = m {
                margin(&mut ring, m)?;
            }
        }
    }
    if let Some(d) = args.max_token_lifetime {
        ring.change_max_token_lifetime_at(now, d)
            .map_err(|e| crate::output::Usage(format!("--max-token-lifetime: {e}")))?;
    }
    let new = PolicyJson::of(&ring);
    let changed = new != old;
    if changed {
        held.save(&ring)?;
    }
    let until = ring.old_tokens_expire_by();
    if args.json {
        return emit(&serde_json::to_string(&PolicyChangeJson {
            old,
            new,
            changed,
            old_tokens_expire_by: until.map(rfc3339),
            old_tokens_expire_by_unix: until.map(OffsetDateTime::unix_timestamp),
        })?);
    }
    let line = |name: &str, a: u64, b: u64| {
        let show = |s: u64| format!("{s} s ({})", span(i64::try_from(s).unwrap_or(i64::MAX)));
        if a == b {
            format!("{name}: {} (unchanged)", show(a))
        } else {
            format!("{name}: {} -> {}", show(a), show(b))
        }
    };
    let mut text = vec![
        line(
            "max_token_lifetime",
            old.max_token_lifetime,
            new.max_token_lifetime,
        ),
        line("margin", old.margin, new.margin),
        line("min_age", old.min_age, new.min_age),
    ];
    match (old.reload_bound, new.reload_bound) {
        (None, None) => text.push("reload_bound: not set".to_owned()),
        (None, Some(b)) => text.push(format!(
            "reload_bound: not set -> {b} s ({})",
            span(i64::try_from(b).unwrap_or(i64::MAX))
        )),
        (Some(a), b) => text.push(line("reload_bound", a, b.unwrap_or(a))),
    }
    if let Some(t) = until.filter(|t| *t > now) {
        text.push(format!(
            "tokens signed under a longer lifetime may play until {}: no key retires before then",
            when(t, now)
        ));
    }
    emit(&text.join("\n"))
}
