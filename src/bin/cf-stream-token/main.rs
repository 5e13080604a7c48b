//! `cf-stream-token`: mint, inspect and verify Cloudflare Stream signed-URL
//! tokens offline, and manage signing keys through the Cloudflare API.
//!
//! Built with the `cli` feature. The contract scripts rely on (outputs and
//! exit codes) is in `--help` and `docs/cli.md`: 0 success, 1 failure, 2 usage
//! error; every error is one line on standard error and nothing on standard
//! output; no message shows key material or a token.

mod api;
mod args;
mod cli;
mod commands;
mod input;
mod key_source;
mod output;
mod parse;
mod secret;
mod show;

use std::io::Write as _;
use std::process::ExitCode;

use clap::error::{ContextValue, ErrorKind as ClapErrorKind};
use clap::{CommandFactory as _, Parser as _};

use crate::cli::{Cli, Command};
use crate::output::StdoutClosed;

/// Exit status for a failure at run time.
const EXIT_FAILURE: u8 = 1;
/// Exit status for a command line that is wrong in itself (clap uses 2 too).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head -c1`): nothing is wrong, as with
        // ripgrep and cargo.
        Err(err) if err.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(err) => {
            let code = if err.downcast_ref::<output::Usage>().is_some() {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            };
            // `{:#}` joins the cause chain (e.g. Cloudflare's error codes and
            // messages) into one line.
            report(&format!("{err:#}{}", command_line_advice(&err)));
            ExitCode::from(code)
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Mint(args) => commands::mint::run(args),
        Command::Url(args) => commands::url::run(args),
        Command::Token(args) => commands::token::run(args),
        Command::Rules(command) => commands::rules::run(command),
        Command::Verify(args) => commands::verify::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Keys(command) => commands::keys::run(command),
        Command::Bench(args) => commands::bench::run(args),
        Command::Emulate(args) => commands::emulate::run(args),
        Command::Completions(args) => commands::completions::run(&args, Cli::command()),
    }
}

/// What the library's message leaves to the caller, said in this
/// program's terms: the flag that gives what is missing.
fn command_line_advice(err: &anyhow::Error) -> &'static str {
    let kind = err
        .chain()
        .find_map(|e| e.downcast_ref::<cf_stream_token::Error>())
        .map(cf_stream_token::Error::kind);
    match kind {
        Some(cf_stream_token::ErrorKind::KeyIdRequired) => "; or pass --key-id",
        Some(cf_stream_token::ErrorKind::KeyLooksLikePath { .. }) => "; or pass --key FILE",
        _ => "",
    }
}

/// One line on standard error: `error: ` and the message, control
/// characters (newlines from a remote message, say) turned into spaces.
fn report(message: &str) {
    let line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Nothing more can be done if standard error is gone.
    let _ = writeln!(std::io::stderr().lock(), "error: {}", line.trim());
}

/// Help and version go to standard output with status 0; usage errors
/// become one line on standard error with status 2.
fn clap_exit(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        // clap would print the whole help on stderr: one line instead.
        ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            report(&missing_subcommand(&args));
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            report(&clap_one_line(e));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `'cf-stream-token keys' requires a subcommand: create, list, ...` for
/// the (sub)command that `args` stop at.
fn missing_subcommand(args: &[String]) -> String {
    let mut cmd = Cli::command();
    let mut path = vec![cmd.get_name().to_owned()];
    for arg in args {
        let Some(sub) = cmd.find_subcommand(arg).cloned() else {
            break;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    format!(
        "'{}' requires a subcommand: {}",
        path.join(" "),
        names.join(", ")
    )
}

/// clap's message without its usage block and hints, on one line, with any
/// value that could be a token or key material (long, or spanning lines)
/// replaced by its length.
fn clap_one_line(e: &clap::Error) -> String {
    let mut text = e.render().to_string();
    for (_, value) in e.context() {
        let values: Vec<&str> = match value {
            ContextValue::String(s) => vec![s.as_str()],
            ContextValue::Strings(v) => v.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for v in values {
            if !safe_to_echo(v) {
                text = text.replace(v, &format!("<{} characters, not shown>", v.chars().count()));
            }
        }
    }
    let kept: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let line = kept.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_owned()
}

/// Short, single-line values are echoed; a token (a few hundred characters)
/// or a key pasted where a file name belongs is not.
pub(crate) fn safe_to_echo(value: &str) -> bool {
    value.chars().count() <= 64 && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage_line(args: &[&str]) -> String {
        match Cli::try_parse_from(args) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => clap_one_line(&e),
        }
    }

    #[test]
    fn clap_errors_become_one_line() {
        assert_eq!(
            usage_line(&["cf-stream-token", "mint"]),
            "the following required arguments were not provided: --video <UID>"
        );
        let line = usage_line(&["cf-stream-token", "mint", "--video", "x"]);
        assert_eq!(
            line,
            "invalid value 'x' for '--video <UID>': invalid video id: expected 32 hexadecimal characters"
        );
    }

    #[test]
    fn a_missing_subcommand_is_named_with_the_choices() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            missing_subcommand(&args(&[])),
            "'cf-stream-token' requires a subcommand: mint, url, verify, inspect, keys, rules, token, bench, emulate, completions"
        );
        assert_eq!(
            missing_subcommand(&args(&["keys"])),
            "'cf-stream-token keys' requires a subcommand: create, list, delete, rotate, promote, retire, revoke, reconcile, adopt, policy"
        );
    }

    #[test]
    fn long_values_are_not_echoed() {
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{}.sig", "x".repeat(200));
        let line = usage_line(&["cf-stream-token", "inspect", "a", &token]);
        assert!(!line.contains(&token), "{line}");
        assert!(line.contains("<225 characters, not shown>"), "{line}");
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----";
        let line = usage_line(&["cf-stream-token", "mint", "--key-id", pem]);
        assert!(!line.contains("MIIEsecret"), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
}
