// Runs the package inside workerd (miniflare), as a Worker that imports it
// by name: the entry is the one the package's "workerd" export condition
// names (what wrangler resolves). Checks every shared conformance case there
// (keys inlined: workerd has no file system), then a GB-only two-hour HLS
// URL and its claims. Exits 1 on any difference.
//
//   node run.mjs <repository root> <folder with node_modules/cf-stream-token and miniflare>
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
const [root, installed] = process.argv.slice(2);
const { Miniflare } = await import(join(installed, "node_modules/miniflare/dist/src/index.js"));

const pkgDir = join(installed, "node_modules/cf-stream-token");
const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const entry = manifest.exports["."].workerd;
assert.ok(entry, "the package names a workerd entry");

const mf = new Miniflare({
  modulesRoot: here,
  modules: [
    { type: "ESModule", path: join(here, "worker.mjs") },
    { type: "ESModule", path: join(here, "cases.mjs"), contents: readFileSync(join(here, "..", "cases.mjs")) },
    // The bare name the Worker imports, resolved as a bundler would.
    { type: "ESModule", path: join(here, "cf-stream-token"), contents: `export * from "./pkg/${entry.slice(2)}";` },
    { type: "ESModule", path: join(here, "pkg", entry.slice(2)), contents: readFileSync(join(pkgDir, entry)) },
    {
      type: "ESModule",
      path: join(here, "pkg/pkg/cf_stream_token_js.js"),
      contents: readFileSync(join(pkgDir, "pkg/cf_stream_token_js.js")),
    },
    {
      type: "CompiledWasm",
      path: join(here, "pkg/pkg/cf_stream_token_js_bg.wasm"),
      contents: readFileSync(join(pkgDir, "pkg/cf_stream_token_js_bg.wasm")),
    },
  ],
  compatibilityDate: "2025-01-01",
  bindings: { SIGNING_JWK: readFileSync(join(root, "fixtures/demo/demo.jwk.json"), "utf8") },
});

try {
  const inline = (spec) =>
    spec && "file" in spec
      ? { ...Object.fromEntries(Object.entries(spec).filter(([k]) => k !== "file")), bytes: readFileSync(join(root, spec.file)).toString("base64") }
      : spec;
  const { cases } = JSON.parse(readFileSync(join(root, "vectors/cases.json"), "utf8"));
  const sent = cases.map((c) => ({
    ...c,
    key: inline(c.key),
    ...(c.verify ? { verify: { ...c.verify, verifier: inline(c.verify.verifier) } } : {}),
  }));
  const res = await mf.dispatchFetch("http://localhost/conformance", { method: "POST", body: JSON.stringify(sent) });
  assert.equal(res.status, 200, await res.clone().text());
  const results = await res.json();
  const failed = results.filter((r) => !r.ok);
  for (const f of failed) console.log(`FAIL ${f.name}: got ${JSON.stringify(f.got)}`);
  assert.equal(results.length, cases.length);
  assert.equal(failed.length, 0, "conformance cases differ in workerd");
  console.log(`workerd: ${results.length} of ${cases.length} conformance cases pass`);

  const video = "ea95132c15732412d22c1476fa83f27a";
  const answer = await (await mf.dispatchFetch(`http://localhost/url?video=${video}`)).json();
  assert.match(answer.url, /^https:\/\/customer-abc123\.cloudflarestream\.com\/[^/]+\/manifest\/video\.m3u8$/);
  assert.equal(answer.claims.sub, video);
  assert.deepEqual(answer.claims.accessRules, [
    { type: "ip.geoip.country", action: "allow", country: ["GB"] },
    { type: "any", action: "block" },
  ]);
  const lifetime = answer.claims.exp - Math.floor(Date.now() / 1000);
  assert.ok(lifetime > 7200 - 60 && lifetime <= 7200, `exp is ${lifetime} s away`);
  const refused = await mf.dispatchFetch("http://localhost/url?video=not-a-video");
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error, "invalid_video_id");
  console.log(`workerd: ${answer.url.replace(/\/[^/]{40,}\//, "/<token>/")} (GB only, ${lifetime} s)`);
} finally {
  await mf.dispose();
}
