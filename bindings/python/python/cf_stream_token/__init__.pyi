from datetime import datetime, timedelta
from os import PathLike
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

__version__: str

Duration = Union[str, int, timedelta]
"""``"2h"``, ``"1h30m"``, ``90`` (seconds) or a ``timedelta``."""

Time = Union[int, datetime]
"""UNIX seconds or a timezone-aware ``datetime``."""

Surface = Union[str, Mapping[str, Any]]
"""``"hls"``, ``"dash"``, ``"iframe"``, ``"watch"``, ``"thumbnail"``,
``"mp4"``, ``"m4a"``, ``"webrtc"``, or a dict with ``"kind"`` and its
parameters (``{"kind": "thumbnail", "width": 640}``)."""

class CfStreamTokenError(Exception):
    kind: str
    """The stable snake_case name of the error kind (``"expiry_too_far"``)."""
    http_status: int
    """The HTTP status a web handler answers with (400, 401, 500 or 503)."""

class SigningKey:
    @staticmethod
    def parse(text: Union[str, bytes], kid: Optional[str] = None) -> SigningKey: ...
    @staticmethod
    def from_env() -> SigningKey: ...
    @staticmethod
    def from_file(path: Union[str, PathLike[str]], kid: Optional[str] = None) -> SigningKey: ...
    @property
    def kid(self) -> str: ...
    @property
    def bits(self) -> int: ...
    def public_key_pem(self) -> str: ...
    def public_jwk(self) -> str: ...

class Verifier:
    def __init__(self, public_key: Union[str, bytes], kid: Optional[str] = None) -> None: ...
    def verify(
        self, token: str, video: Optional[str] = None, *, now: Optional[Time] = None
    ) -> Dict[str, Any]: ...

class Signer:
    def __init__(self, key: SigningKey) -> None: ...
    @property
    def kid(self) -> str: ...
    def mint(
        self,
        video: str,
        *,
        ttl: Optional[Duration] = None,
        exp: Optional[Time] = None,
        nbf: Optional[Time] = None,
        backdate: Optional[Duration] = None,
        downloadable: bool = False,
        rules: Optional[Sequence[str]] = None,
        now: Optional[Time] = None,
    ) -> str: ...
    def verifier(self) -> Verifier: ...

class KeyringSigner:
    @property
    def kid(self) -> str: ...
    def mint(
        self,
        video: str,
        *,
        ttl: Optional[Duration] = None,
        exp: Optional[Time] = None,
        nbf: Optional[Time] = None,
        backdate: Optional[Duration] = None,
        downloadable: bool = False,
        rules: Optional[Sequence[str]] = None,
        now: Optional[Time] = None,
    ) -> str: ...

class Keyring:
    @staticmethod
    def from_document(text: str) -> Keyring: ...
    @staticmethod
    def from_env() -> Keyring: ...
    @staticmethod
    def from_file(path: Union[str, PathLike[str]]) -> Keyring: ...
    @property
    def current_kid(self) -> str: ...
    def keys(self) -> List[Tuple[str, str]]: ...
    def signer(self) -> KeyringSigner: ...
    def verifier(self) -> Verifier: ...

class PlaybackTemplate:
    def __init__(
        self,
        *,
        customer_code: Optional[str] = None,
        host: Optional[str] = None,
        surfaces: Optional[List[Surface]] = None,
        ttl: Optional[Duration] = None,
        exp: Optional[Time] = None,
        nbf: Optional[Time] = None,
        backdate: Optional[Duration] = None,
        downloadable: bool = False,
        rules: Optional[Sequence[str]] = None,
    ) -> None: ...
    def mint(
        self,
        signer: Union[Signer, KeyringSigner],
        video: str,
        *,
        now: Optional[Time] = None,
    ) -> Dict[str, str]: ...

class Emulator:
    def __init__(self, api_token: str = "test-token", *, account_id: str = ...) -> None: ...
    def __enter__(self) -> Emulator: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    def start(self) -> None: ...
    def close(self) -> None: ...
    @property
    def account_id(self) -> str: ...
    @property
    def api_base_url(self) -> str: ...
    @property
    def playback_base_url(self) -> str: ...
    @property
    def control_base_url(self) -> str: ...
    @property
    def now(self) -> int: ...
    def advance(self, by: Duration) -> None: ...
    def set_now(self, now: Time) -> None: ...
    def create_key(self) -> SigningKey: ...
    def import_key(self, key: SigningKey) -> None: ...
    def keys(self) -> List[str]: ...
