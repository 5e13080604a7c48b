"""The Python API: key forms, options, errors, verification, keyrings, typing."""

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cf_stream_token
from cf_stream_token import (
    CfStreamTokenError,
    Keyring,
    KeyringSigner,
    PlaybackTemplate,
    Signer,
    SigningKey,
    Verifier,
)

from conftest import DEMO_KID, NOW, OTHER_KID, ROOT, VIDEO, fixture


def test_every_key_form_loads_as_the_same_key():
    forms = [
        SigningKey.parse(fixture("demo/demo_pkcs1.pem").decode(), kid=DEMO_KID),
        SigningKey.parse(fixture("demo/demo_pkcs8.pem"), DEMO_KID),
        SigningKey.parse(fixture("demo/demo_pkcs1.der"), DEMO_KID),
        SigningKey.parse(fixture("demo/demo.jwk.b64").decode()),
        SigningKey.parse(fixture("demo/demo_create_response.json").decode()),
        SigningKey.from_file(ROOT / "fixtures/demo/demo_create_result.json"),
        SigningKey.from_file(str(ROOT / "fixtures/demo/demo_pkcs8.der"), kid=DEMO_KID),
    ]
    tokens = {Signer(k).mint(VIDEO, now=NOW) for k in forms}
    assert len(tokens) == 1
    assert {k.kid for k in forms} == {DEMO_KID}
    assert {k.bits for k in forms} == {2048}


def test_from_env_reads_the_crate_variables(monkeypatch):
    monkeypatch.setenv("CF_STREAM_SIGNING_KEY", fixture("demo/demo_pkcs1.pem.b64").decode())
    monkeypatch.setenv("CF_STREAM_KEY_ID", DEMO_KID)
    assert SigningKey.from_env().kid == DEMO_KID
    monkeypatch.delenv("CF_STREAM_SIGNING_KEY")
    with pytest.raises(CfStreamTokenError) as e:
        SigningKey.from_env()
    assert e.value.kind == "missing_config"


def test_errors_carry_kind_and_http_status_and_never_key_material():
    pem = fixture("demo/demo_pkcs1.pem").decode()
    with pytest.raises(CfStreamTokenError) as e:
        SigningKey.parse(pem)
    assert (e.value.kind, e.value.http_status) == ("key_id_required", 500)
    body = [line for line in pem.splitlines() if not line.startswith("-----")]
    assert not any(line[:20] in str(e.value) for line in body)
    key = SigningKey.parse(pem, DEMO_KID)
    assert repr(key) == f'SigningKey(kid="{DEMO_KID}")'
    with pytest.raises(CfStreamTokenError) as e:
        Signer(key).mint("nope")
    assert (e.value.kind, e.value.http_status) == ("invalid_video_id", 400)
    assert isinstance(e.value, Exception)


def test_ttl_as_text_seconds_or_timedelta_gives_the_same_token(demo_key):
    signer = Signer(demo_key)
    same = {
        signer.mint(VIDEO, ttl="2h", now=NOW),
        signer.mint(VIDEO, ttl=7200, now=NOW),
        signer.mint(VIDEO, ttl=timedelta(hours=2), now=NOW),
        signer.mint(VIDEO, ttl="2h", now=datetime.fromtimestamp(NOW, timezone.utc)),
    }
    assert len(same) == 1
    claims = signer.verifier().verify(same.pop(), now=NOW)
    assert claims["exp"] == NOW + 7200


def test_the_default_lifetime_is_an_hour_and_the_cap_is_24_hours(demo_key):
    signer = Signer(demo_key)
    claims = signer.verifier().verify(signer.mint(VIDEO, now=NOW), now=NOW)
    assert claims["exp"] == NOW + 3600
    signer.mint(VIDEO, ttl=timedelta(hours=24), now=NOW)
    with pytest.raises(CfStreamTokenError) as e:
        signer.mint(VIDEO, ttl=timedelta(hours=24, seconds=1), now=NOW)
    assert e.value.kind == "lifetime_too_long"
    with pytest.raises(CfStreamTokenError) as e:
        signer.mint(VIDEO, exp=datetime.fromtimestamp(NOW + 86401, timezone.utc), now=NOW)
    assert e.value.kind == "expiry_too_far"


