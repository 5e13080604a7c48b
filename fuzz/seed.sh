#!/usr/bin/env bash
# Seed the fuzz corpora from fixtures/ (corpora are git-ignored; this script
# is how they start). Run from anywhere:   bash fuzz/seed.sh
#
#   fuzz/corpus/key_loader/       every file under fixtures/{demo,bad,other,rfc7515},
#                                 every key in the Wycheproof JSON (JWKs as JSON,
#                                 PEM text, DER from hex), the golden JSON
#   fuzz/corpus/verifier/         the golden tokens, every JWS in the Wycheproof
#                                 JSON, the RFC 7515 A.2 token
#   fuzz/corpus/verifier_signed/  "header JSON\npayload JSON" of each of those
#   fuzz/corpus/api_envelope/     status bytes, Retry-After, body: each documented answer
#   fuzz/corpus/cli_parsers/      --rule, --ttl, --param and --kind values
#
# Committed regression inputs (fuzz/regressions/<target>/*) are copied in too.
# Files are named by content hash, so re-running only adds what is new.
# Needs bash and python3 (nothing beyond the standard library).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'PY'
import base64, binascii, hashlib, json, os, pathlib

root = pathlib.Path(".")
fx = root / "fixtures"
out = {t: root / "fuzz" / "corpus" / t for t in ("key_loader", "verifier", "verifier_signed", "api_envelope", "cli_parsers")}
for d in out.values():
    d.mkdir(parents=True, exist_ok=True)
added = {t: 0 for t in out}

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if not data:
        return
    path = out[target] / hashlib.sha1(data).hexdigest()
    if not path.exists():
        path.write_bytes(data)
        added[target] += 1

def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def token(jws):
    """A compact JWS into the verifier corpora, and its parts into verifier_signed."""
    put("verifier", jws)
    parts = jws.split(".")
    if len(parts) == 3:
        try:
            put("verifier_signed", b64url_decode(parts[0]) + b"\n" + b64url_decode(parts[1]))
        except (binascii.Error, ValueError):
            pass

# Every fixture file: key forms, bad keys, responses.
for sub in ("demo", "bad", "other", "rfc7515", "golden"):
    for f in sorted((fx / sub).rglob("*")):
        if f.is_file():
            put("key_loader", f.read_bytes())

# Golden tokens and the exact header/payload JSON they sign.
for f in sorted((fx / "golden").glob("*.jwt")):
    token(f.read_text().strip())
golden = json.loads((fx / "golden" / "golden.json").read_text())
for t in golden["tokens"]:
    put("verifier_signed", t["header_json"] + "\n" + t["payload_json"])
    put("verifier_signed", t["payload_json"])

# RFC 7515 A.2: the signing input and its signature (another key).
a2 = json.loads((fx / "rfc7515" / "a2.json").read_text())
token(a2["signing_input"] + "." + a2["signature_b64url"])

# Wycheproof: every JWK (private and public), PEM and DER key; every JWS.
HEX_KEYS = ("keyDer", "publicKeyDer", "keyAsn", "publicKeyAsn", "privateKeyPkcs8")
PEM_KEYS = ("keyPem", "publicKeyPem", "privateKeyPem")

def walk(node):
    if isinstance(node, dict):
        if "kty" in node:
            put("key_loader", json.dumps(node, separators=(",", ":")))
        for k, v in node.items():
            if k in HEX_KEYS and isinstance(v, str):
                try:
                    put("key_loader", bytes.fromhex(v))
                except ValueError:
                    pass
            elif k in PEM_KEYS and isinstance(v, str):
                put("key_loader", v)
            elif k == "jws" and isinstance(v, str):
                token(v)
            else:
                walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)

for f in sorted((fx / "wycheproof").glob("*.json")):
    walk(json.loads(f.read_text()))

# api_envelope: two status bytes (folded into 100..=599 by the target), a
# Retry-After line, then a body: every documented answer shape.
def answer(status, retry_after, body):
    put("api_envelope", (status - 100).to_bytes(2, "big") + retry_after.encode() + b"\n" + body.encode())

def envelope(success, result, errors=()):
    return json.dumps({"success": success, "errors": list(errors), "messages": [], "result": result})

created = json.loads((fx / "demo" / "demo_create_result.json").read_text())
golden_token = (fx / "golden" / "minimal.jwt").read_text().strip()
answer(200, "", envelope(True, created))
answer(200, "", envelope(True, [{"id": created["id"], "created": "2014-01-02T02:20:00Z"}]))
answer(200, "", envelope(True, "ok"))
answer(200, "", envelope(True, {"token": golden_token}))
answer(403, "", envelope(False, None, [{"code": 10000, "message": "Authentication error"}]))
answer(404, "", envelope(False, None, [{"code": 10003, "message": "Not found", "documentation_url": "https://developers.cloudflare.com/"}]))
answer(429, "1", envelope(False, None, [{"code": 971, "message": "Please wait and consider throttling your request speed"}]))
answer(429, "Sun, 06 Nov 1994 08:49:37 GMT", "")
answer(503, "300", "<html><body>upstream unavailable</body></html>")
answer(200, "", envelope(False, None, [{"code": 1000, "message": "message", "source": {"pointer": "/exp"}}]))
shared_seeds = root.resolve().parent / "shared" / "seeds"
for page in sorted(shared_seeds.glob("*.txt")) if shared_seeds.is_dir() else []:
    text = page.read_text()
    start = text.find("{")
    if start >= 0:
        answer(200, "", text[start:start + 4000])

# cli_parsers: the value syntaxes the command line reads.
for spec in ["allow:country=GB", "block:any", "allow:ip=93.184.216.0/24,2400:cb00::/32",
             "block:country=T1,XX", "allow:ip=1.2.3.4", "90s", "30m", "2h", "24h", "86400",
             "time=8s", "width=320&height=180&fit=crop", "duration=5s&fps=15",
             "filename=launch-keynote", "clientBandwidthHint=1.8", "protocol=llhls",
             "hls", "dash", "iframe", "watch", "thumbnail", "gif", "mp4", "m4a", "webrtc"]:
    put("cli_parsers", spec)

# Committed regression inputs.
for t in out:
    reg = root / "fuzz" / "regressions" / t
    if reg.is_dir():
        for f in sorted(reg.iterdir()):
            if f.is_file():
                put(t, f.read_bytes())

for t, d in out.items():
    print(f"{d}: {sum(1 for _ in d.iterdir())} files ({added[t]} new)")
PY
