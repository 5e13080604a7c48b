//! Access rules on the command line: lists that decide nothing are refused
//! wherever `--rule` is read.

use super::*;

fn mint(rules: &[&str]) -> Cli {
    let key = fixture("demo/demo.jwk.json");
    let mut args = vec!["mint".to_owned(), "--key".to_owned(), key];
    args.extend(["--video".to_owned(), VIDEO.to_owned()]);
    for r in rules {
        args.extend(["--rule".to_owned(), (*r).to_owned()]);
    }
    cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn mint_refuses_an_allow_only_list_and_says_what_to_add() {
    assert_eq!(
        mint(&["allow:country=GB"]).fails(2),
        "--rule: access rule 1 has no effect: every viewer it lets play would play anyway, \
         since a viewer no rule matches is let through; add `block:any` after it to let only \
         these viewers play"
    );
    assert_eq!(
        mint(&["block:country=US,GB", "block:country=US"]).fails(2),
        "--rule: access rule 2 has no effect: earlier rules already decide every viewer it \
         matches; remove it, or move it before them"
    );
    let token = mint(&["allow:country=GB", "block:any"]).ok();
    assert_eq!(
        demo_verifier().verify(&token).unwrap().access_rules().len(),
        2
    );
}
