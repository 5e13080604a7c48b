import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { PlaybackTemplate, Signer, SigningKey, Verifier } from "../index.js";

const fixture = (rel) => readFileSync(new URL(`../../../fixtures/${rel}`, import.meta.url));
const KID = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const NOW = 1_700_000_000;

const claims = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

test("a PKCS#1 PEM (which WebCrypto cannot import itself) signs", async () => {
  const key = SigningKey.parse(fixture("demo/demo_pkcs1.pem").toString(), { kid: KID });
  assert.equal(key.kid, KID);
  assert.equal(key.bits, 2048);
  const token = await new Signer(key).mint(VIDEO, { ttl: "2h", rules: ["allow:country=GB", "block:any"], now: NOW });
  assert.deepEqual(claims(token), {
    sub: VIDEO,
    kid: KID,
    exp: NOW + 7200,
    accessRules: [
      { type: "ip.geoip.country", action: "allow", country: ["GB"] },
      { type: "any", action: "block" },
    ],
  });
});

test("ttl as text or seconds, now as seconds or a Date: one token", async () => {
  const signer = new Signer(SigningKey.parse(fixture("demo/demo.jwk.json").toString()));
  const tokens = new Set([
    await signer.mint(VIDEO, { ttl: "2h", now: NOW }),
    await signer.mint(VIDEO, { ttl: 7200, now: NOW }),
    await signer.mint(VIDEO, { ttl: "1h60m", now: new Date(NOW * 1000) }),
  ]);
  assert.equal(tokens.size, 1);
  const fresh = claims(await signer.mint(VIDEO));
  assert.ok(Math.abs(fresh.exp - (Date.now() / 1000 + 3600)) < 5);
});

test("refusals are CfStreamTokenErrors with the crate's kind and status", async () => {
  await assert.rejects(() => new Signer(SigningKey.parse(fixture("demo/demo.jwk.json").toString())).mint(VIDEO, { ttl: "25h" }), (e) => {
    assert.equal(e.name, "CfStreamTokenError");
    assert.equal(e.kind, "lifetime_too_long");
    assert.equal(e.httpStatus, 400);
    return e instanceof Error;
  });
  assert.throws(() => SigningKey.parse(fixture("demo/demo_pkcs1.pem").toString()), (e) => e.kind === "key_id_required");
  assert.throws(() => SigningKey.parse(fixture("bad/rsa1024_pkcs1.pem"), { kid: KID }), (e) => e.kind === "key_too_small");
  const pem = fixture("demo/demo_pkcs8.pem").toString();
  try {
    SigningKey.parse(pem);
    assert.fail("parsed without a kid");
  } catch (e) {
    const body = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
    assert.ok(!body.some((line) => e.message.includes(line.slice(0, 20))), "key material in the message");
  }
});

test("wrong JS types are TypeErrors; a key makes one signer", async () => {
  assert.throws(() => SigningKey.parse(42), TypeError);
  const key = SigningKey.parse(fixture("demo/demo.jwk.json").toString());
  const signer = new Signer(key);
  assert.throws(() => new Signer(key), TypeError);
  await assert.rejects(() => signer.mint(VIDEO, { ttl: true }), TypeError);
  await assert.rejects(() => signer.mint(VIDEO, { rules: "block:any" }), TypeError);
  await assert.rejects(() => signer.mint(VIDEO, { now: 1.5 }), TypeError);
});

test("a signer's verifier reads its tokens back; refusals carry the crate's kinds", async () => {
  const signer = new Signer(SigningKey.parse(fixture("demo/demo.jwk.json").toString()));
  const token = await signer.mint(VIDEO, { ttl: "2h", downloadable: true, now: NOW });
  const verifier = signer.verifier();
  assert.deepEqual(await verifier.verify(token, { video: VIDEO, now: NOW + 1 }), {
    sub: VIDEO,
    kid: KID,
    exp: NOW + 7200,
    nbf: null,
    downloadable: true,
    accessRules: [],
  });
  const kind = (p) => p.then(() => "accepted", (e) => (e.name === "CfStreamTokenError" ? e.kind : `${e.name}: ${e.message}`));
  assert.equal(await kind(verifier.verify(token, { video: "0123456789abcdef0123456789abcdef", now: NOW })), "wrong_video");
  assert.equal(await kind(verifier.verify(token, { now: NOW + 7200 })), "expired");
  assert.equal(await kind(verifier.verify(token, { now: new Date((NOW + 7199) * 1000) })), "accepted");
  const [head, payload, sig] = token.split(".");
  const flipped = `${head}.${payload}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
  assert.equal(await kind(verifier.verify(flipped, { now: NOW })), "bad_signature");
  const otherPayload = Buffer.from(JSON.stringify({ ...claims(token), downloadable: false })).toString("base64url");
  assert.equal(await kind(verifier.verify(`${head}.${otherPayload}.${sig}`, { now: NOW })), "bad_signature");
  assert.equal(await kind(verifier.verify(`https://x/${token}/manifest/video.m3u8`, { now: NOW })), "malformed_token");
  // With no `now`, the clock: a token minted now verifies now.
  assert.equal((await verifier.verify(await signer.mint(VIDEO))).sub, VIDEO);
});

