//! `completions SHELL`: a shell completion script for the whole command
//! line, which the caller hands in (no command knows the others).

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use crate::output::emit;

pub(crate) const AFTER_HELP: &str = "\
Examples:
  cf-stream-token completions bash > ~/.local/share/bash-completion/completions/cf-stream-token
  cf-stream-token completions zsh > ~/.zfunc/_cf-stream-token
  cf-stream-token completions fish > ~/.config/fish/completions/cf-stream-token.fish";

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_name = "SHELL")]
    pub(crate) shell: Shell,
}

/// The shells `completions` writes for.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The command's name, as the shell sees it.
const BIN: &str = "cf-stream-token";

/// The name bash's script is generated under: the command's name without
/// its hyphens. clap_complete's bash script walks the words into a state
/// named after the binary with each `-` written `__`, but labels the
/// states it completes in with each `-` written `__subcmd__`: for a
/// hyphenated name the two never meet, and nothing past the first word
/// completes (`keys r<TAB>`, `url --kind <TAB>`). Under a name with no
/// hyphen they agree; the script is then registered for the real name.
const BASH_NAME: &str = "cf_stream_token";

/// `completions SHELL`: clap_complete's script for the whole command line.
pub(crate) fn run(args: &CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<()> {
    use clap_complete::Shell as S;
    let (shell, name) = match args.shell {
        Shell::Bash => (S::Bash, BASH_NAME),
        Shell::Zsh => (S::Zsh, BIN),
        Shell::Fish => (S::Fish, BIN),
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli, name, &mut script);
    let script = String::from_utf8(script).context("completion script")?;
    let script = match args.shell {
        Shell::Bash => register_for_bin(&script)?,
        Shell::Zsh | Shell::Fish => script,
    };
    emit(script.trim_end())
}

/// Bash's script, generated under [`BASH_NAME`], registered for [`BIN`]:
/// the `complete -F _cf_stream_token ... cf_stream_token` lines (one per
/// bash version branch) name the real command instead.
fn register_for_bin(script: &str) -> anyhow::Result<String> {
    let register = format!("complete -F _{BASH_NAME} ");
    let mut registered = 0;
    let lines: Vec<String> = script
        .lines()
        .map(|line| {
            let is_register = line.trim_start().starts_with(&register);
            match line.strip_suffix(&format!(" {BASH_NAME}")) {
                Some(head) if is_register => {
                    registered += 1;
                    format!("{head} {BIN}")
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    // A clap_complete that writes its script otherwise must not give a
    // script that completes nothing.
    anyhow::ensure!(
        registered > 0,
        "the bash completion script registers no function for {BIN}"
    );
    Ok(lines.join("\n"))
}
