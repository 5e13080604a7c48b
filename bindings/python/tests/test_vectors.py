"""The shared conformance vectors (vectors/cases.json), through the Python API."""

import pytest

from cf_stream_token import CfStreamTokenError, PlaybackTemplate, Signer, SigningKey, Verifier

from conftest import ROOT, cases

OPTION_NAMES = ("ttl", "exp", "nbf", "backdate", "downloadable", "rules")


def key_input(spec):
    if "file" in spec:
        return (ROOT / spec["file"]).read_bytes()
    return spec["text"]


def options(obj):
    return {name: obj[name] for name in OPTION_NAMES if name in obj}


def run(case):
    try:
        key = SigningKey.parse(key_input(case["key"]), case["key"].get("kid"))
        signer = Signer(key)
        token = None
        if "mint" in case:
            m = case["mint"]
            token = signer.mint(m["video"], now=m["now"], **options(m))
        if "urls" in case:
            u = case["urls"]
            template = PlaybackTemplate(
                customer_code=u.get("customer_code"),
                host=u.get("host"),
                surfaces=u["surfaces"],
                **options(u),
            )
            return {"urls": template.mint(signer, u["video"], now=u["now"])}
        if "verify" in case:
            v = case["verify"]
            if "verifier" in v:
                verifier = Verifier(key_input(v["verifier"]), v["verifier"].get("kid"))
            else:
                verifier = signer.verifier()
            claims = verifier.verify(v.get("token", token), v.get("video"), now=v["now"])
            return {"claims": claims}
        if token is not None:
            return {"token": token}
        return {"kid": key.kid, "bits": key.bits}
    except CfStreamTokenError as e:
        return {"error": e.kind}


ALL = cases()


@pytest.mark.parametrize("case", ALL, ids=[c["name"] for c in ALL])
def test_case(case):
    assert run(case) == case["expect"]


def test_the_vectors_are_many_and_include_refusals():
    assert len(ALL) > 90
    kinds = {c["expect"]["error"] for c in ALL if "error" in c["expect"]}
    assert {"lifetime_too_long", "expiry_too_far", "invalid_video_id", "bad_signature"} <= kinds
