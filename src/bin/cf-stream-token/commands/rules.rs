//! `rules explain`: an access-rule list in words, before minting with it.

use cf_stream_token::{AccessRule, TokenOptions};
use clap::Subcommand;

use crate::output::{Usage, emit};
use crate::parse;

pub(crate) const AFTER_HELP: &str = "\
Rules are evaluated first to last; the first that matches decides, and a
viewer no rule matches may play: an allow rule restricts nothing without a
later block rule (add block:any to let only its viewers play). A list with
a rule that can never change whether a viewer may play is refused here as
mint refuses it (exit 2).

Example:
  cf-stream-token rules explain --rule allow:country=GB --rule block:any";

const EXPLAIN_AFTER_HELP: &str = "\
Prints who may play, rule by rule, what everyone else gets, and whether
IPv6 viewers are covered by the address (ip=) rules. The same checks as
mint's --rule apply: a refused list prints why, and exits 2.

Examples:
  cf-stream-token rules explain --rule allow:country=GB --rule block:any
  cf-stream-token rules explain --rule block:ip=10.0.0.0/8 --rule allow:country=GB,IE --rule block:any";

#[derive(Subcommand)]
pub(crate) enum RulesCommand {
    /// Say in words who a list of access rules lets play
    #[command(after_help = EXPLAIN_AFTER_HELP)]
    Explain {
        /// Access rule, repeatable, evaluated in order (at most 5), as mint's
        /// --rule: allow|block:any, allow|block:country=CC[,CC..],
        /// allow|block:ip=ADDR_OR_CIDR[,..]
        #[arg(long = "rule", value_name = "SPEC", value_parser = parse::parse_rule, required = true)]
        rules: Vec<AccessRule>,
        /// Print one JSON object, {"explanation": [sentence, ...]}
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(command: RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::Explain { rules, json } => {
            let options = TokenOptions::builder()
                .access_rules(rules)
                .build()
                .map_err(|e| anyhow::Error::new(Usage(format!("--rule: {e}"))))?;
            let explanation = options.explain_rules();
            if json {
                let lines: Vec<&str> = explanation.lines().collect();
                emit(&serde_json::json!({ "explanation": lines }).to_string())
            } else {
                emit(&explanation.to_string())
            }
        }
    }
}
