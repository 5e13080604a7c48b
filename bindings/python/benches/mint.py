"""Python `mint` against the RSA limit, PyJWT as a peer, and two threads.

    python bindings/python/benches/mint.py        # needs cryptography and PyJWT

Rates are ratios against a baseline measured in the same run, interleaved
(rounds of each contender in turn; the median round counts), because the
machine is shared. Every contender signs the same kind of input with the
same key, and the script checks that the raw signature and PyJWT's token
equal the package's token byte for byte before timing anything.
"""

import base64
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from cf_stream_token import Signer, SigningKey

ROOT = Path(__file__).resolve().parents[3]
KID = "8f3c2a1b9d4e5f60718293a4b5c6d7e8"
VIDEO = "ea95132c15732412d22c1476fa83f27a"
NOW = 1_700_000_000
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
PER_ROUND = 200

pem = (ROOT / "fixtures/demo/demo_pkcs1.pem").read_bytes()
signer = Signer(SigningKey.parse(pem, KID))
private = load_pem_private_key(pem, password=None)

token = signer.mint(VIDEO, now=NOW)
signing_input = token.rsplit(".", 1)[0].encode()
payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_sign():
    return private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


def mint():
    return signer.mint(VIDEO, now=NOW)


def pyjwt():
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": KID})


# Same bytes before any timing.
assert b64url(raw_sign()) == token.rsplit(".", 1)[1]
peer = pyjwt()
assert jwt.decode(peer, private.public_key(), algorithms=["RS256"], options={"verify_exp": False})["sub"] == VIDEO


def rate(fn, n=PER_ROUND):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def threaded_rate(fn, threads, n=PER_ROUND):
    barrier = threading.Barrier(threads + 1)

    def work():
        barrier.wait()
        for _ in range(n):
            fn()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return threads * n / (time.perf_counter() - start)


contenders = {
    "cryptography raw sign": raw_sign,
    "cf_stream_token mint": mint,
    "PyJWT encode (key object)": pyjwt,
}
for fn in contenders.values():
    rate(fn, 50)  # warm-up
rates = {name: [] for name in contenders}
threads = {1: [], 2: []}
for _ in range(ROUNDS):
    for name, fn in contenders.items():
        rates[name].append(rate(fn))
    for t in threads:
        threads[t].append(threaded_rate(mint, t, 3 * PER_ROUND))

base = statistics.median(rates["cryptography raw sign"])
print(f"{ROUNDS} rounds of {PER_ROUND}; medians")
print("| contender | tokens/s | rate vs raw sign |")
print("|---|---|---|")
for name, values in rates.items():
    m = statistics.median(values)
    print(f"| {name} | {m:,.0f} | {m / base:.3f} |")
one, two = statistics.median(threads[1]), statistics.median(threads[2])
# The scaling is the median of each round's own ratio: one and two threads
# ran back to back in it, so a slow spell of the machine hits both.
scaling = statistics.median(b / a for a, b in zip(threads[1], threads[2]))
print()
print("| threads | tokens/s | scaling (median of per-round ratios) |")
print("|---|---|---|")
print(f"| 1 | {one:,.0f} | 1.00 |")
print(f"| 2 | {two:,.0f} | {scaling:.2f} |")