def test_wrong_python_types_are_type_errors(demo_key):
    signer = Signer(demo_key)
    with pytest.raises(TypeError):
        signer.mint(VIDEO, ttl=True)
    with pytest.raises(TypeError):
        signer.mint(VIDEO, ttl=[1])
    with pytest.raises(TypeError, match="naive"):
        signer.mint(VIDEO, nbf=datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        signer.mint(VIDEO, "2h")  # options are keyword-only
    with pytest.raises(TypeError):
        SigningKey.parse(42)


def test_options_and_rules_reach_the_claims(demo_key):
    signer = Signer(demo_key)
    token = signer.mint(
        VIDEO,
        ttl="2h",
        backdate="5m",
        downloadable=True,
        rules=["allow:country=GB", "block:any"],
        now=NOW,
    )
    claims = signer.verifier().verify(token, VIDEO, now=NOW)
    assert claims == {
        "sub": VIDEO,
        "kid": DEMO_KID,
        "exp": NOW + 7200,
        "nbf": NOW - 300,
        "downloadable": True,
        "accessRules": [
            {"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
            {"type": "any", "action": "block"},
        ],
    }


def test_verify_checks_the_video_and_the_clock(demo_key):
    signer = Signer(demo_key)
    token = signer.mint(VIDEO, now=NOW)
    verifier = signer.verifier()
    with pytest.raises(CfStreamTokenError) as e:
        verifier.verify(token, "0" * 32, now=NOW)
    assert (e.value.kind, e.value.http_status) == ("wrong_video", 401)
    with pytest.raises(CfStreamTokenError) as e:
        verifier.verify(token, now=NOW + 3600)
    assert e.value.kind == "expired"
    with pytest.raises(CfStreamTokenError) as e:
        verifier.verify(token)  # the system clock is long past 2023
    assert e.value.kind == "expired"
    fresh = signer.mint(VIDEO)
    assert verifier.verify(fresh, VIDEO)["sub"] == VIDEO


def test_a_verifier_from_the_public_half_alone(demo_key):
    token = Signer(demo_key).mint(VIDEO, now=NOW)
    for public in (demo_key.public_key_pem(), demo_key.public_jwk(), fixture("demo/demo_public_pkcs1.pem")):
        assert Verifier(public, DEMO_KID).verify(token, now=NOW)["kid"] == DEMO_KID
    other = Verifier(fixture("other/other_public_spki.pem"), OTHER_KID)
    with pytest.raises(CfStreamTokenError) as e:
        other.verify(token, now=NOW)
    assert e.value.kind == "wrong_key"
    assert json.loads(demo_key.public_jwk())["kid"] == DEMO_KID
    assert "PRIVATE" not in demo_key.public_key_pem()


def keyring_document(max_lifetime=7200):
    current = json.loads(fixture("demo/demo_create_result.json"))
    nxt = json.loads(fixture("other/other.jwk.json"))
    return json.dumps(
        {
            "version": 1,
            "max_token_lifetime": max_lifetime,
            "keys": [
                {"state": "current", "created_at": "2027-01-15T08:00:00Z",
                 "promoted_at": "2027-01-15T08:00:00Z", "key": current},
                {"state": "next", "created_at": "2027-01-15T09:00:00Z", "key": nxt},
            ],
        }
    )


def test_a_keyring_signs_with_its_current_key_under_its_lifetime(monkeypatch, tmp_path):
    ring = Keyring.from_document(keyring_document())
    assert ring.current_kid == DEMO_KID
    assert ring.keys() == [(DEMO_KID, "current"), (OTHER_KID, "next")]
    signer = ring.signer()
    assert isinstance(signer, KeyringSigner) and signer.kid == DEMO_KID
    token = signer.mint(VIDEO, ttl="2h", now=NOW)
    assert ring.verifier().verify(token, VIDEO, now=NOW)["exp"] == NOW + 7200
    with pytest.raises(CfStreamTokenError) as e:
        signer.mint(VIDEO, ttl="3h", now=NOW)
    assert e.value.kind == "token_outlives_ring"
    urls = PlaybackTemplate(customer_code="abc123").mint(signer, VIDEO, now=NOW)
    assert urls["hls"].startswith("https://customer-abc123.cloudflarestream.com/")
    monkeypatch.setenv("CF_STREAM_KEYRING", keyring_document())
    assert Keyring.from_env().current_kid == DEMO_KID
    path = tmp_path / "ring.json"
    path.write_text(keyring_document())
    path.chmod(0o600)
    assert Keyring.from_file(path).current_kid == DEMO_KID
    with pytest.raises(CfStreamTokenError) as e:
        Keyring.from_document("{}")
    assert e.value.kind == "invalid_keyring"


def test_a_template_renders_every_surface_around_one_token(demo_key):
    template = PlaybackTemplate(
        host="videos.example.com",
        surfaces=["hls", "dash", {"kind": "thumbnail", "width": 640, "time": 5}, "mp4"],
        ttl="2h",
    )
    urls = template.mint(Signer(demo_key), VIDEO, now=NOW)
    assert set(urls) == {"hls", "dash", "thumbnail", "mp4"}
    tokens = {url.split("/")[3] for url in urls.values()}
    assert len(tokens) == 1
    assert Signer(demo_key).verifier().verify(tokens.pop(), now=NOW)["downloadable"] is True
    assert urls["thumbnail"].endswith("thumbnails/thumbnail.jpg?time=5s&width=640")
    with pytest.raises(TypeError):
        PlaybackTemplate(customer_code="abc123", host="videos.example.com")
    with pytest.raises(TypeError):
        PlaybackTemplate(customer_code="abc123", surfaces=["hls3"])
    with pytest.raises(TypeError):
        PlaybackTemplate(customer_code="abc123", surfaces=[{"kind": "hls", "width": 3}])
    with pytest.raises(TypeError):
        PlaybackTemplate(customer_code="abc123").mint("not a signer", VIDEO)


def test_threads_mint_at_once_and_agree(demo_key):
    signer = Signer(demo_key)
    expected = signer.mint(VIDEO, now=NOW)
    results = []

    def work():
        results.extend(signer.mint(VIDEO, now=NOW) for _ in range(50))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 200


def test_the_package_is_typed_and_versioned():
    package = Path(cf_stream_token.__file__).parent
    assert (package / "py.typed").exists()
    stubs = (package / "__init__.pyi").read_text()
    for name in cf_stream_token.__all__:
        assert f"class {name}" in stubs, name
    assert cf_stream_token.__version__ == "0.2.0"


def test_minting_releases_the_gil(demo_key):
    """With the interpreter's forced switches off, another thread can run
    Python code during a run of mints only if `mint` lets go of the GIL."""
    import sys
    import time

    signer = Signer(demo_key)
    ticks = []
    stop = threading.Event()

    def other():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0)  # gives the GIL back at once

    old = sys.getswitchinterval()
    thread = threading.Thread(target=other)
    thread.start()
    try:
        while not ticks:
            time.sleep(0.001)
        sys.setswitchinterval(30)
        time.sleep(0.01)  # the other thread's pending switch, under the old interval, is served
        before = len(ticks)
        for _ in range(40):
            signer.mint(VIDEO, now=NOW)
        during = len(ticks) - before
    finally:
        sys.setswitchinterval(old)
        stop.set()
        thread.join()
    # Pure-Python work in place of the mints gives 0 here.
    assert during > 0
