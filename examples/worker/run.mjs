// Start the Worker in workerd (through miniflare), request a signed URL,
// then time N mints per implementation inside one request each.
// Prints `url <URL>`, bench lines, and last `token <TOKEN>`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "..", "..", "fixtures");
const N = Number(process.env.BENCH_N ?? "200");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");

const mf = new Miniflare({
  modulesRoot: here,
  modules: [
    { type: "ESModule", path: join(here, "worker.mjs") },
    { type: "ESModule", path: join(here, "baseline.mjs") },
    { type: "ESModule", path: join(here, "pkg/cf_stream_token_worker.js") },
    { type: "CompiledWasm", path: join(here, "pkg/cf_stream_token_worker_bg.wasm") },
  ],
  compatibilityDate: "2025-01-01",
  bindings: {
    // No STREAM_SIGNING_KEY: the Worker falls back to the demo key. The JS
    // baseline gets the same key as Cloudflare's base64 `jwk` field.
    STREAM_CUSTOMER_CODE: "abc123",
    STREAM_SIGNING_JWK_B64: readFileSync(join(fixtures, "demo", "demo.jwk.b64"), "utf8").trim(),
  },
});

async function get(path) {
  const res = await mf.dispatchFetch(`http://localhost${path}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${body}`);
  return body;
}

try {
  const url = await get("/url?video=ea95132c15732412d22c1476fa83f27a");
  const m = url.match(/^https:\/\/customer-abc123\.cloudflarestream\.com\/([^/]+)\/manifest\/video\.m3u8$/);
  if (!m) throw new Error(`unexpected URL shape: ${url}`);
  console.log(`url ${url}`);

  if (N > 0) {
    const impls = ["rust", "js-once", "js-docs"];
    const times = Object.fromEntries(impls.map((i) => [i, []]));
    for (const impl of impls) await get(`/bench?impl=${impl}&n=20`); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of impls) {
        const t0 = performance.now();
        const tok = await get(`/bench?impl=${impl}&n=${N}`);
        times[impl].push((performance.now() - t0) / N);
        if (tok.split(".").length !== 3) throw new Error(`${impl}: not a JWS`);
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const impl of impls) {
      console.log(`bench ${impl} N=${N} rounds=${ROUNDS} median_ms_per_token=${median(times[impl]).toFixed(3)} all=${times[impl].map((t) => t.toFixed(3)).join(",")}`);
    }
    console.log(`bench ratio rust/js-once=${(median(times.rust) / median(times["js-once"])).toFixed(3)} rust/js-docs=${(median(times.rust) / median(times["js-docs"])).toFixed(3)}`);
  }
  console.log(`token ${m[1]}`);
} finally {
  await mf.dispose();
}
