// The shared conformance vectors (vectors/cases.json) through the JS API in
// Node: every key, mint, URL and verification case. The same runner
// (cases.mjs) runs them in Deno, Bun and workerd (scripts/bindings-check.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as lib from "../index.js";
import { run } from "./cases.mjs";

const root = new URL("../../../", import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL("vectors/cases.json", root), "utf8"));
const readFile = (rel) => new Uint8Array(readFileSync(new URL(rel, root)));

test("the vectors hold key, mint, URL and verification cases, refusals among them", () => {
  assert.ok(cases.length > 90, `${cases.length} cases`);
  assert.ok(cases.some((c) => c.expect.error === "lifetime_too_long"));
  assert.ok(cases.some((c) => c.expect.error === "bad_signature"));
  assert.ok(cases.some((c) => c.expect.token));
  assert.ok(cases.some((c) => c.expect.urls));
  assert.ok(cases.some((c) => c.expect.claims));
});

for (const c of cases) {
  test(c.name, async () => {
    assert.deepEqual(await run(c, lib, readFile), c.expect);
  });
}

test("the WebCrypto signer makes the same tokens as the node:crypto one", async () => {
  const webcrypto = {
    ...lib,
    Signer: class extends lib.Signer {
      constructor(key) {
        super(key, { webcrypto: true });
      }
    },
  };
  const minting = cases.filter((c) => c.mint && !c.verify);
  assert.ok(minting.length > 20);
  for (const c of minting) assert.deepEqual(await run(c, webcrypto, readFile), c.expect, c.name);
});
