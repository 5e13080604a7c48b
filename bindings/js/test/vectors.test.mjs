// The shared conformance vectors (vectors/cases.json) through the JS API:
// every key, mint and URL case. (Verification cases need a Verifier, which
// the wasm32 build does not have yet.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { PlaybackTemplate, Signer, SigningKey } from "../index.js";

const root = new URL("../../../", import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL("vectors/cases.json", root), "utf8"));

function keyInput(spec) {
  return "file" in spec ? new Uint8Array(readFileSync(new URL(spec.file, root))) : spec.text;
}

const OPTIONS = ["ttl", "exp", "nbf", "backdate", "downloadable", "rules", "now"];

async function run(c) {
  try {
    const key = SigningKey.parse(keyInput(c.key), { kid: c.key.kid });
    const { kid, bits } = key;
    if (c.urls) {
      const u = c.urls;
      const camel = (k) => k.replace(/_(.)/g, (_, ch) => ch.toUpperCase());
      const surfaces = u.surfaces.map((s) =>
        typeof s === "string" ? s : Object.fromEntries(Object.entries(s).map(([k, v]) => [camel(k), v])),
      );
      const config = Object.fromEntries(OPTIONS.filter((o) => o !== "now" && o in u).map((o) => [o, u[o]]));
      if ("customer_code" in u) config.customerCode = u.customer_code;
      if ("host" in u) config.host = u.host;
      const template = new PlaybackTemplate({ ...config, surfaces });
      return { urls: await template.mint(new Signer(key), u.video, { now: u.now }) };
    }
    if (!c.mint) return { kid, bits };
    const options = Object.fromEntries(OPTIONS.filter((o) => o in c.mint).map((o) => [o, c.mint[o]]));
    return { token: await new Signer(key).mint(c.mint.video, options) };
  } catch (e) {
    if (e.name !== "CfStreamTokenError") throw e;
    return { error: e.kind };
  }
}

const ours = cases.filter((c) => !c.verify);

test("the vectors hold key and mint cases, refusals among them", () => {
  assert.ok(ours.length > 70, `${ours.length} cases`);
  assert.ok(ours.some((c) => c.expect.error === "lifetime_too_long"));
  assert.ok(ours.some((c) => c.expect.token));
  assert.ok(ours.some((c) => c.expect.urls));
});

for (const c of ours) {
  test(c.name, async () => {
    assert.deepEqual(await run(c), c.expect);
  });
}
