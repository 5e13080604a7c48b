//! The command line's shape: subcommands, options, help texts.

use std::path::PathBuf;

use cf_stream_token::KeyId;
use clap::{Parser, Subcommand};

use crate::args::Account;

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

const KEYS_AFTER_HELP: &str = "\
Keyring commands (rotate, promote, retire, revoke, reconcile, adopt,
policy) keep a ring file: those that change it hold FILE.lock while they
read and write it (another waits up to --lock-timeout, 30s), write through
a symbolic link to its target, and refuse a ring of another account.

Examples:
  cf-stream-token keys create --account-id 023e105f4ecef8ad9ca31a8372d0c353 --out stream-key.json
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

const KEYS_CREATE_AFTER_HELP: &str = "\
FILE must not exist: it is created (mode 0600) before the request, so that
the private half, which Cloudflare shows only once, always has somewhere to
go. As soon as a success answer arrives, its result {\"id\",\"pem\",\"jwk\",
\"created\"} is written to FILE exactly as received and synced, which --key
and CF_STREAM_SIGNING_KEY read as it is. Standard output gets
{\"id\",\"created\"} only, once the key has loaded as --key would load it.

If the answer is a success but the key is unusable (it does not load, or
its id is not a key id), FILE is kept, the exit status is 1, and the error
says that the key exists at Cloudflare, where it was saved, why it is
unusable and how to delete it. If the answer is lost (timeout, broken
connection), a key may exist: `keys list` shows it. The request is sent
again only after a 429 or a connection that never opened.

Example:
  cf-stream-token keys create --account-id 023e105f4ecef8ad9ca31a8372d0c353 --out stream-key.json";

const KEYS_LIST_AFTER_HELP: &str = "\
Example:
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353";

const KEYS_DELETE_AFTER_HELP: &str = "\
Deleting a key revokes every token signed with it.

Example:
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

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
    #[command(subcommand, after_help = KEYS_AFTER_HELP)]
    Keys(KeysCommand),
    /// Have Cloudflare's API mint a token
    #[command(after_help = crate::commands::token::AFTER_HELP)]
    Token(crate::commands::token::RemoteTokenArgs),
    /// Measure tokens per second against raw signatures per second
    #[command(after_help = crate::commands::bench::AFTER_HELP)]
    Bench(crate::commands::bench::BenchArgs),
    /// Serve a local Stream: the signing-key API and a playback edge that
    /// enforces tokens
    #[command(after_help = crate::commands::emulate::EMULATE_AFTER_HELP)]
    Emulate(crate::commands::emulate::EmulateArgs),
    /// Print a shell completion script
    #[command(after_help = crate::commands::completions::AFTER_HELP)]
    Completions(crate::commands::completions::CompletionsArgs),
}

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a signing key and save it, private half included, to a new
    /// file
    #[command(after_help = KEYS_CREATE_AFTER_HELP)]
    Create {
        #[command(flatten)]
        account: Account,
        /// File to create for the key (must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// List signing keys: a JSON array of {"id","created"}, "created" RFC
    /// 3339 or null (with "created_raw", the text sent) when Cloudflare's
    /// is not
    #[command(after_help = KEYS_LIST_AFTER_HELP)]
    List {
        #[command(flatten)]
        account: Account,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// Delete a signing key, revoking every token signed with it
    #[command(after_help = KEYS_DELETE_AFTER_HELP)]
    Delete {
        /// The key id
        #[arg(value_name = "ID")]
        id: KeyId,
        #[command(flatten)]
        account: Account,
        /// Print JSON (the default, and only, output)
        #[arg(long)]
        json: bool,
    },
    /// Create a key at Cloudflare into a keyring: the first key of a new
    /// ring is current, a later one next
    #[command(after_help = crate::ring::ROTATE_AFTER_HELP)]
    Rotate(crate::ring::RotateArgs),
    /// Make the keyring's next key current, and its current key previous
    #[command(after_help = crate::ring::PROMOTE_AFTER_HELP)]
    Promote(crate::ring::PromoteArgs),
    /// Delete the keyring's previous keys past their retirement horizon
    #[command(after_help = crate::ring::RETIRE_AFTER_HELP)]
    Retire(crate::ring::RetireArgs),
    /// Delete a leaked key of the keyring at once
    #[command(after_help = crate::ring::REVOKE_AFTER_HELP)]
    Revoke(crate::ring::RevokeArgs),
    /// Compare the keyring with Cloudflare's keys: orphans, missing keys,
    /// the 1,000-key cap
    #[command(after_help = crate::ring::RECONCILE_AFTER_HELP)]
    Reconcile(crate::ring::ReconcileArgs),
    /// Add a key whose saved create-key answer never reached the keyring
    /// (FILE.new-key): it must be listed at Cloudflare
    #[command(after_help = crate::ring::ADOPT_AFTER_HELP)]
    Adopt(crate::ring::AdoptArgs),
    /// Show or change the keyring's policy: minimum age, margin, maximum
    /// token lifetime
    #[command(after_help = crate::ring::POLICY_AFTER_HELP)]
    Policy(crate::ring::PolicyArgs),
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
