"""Mint and verify Cloudflare Stream signed-URL tokens offline.

Every rule (key forms, the 24-hour cap, access rules, URLs, verification,
the emulator) is the Rust crate ``cf-stream-token``'s; this package is its
Python face. See README.md.
"""

from ._native import (
    CfStreamTokenError,
    Emulator,
    Keyring,
    KeyringSigner,
    PlaybackTemplate,
    Signer,
    SigningKey,
    Verifier,
    _version,
)

__version__ = _version()

__all__ = [
    "CfStreamTokenError",
    "Emulator",
    "Keyring",
    "KeyringSigner",
    "PlaybackTemplate",
    "Signer",
    "SigningKey",
    "Verifier",
]
