//! The API client of the API subcommands (`keys ...`, `token`): the
//! account and limits of the command line, the rest from the environment.

use anyhow::Context as _;
use cf_stream_token::api::{Client, ClientBuilder};
use cf_stream_token::{AccountId, ErrorKind};

use crate::args::{Account, Limits};

/// The permission that creating and deleting keys and minting tokens need.
pub(crate) const STREAM_WRITE: &str = "Stream Write";
/// The permission that listing keys needs (Stream Write will do too).
pub(crate) const STREAM_READ: &str = "Stream Read";

/// The client for `account`: the account and the limits of the command
/// line; credentials (`CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` and
/// `CLOUDFLARE_API_KEY`) and `CLOUDFLARE_BASE_URL` read by the library,
/// its one reader of the environment.
pub(crate) fn client(account: &Account) -> anyhow::Result<Client> {
    client_for(account.account_id, &account.limits).map_err(|e| match e {
        ClientError::NoCredentials => anyhow::anyhow!(
            "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)"
        ),
        ClientError::Other(e) => e,
    })
}

/// Why no client was made: no credentials at all (which `mint` words
/// differently), or anything else.
pub(crate) enum ClientError {
    NoCredentials,
    Other(anyhow::Error),
}

/// The client for `account` with `limits`, the rest from the library's
/// reading of the environment.
pub(crate) fn client_for(account: AccountId, limits: &Limits) -> Result<Client, ClientError> {
    let builder = ClientBuilder::from_env_for(account).map_err(|e| match e.kind() {
        ErrorKind::MissingCredentials => ClientError::NoCredentials,
        _ => ClientError::Other(anyhow::Error::new(e)),
    })?;
    builder
        .timeout(limits.timeout)
        .max_retries(limits.retries)
        .build()
        .context("CLOUDFLARE_BASE_URL")
        .map_err(ClientError::Other)
}

/// Run one API future to completion on a runtime of this thread.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// An API error, with the permission a 403 lacked named.
pub(crate) fn refusal(e: cf_stream_token::Error, permission: &str) -> anyhow::Error {
    if *e.kind() == ErrorKind::Forbidden {
        let hint = format!(
            "the credentials are valid but lack the \"{permission}\" permission for this account"
        );
        anyhow::Error::new(e).context(hint)
    } else {
        anyhow::Error::new(e)
    }
}
