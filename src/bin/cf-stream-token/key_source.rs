//! Where the key comes from, for `mint`, `url` and `verify`: `--keyring`,
//! `--key` and `--key-id`, and the environment's `CF_STREAM_KEYRING`,
//! `CF_STREAM_SIGNING_KEY` (each, or a file named by its `_FILE` form) and
//! `CF_STREAM_KEY_ID`, in one order of precedence.

use std::path::Path;

use anyhow::Context as _;
use cf_stream_token::files;
use cf_stream_token::{ErrorKind, KEYRING_ENV, KEYRING_FILE_ENV, KeyId, Keyring, SigningKey};
use zeroize::Zeroizing;

use crate::args::KeySource;
use crate::output::Usage;
use crate::secret::{MAX_KEY_FILE, read_key_file, shown};

/// Key contents when `--key` is not given (read by the library).
pub(crate) const ENV_SIGNING_KEY: &str = "CF_STREAM_SIGNING_KEY";
/// A file holding the key, instead of [`ENV_SIGNING_KEY`] (read by the library).
const ENV_SIGNING_KEY_FILE: &str = "CF_STREAM_SIGNING_KEY_FILE";

/// Whether the variable `name` is set to something other than blanks (a
/// value that is not UTF-8 counts: the library refuses it, by name).
fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.to_string_lossy().trim().is_empty())
}

/// The variable of `names` that is set, if any.
fn env_source(names: [&'static str; 2]) -> anyhow::Result<Option<&'static str>> {
    for name in names {
        if std::env::var_os(name).is_some_and(|v| v.to_str().is_none()) {
            anyhow::bail!("{name} is not valid UTF-8")
        }
    }
    Ok(names.into_iter().find(|name| env_set(name)))
}
/// The key id for `--key FILE` or `CF_STREAM_SIGNING_KEY`, when `--key-id`
/// is not given: read by [`key_id`], never by clap, so that it cannot
/// conflict with `--keyring` as a flag would.
const ENV_KEY_ID: &str = "CF_STREAM_KEY_ID";

/// The key `mint` and `url` sign with.
pub(crate) enum KeySourceResolved {
    /// The ring's current key, within the ring's maximum token lifetime.
    Ring(Keyring),
    /// A single key.
    Key(SigningKey),
}

/// The ring of [`source_ring`], else the key of [`local_key`]; `None` when
/// neither is given.
pub(crate) fn resolve(source: &KeySource) -> anyhow::Result<Option<KeySourceResolved>> {
    if let Some(ring) = source_ring(source)? {
        return Ok(Some(KeySourceResolved::Ring(ring)));
    }
    Ok(local_key(source)?.map(KeySourceResolved::Key))
}

/// The ring `mint`, `url` and `verify` use: `--keyring FILE`, else the
/// document in `CF_STREAM_KEYRING` when no other key is given.
pub(crate) fn source_ring(source: &KeySource) -> anyhow::Result<Option<Keyring>> {
    ring_from(
        source.keyring.as_deref(),
        source.key.is_some(),
        source.key_id.is_some(),
    )
}

/// `--key-id` names a single key, so it goes with `--key` or
/// `CF_STREAM_SIGNING_KEY`: given while the ring in `CF_STREAM_KEYRING` is
/// the source, it would be ignored, so it is refused (as it is with
/// `--keyring`, by clap).
pub(crate) fn ring_from(
    path: Option<&Path>,
    key_given: bool,
    key_id_given: bool,
) -> anyhow::Result<Option<Keyring>> {
    if let Some(path) = path {
        return load(path).map(Some);
    }
    let signing_key_set = env_set(ENV_SIGNING_KEY) || env_set(ENV_SIGNING_KEY_FILE);
    if key_given || signing_key_set {
        return Ok(None);
    }
    let Some(name) = env_source([KEYRING_ENV, KEYRING_FILE_ENV])? else {
        return Ok(None);
    };
    if key_id_given {
        return Err(Usage(format!(
            "--key-id names a single key (--key or {}), but the key comes from the \
             keyring in {name}, which signs with its current key: drop --key-id",
            ENV_SIGNING_KEY
        ))
        .into());
    }
    // The library reads both variables, and refuses both set.
    Keyring::from_env().map(Some).context(name)
}

/// The key id for a single key: `--key-id`, else `CF_STREAM_KEY_ID`. Only
/// the commands that load a single key call this (never with `--keyring`),
/// so the variable never stands in for a flag the user did not type.
pub(crate) fn key_id(flag: Option<KeyId>) -> anyhow::Result<Option<KeyId>> {
    if flag.is_some() {
        return Ok(flag);
    }
    match std::env::var(ENV_KEY_ID) {
        Ok(v) if !v.trim().is_empty() => KeyId::new(v.trim())
            .map(Some)
            .map_err(|e| Usage(format!("{ENV_KEY_ID}: {e}")).into()),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Usage(format!("{ENV_KEY_ID} is not valid UTF-8")).into())
        }
    }
}

