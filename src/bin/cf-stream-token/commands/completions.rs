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

/// `completions SHELL`: clap_complete's script for the whole command line.
pub(crate) fn run(args: &CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<()> {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli, "cf-stream-token", &mut script);
    let script = String::from_utf8(script).context("completion script")?;
    emit(script.trim_end())
}
