import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEMO_KID = "8f3c2a1b9d4e5f60718293a4b5c6d7e8"
OTHER_KID = "0123456789abcdef0123456789abcdef"
VIDEO = "ea95132c15732412d22c1476fa83f27a"
NOW = 1_700_000_000


def fixture(rel: str) -> bytes:
    return (ROOT / "fixtures" / rel).read_bytes()


def load_example(name: str):
    """bindings/python/examples/<name>.py, imported as a module."""
    path = ROOT / "bindings" / "python" / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases():
    return json.loads((ROOT / "vectors" / "cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.fixture
def demo_key():
    from cf_stream_token import SigningKey

    return SigningKey.parse(fixture("demo/demo.jwk.json"))
