import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { Signer, SigningKey } from "../index.js";

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
