#!/usr/bin/env bash
# The official Cloudflare SDKs, unchanged, against `cf-stream-token emulate`:
# each is pointed at the emulator with its own base-URL option and runs the
# four signing-key endpoints (create, list, delete, token), checking the
# answers; the token the SDK got is then played on the emulator's edge.
#
# Installs what it needs itself, under target/sdk-check/: the Python SDK
# (`pip install cloudflare` into a venv) and, when npm is present, the Node
# SDK (`npm install cloudflare` into a local folder). Needs python3 and
# network access to PyPI (and npm). Takes well under a minute once cached.
#
#   scripts/sdk-check.sh            # both SDKs (Node skipped without npm)
#   SDK_CHECK_NODE=0 scripts/sdk-check.sh   # Python only
set -euo pipefail
cd "$(dirname "$0")/.."

PY_SDK="${PY_SDK:-cloudflare>=5.9,<6}"
NODE_SDK="${NODE_SDK:-cloudflare@^5.2}"
ACCOUNT=023e105f4ecef8ad9ca31a8372d0c353
VIDEO=ea95132c15732412d22c1476fa83f27a
TOKEN="sdk-check-$RANDOM$RANDOM"
WORK=target/sdk-check
mkdir -p "$WORK"

step() { printf '\n== %s\n' "$*"; }

step "build cf-stream-token"
cargo build --quiet --features cli --bin cf-stream-token
BIN=target/debug/cf-stream-token

step "start cf-stream-token emulate"
READY="$WORK/ready.json"
: >"$READY"
"$BIN" emulate --api-token "$TOKEN" >"$READY" 2>"$WORK/emulate.err" &
EMU_PID=$!
# Stop exactly the emulator this script started.
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    [ -s "$READY" ] && break
    sleep 0.05
done
[ -s "$READY" ] || { echo "emulate did not start:"; cat "$WORK/emulate.err"; exit 1; }
API=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$READY")
PLAYBACK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["playback"])' "$READY")
echo "api $API"
export API PLAYBACK TOKEN ACCOUNT VIDEO

step "Python SDK: $PY_SDK"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$PY_SDK"
"$WORK/venv/bin/python" - <<'PY'
import base64, json, os, re, urllib.request, urllib.error
import cloudflare
from cloudflare import Cloudflare

api, playback, account, video = (os.environ[k] for k in ("API", "PLAYBACK", "ACCOUNT", "VIDEO"))
client = Cloudflare(api_token=os.environ["TOKEN"], base_url=api, max_retries=0)
print("cloudflare (python)", cloudflare.__version__)

key = client.stream.keys.create(account_id=account)
assert re.fullmatch(r"[0-9a-f]{32}", key.id), key.id
pem = base64.b64decode(key.pem).decode()
assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n"), pem[:40]
jwk = json.loads(base64.b64decode(key.jwk))
assert list(jwk) == ["use", "kty", "kid", "alg", "n", "e", "d", "p", "q", "dp", "dq", "qi"], list(jwk)
assert jwk["kid"] == key.id and jwk["alg"] == "RS256"
assert key.created is not None

listed = client.stream.keys.get(account_id=account).result
assert [k.id for k in listed] == [key.id], listed
assert listed[0].created == key.created

token = client.stream.token.create(video, account_id=account, downloadable=True).token
assert token.count(".") == 2, token[:20]
with urllib.request.urlopen(f"{playback}/{token}/downloads/default.mp4") as r:
    assert r.status == 200 and r.read()[4:8] == b"ftyp"

assert client.stream.keys.delete(key.id, account_id=account) == "ok"
assert client.stream.keys.get(account_id=account).result == []
try:
    client.stream.keys.delete(key.id, account_id=account)
    raise SystemExit("deleting an unknown key succeeded")
except cloudflare.NotFoundError:
    pass
try:
    Cloudflare(api_token="wrong", base_url=api, max_retries=0).stream.keys.get(account_id=account)
    raise SystemExit("a wrong token was accepted")
except cloudflare.AuthenticationError as e:
    assert e.status_code == 401
print("python: create, list, token, delete: ok")
PY

if [ "${SDK_CHECK_NODE:-1}" != 0 ] && command -v npm >/dev/null 2>&1; then
    step "Node SDK: $NODE_SDK"
    mkdir -p "$WORK/node"
    if [ ! -f "$WORK/node/package.json" ]; then
        echo '{"private":true}' >"$WORK/node/package.json"
    fi
    npm install --prefix "$WORK/node" --silent --no-audit --no-fund "$NODE_SDK"
    NODE_PATH="$WORK/node/node_modules" node - <<'JS'
const Cloudflare = require('cloudflare');
const assert = require('node:assert/strict');
const { API, PLAYBACK, TOKEN, ACCOUNT, VIDEO } = process.env;

(async () => {
  const client = new Cloudflare({ apiToken: TOKEN, baseURL: API, maxRetries: 0 });
  const key = await client.stream.keys.create({ account_id: ACCOUNT, body: {} });
  assert.match(key.id, /^[0-9a-f]{32}$/);
  assert.ok(Buffer.from(key.pem, 'base64').toString().startsWith('-----BEGIN RSA PRIVATE KEY-----\n'));
  const jwk = JSON.parse(Buffer.from(key.jwk, 'base64').toString());
  assert.deepEqual(Object.keys(jwk), ['use', 'kty', 'kid', 'alg', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']);
  assert.equal(jwk.kid, key.id);

  const listed = [];
  for await (const k of client.stream.keys.get({ account_id: ACCOUNT })) listed.push(k);
  assert.deepEqual(listed.map((k) => k.id), [key.id]);
  assert.equal(listed[0].created, key.created);

  const { token } = await client.stream.token.create(VIDEO, { account_id: ACCOUNT });
  assert.equal(token.split('.').length, 3);
  const played = await fetch(`${PLAYBACK}/${token}/manifest/video.m3u8`);
  assert.equal(played.status, 200);
  assert.ok((await played.text()).startsWith('#EXTM3U'));

  assert.equal(await client.stream.keys.delete(key.id, { account_id: ACCOUNT }), 'ok');
  await assert.rejects(
    client.stream.keys.delete(key.id, { account_id: ACCOUNT }),
    (e) => e instanceof Cloudflare.NotFoundError,
  );
  console.log('node: create, list, token, delete: ok');
})().catch((e) => { console.error(e); process.exit(1); });
JS
else
    echo "(Node SDK skipped: no npm, or SDK_CHECK_NODE=0)"
fi

step "sdk-check: ok"