test("a verifier from public forms, with a leeway, and from several keys by kid", async () => {
  const signer = new Signer(SigningKey.parse(fixture("demo/demo.jwk.json").toString()));
  const token = await signer.mint(VIDEO, { ttl: 60, now: NOW });
  for (const [input, options] of [
    [fixture("demo/demo_public.jwk.json").toString(), {}],
    [fixture("demo/demo_public_spki.pem").toString(), {}],
    [fixture("demo/demo_public_pkcs1.pem").toString(), { kid: KID }],
    [new Uint8Array(fixture("demo/demo_pkcs1.der")), { kid: KID }],
  ]) {
    assert.equal((await Verifier.parse(input, options).verify(token, { now: NOW })).kid, KID);
  }
  const strict = Verifier.parse(fixture("demo/demo_public.jwk.json").toString());
  const lenient = Verifier.parse(fixture("demo/demo_public.jwk.json").toString(), { leeway: "30s" });
  await assert.rejects(() => strict.verify(token, { now: NOW + 61 }), (e) => e.kind === "expired");
  assert.equal((await lenient.verify(token, { now: NOW + 61 })).sub, VIDEO);

  const otherKey = SigningKey.parse(fixture("other/other.jwk.json").toString());
  const otherKid = otherKey.kid;
  const otherToken = await new Signer(otherKey).mint(VIDEO, { now: NOW });
  await assert.rejects(() => strict.verify(otherToken, { now: NOW }), (e) => e.kind === "wrong_key");
  const ring = Verifier.fromKeys([fixture("demo/demo_public.jwk.json").toString(), fixture("other/other.jwk.json").toString()]);
  assert.equal((await ring.verify(token, { now: NOW })).kid, KID);
  assert.equal((await ring.verify(otherToken, { now: NOW })).kid, otherKid);
  const onlyOther = Verifier.fromKeys([fixture("other/other.jwk.json").toString()]);
  await assert.rejects(() => onlyOther.verify(token, { now: NOW }), (e) => e.kind === "unknown_key");
  const noKid = Verifier.fromKeys([fixture("demo/demo_public_spki.pem").toString()]);
  await assert.rejects(() => noKid.verify(token, { now: NOW }), (e) => e.kind === "key_id_required");
});

test("verifier arguments: TypeErrors for wrong JS types, the crate's kinds for bad values", async () => {
  assert.throws(() => Verifier.parse(42), TypeError);
  assert.throws(() => Verifier.fromKeys("not an array"), TypeError);
  assert.throws(() => Verifier.parse("not a key"), (e) => e.name === "CfStreamTokenError");
  assert.throws(() => Verifier.parse(fixture("demo/demo_public.jwk.json").toString(), { leeway: true }), TypeError);
  const verifier = Verifier.parse(fixture("demo/demo_public.jwk.json").toString());
  await assert.rejects(() => verifier.verify("a.b.c", { video: 7 }), TypeError);
  await assert.rejects(() => verifier.verify("a.b.c", { video: "nope" }), (e) => e.kind === "invalid_video_id");
});

test("node:crypto and WebCrypto signers make the same token; a bad importSigner is refused", async () => {
  const key = () => SigningKey.parse(fixture("demo/demo.jwk.json").toString());
  const viaNode = await new Signer(key()).mint(VIDEO, { now: NOW });
  const viaWebCrypto = await new Signer(key(), { webcrypto: true }).mint(VIDEO, { now: NOW });
  assert.equal(viaNode, viaWebCrypto);
  assert.equal(viaNode, fixture("golden/minimal.jwt").toString().trim());
  const template = new PlaybackTemplate({ customerCode: "abc123", ttl: "2h" });
  const urls = await template.mint(new Signer(key(), { webcrypto: true }), VIDEO, { now: NOW });
  assert.ok(urls.hls.includes(viaNode.split(".")[0]));
});