/// Key bytes from `--key FILE`, or from standard input for `--key -`.
pub(crate) fn read_key_arg(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if path != Path::new("-") {
        return read_key_file(path);
    }
    // The same bound as a key file, through the library's reader.
    files::read_bounded_from(std::io::stdin().lock(), MAX_KEY_FILE).map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            anyhow::anyhow!("standard input is larger than 1 MiB: not a key")
        } else {
            anyhow::Error::new(e).context("cannot read the key from standard input")
        }
    })
}

/// How `--key` is named in messages.
pub(crate) fn key_name(path: &Path) -> String {
    if path == Path::new("-") {
        "key on standard input".to_owned()
    } else {
        format!("key file {}", shown(path))
    }
}

/// Load a signing key from `--key FILE` (`-`: standard input), with an
/// optional key id.
pub(crate) fn key_from_file(path: &Path, kid: Option<KeyId>) -> anyhow::Result<SigningKey> {
    let bytes = read_key_arg(path)?;
    SigningKey::parse(&*bytes, kid).with_context(|| key_name(path))
}

/// The signing key of `--key FILE` (`-`: standard input), else the
/// library's [`SigningKey::from_env`] (`CF_STREAM_SIGNING_KEY`); `None`
/// when neither is given. The key id is `--key-id`, else `CF_STREAM_KEY_ID`
/// (see [`key_id`]); a key that names its own must agree with it.
pub(crate) fn local_key(source: &KeySource) -> anyhow::Result<Option<SigningKey>> {
    let kid = key_id(source.key_id)?;
    if let Some(path) = &source.key {
        return key_from_file(path, kid).map(Some);
    }
    env_key(kid)
}

/// The key in `CF_STREAM_SIGNING_KEY`, read by the library, with `kid`
/// (from `--key-id` or `CF_STREAM_KEY_ID`); `None` when it is unset.
pub(crate) fn env_key(kid: Option<KeyId>) -> anyhow::Result<Option<SigningKey>> {
    let var = |name: &str| {
        if name == ENV_KEY_ID {
            kid.map(|k| k.to_string())
        } else {
            std::env::var(name).ok()
        }
    };
    let Some(name) = env_source([ENV_SIGNING_KEY, ENV_SIGNING_KEY_FILE])? else {
        return Ok(None);
    };
    match SigningKey::from_env_with(var) {
        Ok(key) => Ok(Some(key)),
        Err(e) if matches!(e.kind(), ErrorKind::ConflictingConfig { .. }) => Err(e.into()),
        Err(e) => Err(anyhow::Error::new(e).context(name)),
    }
}

/// Read a keyring file (bounded for 1,000 keys).
pub(crate) fn load(path: &Path) -> anyhow::Result<Keyring> {
    Keyring::from_file(path).with_context(|| format!("keyring {}", shown(path)))
}
