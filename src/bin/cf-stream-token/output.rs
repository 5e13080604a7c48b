//! What leaves on standard output beyond plain text: a minted token, a
//! token's header and claims; and the two outcomes that are no failure of
//! the run: a usage error, a closed standard output.

use std::fmt;
use std::io::Write as _;

use cf_stream_token::dangerous::Header;
use cf_stream_token::{Claims, Token};
use serde::Serialize;

/// A value on the command line that is invalid by itself, found after clap
/// parsed it (e.g. a rule list with a rule after `any`): exit status 2.
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Standard output was closed by its reader: exit 0 without a word.
#[derive(Debug)]
pub(crate) struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Print `text` and a newline on standard output: the one way results leave.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                anyhow::Error::new(StdoutClosed)
            } else {
                anyhow::anyhow!("cannot write to standard output: {e}")
            }
        })
}

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

/// The claims as `verify` and `inspect` print them: the library's own JSON
/// form of [`Claims`] (every member present, in the order they are
/// minted), passed through, not a copy of it.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct ClaimsJson<'a>(&'a Claims);

impl<'a> From<&'a Claims> for ClaimsJson<'a> {
    fn from(c: &'a Claims) -> Self {
        ClaimsJson(c)
    }
}

/// The header as it is printed: the members the library reads, and the
/// names of any others. The library's `Header` has no JSON form of its own
/// (it keeps only the names of the members it does not read), so this
/// restates nothing.
#[derive(Serialize)]
pub(crate) struct HeaderJson<'a> {
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    other_members: &'a [String],
}

impl<'a> From<&'a Header> for HeaderJson<'a> {
    fn from(h: &'a Header) -> Self {
        HeaderJson {
            alg: h.alg(),
            kid: h.kid(),
            typ: h.typ(),
            other_members: h.other_members(),
        }
    }
}
