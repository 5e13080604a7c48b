//! What leaves on standard output beyond plain text: a minted token.

use cf_stream_token::Token;
use serde::Serialize;

use crate::emit;

/// `--json` output of `mint` and `token`, members in this order.
#[derive(Serialize)]
struct MintedJson<'a> {
    token: &'a str,
    kid: &'a str,
    sub: &'a str,
    exp: i64,
    nbf: Option<i64>,
}

/// The token alone, or `{"token","kid","sub","exp","nbf"}`.
pub(crate) fn print_token(token: &Token, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        emit(&serde_json::to_string(&MintedJson {
            token: token.as_str(),
            kid: token.kid().as_str(),
            sub: token.video().as_str(),
            exp: token.exp(),
            nbf: token.nbf(),
        })?)
    } else {
        emit(token.as_str())
    }
}
