//! `verify`: check a token's signature, key id and times.

use std::path::PathBuf;

use anyhow::Context as _;
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{KeyId, Signer, Verifier, VideoId};
use clap::Args;
use serde::Serialize;

use crate::input::token_arg;
use crate::key_source::{env_key, key_id, key_name, read_key_arg, ring_from};
use crate::output::{ClaimsJson, HeaderJson};
use crate::output::{Usage, emit};

pub(crate) const AFTER_HELP: &str = "\
Valid: exit 0 and {\"header\":{..},\"claims\":{..}} on standard output.
Refused: exit 1 and the reason on standard error (expired, not yet valid,
bad signature, wrong algorithm, wrong kid, malformed, and with --video a
token of another video). Only RS256 is
accepted: `none`, HS256 and every other algorithm are refused whatever the
key file holds.

Examples:
  cf-stream-token verify --key stream-key.pub.pem \"$TOKEN\"
  cf-stream-token verify --key stream-key.pub.pem --video ea95132c15732412d22c1476fa83f27a \"$TOKEN\"
  echo \"$TOKEN\" | cf-stream-token verify --key stream-key.json -";

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// Key file: public PEM (SPKI or PKCS#1), public JWK, or any private
    /// key form; - reads it from standard input [default: the key contents
    /// in CF_STREAM_SIGNING_KEY, or the file CF_STREAM_SIGNING_KEY_FILE names]
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Require this key id (a JWK or create-key response names its own)
    /// [default: CF_STREAM_KEY_ID; not with --keyring]
    #[arg(long, value_name = "KID")]
    pub(crate) key_id: Option<KeyId>,
    /// Keyring file: accept a token of any of its keys, chosen by kid
    /// [default: the document in CF_STREAM_KEYRING, or the file
    /// CF_STREAM_KEYRING_FILE names, without --key]
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "key_id"])]
    pub(crate) keyring: Option<PathBuf>,
    /// Require the token to be for this video (its `sub`): a valid token
    /// of another video is refused
    #[arg(long, value_name = "VIDEO_ID")]
    pub(crate) video: Option<VideoId>,
    /// The token, a whole playback URL carrying one, or - to read either
    /// from standard input (which keeps it out of the process list)
    #[arg(value_name = "TOKEN")]
    pub(crate) token: String,
    /// Print JSON (the default, and only, output: accepted for scripts
    /// that pass it to every command)
    #[arg(long)]
    pub(crate) json: bool,
}

/// `verify` output.
#[derive(Serialize)]
struct VerifiedJson<'a> {
    header: HeaderJson<'a>,
    claims: ClaimsJson<'a>,
}

/// `verify`: the header and claims on standard output when the token is
/// valid as of now; otherwise an error naming the reason.
pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<()> {
    if args.key.as_deref() == Some(std::path::Path::new("-")) && args.token == "-" {
        return Err(Usage("--key - and TOKEN - cannot both read standard input".to_owned()).into());
    }
    let ring = ring_from(
        args.keyring.as_deref(),
        args.key.is_some(),
        args.key_id.is_some(),
    )?;
    let verifier = match (&args.key, &ring) {
        (Some(path), _) => {
            let bytes = read_key_arg(path)?;
            let kid = key_id(args.key_id)?;
            Some(Verifier::parse(&*bytes, kid).with_context(|| key_name(path))?)
        }
        (None, Some(_)) => None,
        (None, None) => Some(
            Signer::new(env_key(key_id(args.key_id)?)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no key: give --key FILE or --keyring FILE, or set CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
                )
            })?)
            .verifier(),
        ),
    };
    let token = token_arg(&args.token)?;
    let verifier = match (verifier, &ring) {
        (Some(v), _) => v,
        (None, Some(ring)) => ring.verifier(),
        (None, None) => unreachable!("one of the two was made above"),
    };
    let checked = match &args.video {
        Some(video) => verifier.verify_for(video, &token),
        None => verifier.verify(&token),
    };
    let claims = checked.map_err(|e| anyhow::anyhow!("token refused: {e}"))?;
    // Authentic from here on, so the header can be shown as it is.
    let header = decode_unverified(&token)?.header;
    emit(&serde_json::to_string(&VerifiedJson {
        header: (&header).into(),
        claims: (&claims).into(),
    })?)
}
