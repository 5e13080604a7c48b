//! `keys`: signing keys through the Cloudflare API (`create`, `list`,
//! `delete`) and the keyring commands (`rotate`, `promote`, `retire`,
//! `revoke`, `reconcile`, `adopt`, `policy`), one module per subcommand as
//! cargo's commands; what the keyring commands share is in `ring`.

mod adopt;
mod create;
mod delete;
mod list;
mod policy;
mod promote;
mod reconcile;
mod retire;
mod revoke;
mod ring;
mod rotate;

use clap::Subcommand;

pub(crate) const AFTER_HELP: &str = "\
Keyring commands (rotate, promote, retire, revoke, reconcile, adopt,
policy) keep a ring file: those that change it hold FILE.lock while they
read and write it (another waits up to --lock-timeout, 30s), write through
a symbolic link to its target, and refuse a ring of another account.

Examples:
  cf-stream-token keys create --account-id 023e105f4ecef8ad9ca31a8372d0c353 --out stream-key.json
  cf-stream-token keys list --account-id 023e105f4ecef8ad9ca31a8372d0c353
  cf-stream-token keys delete 8f3c2a1b9d4e5f60718293a4b5c6d7e8 --account-id 023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a signing key and save it, private half included, to a new
    /// file
    #[command(after_help = create::AFTER_HELP)]
    Create(create::CreateArgs),
    /// List signing keys: a JSON array of {"id","created"}, "created" RFC
    /// 3339 or null (with "created_raw", the text sent) when Cloudflare's
    /// is not
    #[command(after_help = list::AFTER_HELP)]
    List(list::ListArgs),
    /// Delete a signing key, revoking every token signed with it
    #[command(after_help = delete::AFTER_HELP)]
    Delete(delete::DeleteArgs),
    /// Create a key at Cloudflare into a keyring: the first key of a new
    /// ring is current, a later one next
    #[command(after_help = rotate::AFTER_HELP)]
    Rotate(rotate::RotateArgs),
    /// Make the keyring's next key current, and its current key previous
    #[command(after_help = promote::AFTER_HELP)]
    Promote(promote::PromoteArgs),
    /// Delete the keyring's previous keys past their retirement horizon
    #[command(after_help = retire::AFTER_HELP)]
    Retire(retire::RetireArgs),
    /// Delete a leaked key of the keyring at once
    #[command(after_help = revoke::AFTER_HELP)]
    Revoke(revoke::RevokeArgs),
    /// Compare the keyring with Cloudflare's keys: orphans, missing keys,
    /// the 1,000-key cap
    #[command(after_help = reconcile::AFTER_HELP)]
    Reconcile(reconcile::ReconcileArgs),
    /// Add a key whose saved create-key answer never reached the keyring
    /// (FILE.new-key): it must be listed at Cloudflare
    #[command(after_help = adopt::AFTER_HELP)]
    Adopt(adopt::AdoptArgs),
    /// Show or change the keyring's policy: minimum age, margin, maximum
    /// token lifetime
    #[command(after_help = policy::AFTER_HELP)]
    Policy(policy::PolicyArgs),
}

pub(crate) fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create(args) => create::run(args),
        KeysCommand::List(args) => list::run(args),
        KeysCommand::Delete(args) => delete::run(args),
        KeysCommand::Rotate(args) => rotate::run(args),
        KeysCommand::Promote(args) => promote::run(args),
        KeysCommand::Retire(args) => retire::run(args),
        KeysCommand::Revoke(args) => revoke::run(args),
        KeysCommand::Reconcile(args) => reconcile::run(args),
        KeysCommand::Adopt(args) => adopt::run(args),
        KeysCommand::Policy(args) => policy::run(args),
    }
}
