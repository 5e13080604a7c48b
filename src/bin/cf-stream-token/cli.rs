//! The command line's shape: subcommands, options, help texts.

use clap::{Parser, Subcommand};

const TOP_AFTER_HELP: &str = "\
Exit status:
  0  success
  1  failure: verify refused the token; Cloudflare refused or failed a request;
     a key, file or setting could not be read; or the token policy refused
     the request against the clock (e.g. --exp more than 24 h ahead)
  2  usage: the command line is wrong (an unknown or missing option, or a
     value that is invalid by itself, such as a bad --rule or a --ttl over 24h)

Every error is one line on standard error, and nothing is printed on
standard output (one exception: `keys reconcile --delete-orphans --json`
that fails half-way prints its report, with what it deleted, first). No
message ever shows key material or a token.

Environment:
  CF_STREAM_SIGNING_KEY  signing key contents (any form), when --key is not given
  CF_STREAM_KEY_ID       key id for PEM keys, when --key-id is not given
                         (ignored with --keyring)
  CF_STREAM_KEYRING      keyring document (contents), when neither --key,
                         --keyring nor CF_STREAM_SIGNING_KEY is given
  CLOUDFLARE_ACCOUNT_ID  account, when --account-id is not given
  CLOUDFLARE_API_TOKEN   API token (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)
  CLOUDFLARE_BASE_URL    API base URL (default https://api.cloudflare.com/client/v4)

Examples:
  cf-stream-token mint --key stream-key.json --video ea95132c15732412d22c1476fa83f27a --ttl 2h
  cf-stream-token <COMMAND> --help";

/// Mint, inspect and verify Cloudflare Stream signed-URL tokens (RS256 JWTs)
/// offline, and manage Stream signing keys through the Cloudflare API.
#[derive(Parser)]
#[command(name = "cf-stream-token", version, after_help = TOP_AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Mint a token and print it
    #[command(after_help = crate::commands::mint::AFTER_HELP)]
    Mint(crate::commands::mint::MintArgs),
    /// Mint a token and print a signed playback URL
    #[command(after_help = crate::commands::url::AFTER_HELP)]
    Url(crate::commands::url::UrlArgs),
    /// Verify a token's signature, key id and times
    #[command(after_help = crate::commands::verify::AFTER_HELP)]
    Verify(crate::commands::verify::VerifyArgs),
    /// Decode a token without verifying it: when it expires, and whether it
    /// keeps the 24-hour cap
    #[command(after_help = crate::commands::inspect::AFTER_HELP)]
    Inspect(crate::commands::inspect::InspectArgs),
    /// Create, list and delete signing keys (Cloudflare API), and keep
    /// keyrings
    #[command(subcommand, after_help = crate::commands::keys::AFTER_HELP)]
    Keys(crate::commands::keys::KeysCommand),
    /// Explain access rules in words: who may play
    #[command(subcommand, after_help = crate::commands::rules::AFTER_HELP)]
    Rules(crate::commands::rules::RulesCommand),
    /// Have Cloudflare's API mint a token
    #[command(after_help = crate::commands::token::AFTER_HELP)]
    Token(crate::commands::token::RemoteTokenArgs),
    /// Measure tokens per second against raw signatures per second
    // The key group is `mint`'s, but a keyring is refused here (it does not
    // hand out the key the raw figure needs): not offered in the help.
    #[command(after_help = crate::commands::bench::AFTER_HELP,
              mut_arg("keyring", |a| a.hide(true)))]
    Bench(crate::commands::bench::BenchArgs),
    /// Serve a local Stream: the signing-key API and a playback edge that
    /// enforces tokens
    #[command(after_help = crate::commands::emulate::EMULATE_AFTER_HELP)]
    Emulate(crate::commands::emulate::EmulateArgs),
    /// Print a shell completion script
    #[command(after_help = crate::commands::completions::AFTER_HELP)]
    Completions(crate::commands::completions::CompletionsArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
