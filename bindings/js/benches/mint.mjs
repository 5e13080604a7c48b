// JS `mint` against node:crypto's RSA sign of the same input, with jose as
// the peer. Same-run ratios, interleaved rounds, medians (shared machine).
//
//   bindings/js/build.sh
//   npm install --prefix target/js-bench jose
//   NODE_PATH=target/js-bench/node_modules node bindings/js/benches/mint.mjs
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { Signer, SigningKey } from "../index.js";

const require = createRequire(import.meta.url);
const { SignJWT, importPKCS8 } = await import(require.resolve("jose", { paths: (process.env.NODE_PATH ?? "").split(":") }));

const fixture = (rel) => readFileSync(new URL(`../../../fixtures/${rel}`, import.meta.url));
const KID = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const NOW = 1_700_000_000;
const ROUNDS = Number(process.argv[2] ?? 11);
const PER_ROUND = 300;

const signer = new Signer(SigningKey.parse(fixture("demo/demo_pkcs1.pem").toString(), { kid: KID }));
const webSigner = new Signer(SigningKey.parse(fixture("demo/demo_pkcs1.pem").toString(), { kid: KID }), { webcrypto: true });
const token = await signer.mint(VIDEO, { now: NOW });
const input = token.slice(0, token.lastIndexOf("."));
const nodeKey = createPrivateKey(fixture("demo/demo_pkcs1.pem"));
const joseKey = await importPKCS8(fixture("demo/demo_pkcs8.pem").toString(), "RS256");
const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url"));

const raw = async () => sign("sha256", Buffer.from(input), nodeKey);
const subtleKey = await crypto.subtle.importKey(
  "pkcs8",
  nodeKey.export({ type: "pkcs8", format: "der" }),
  { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  false,
  ["sign"],
);
const inputBytes = new TextEncoder().encode(input);
const subtle = () => crypto.subtle.sign("RSASSA-PKCS1-v1_5", subtleKey, inputBytes);
const mint = () => signer.mint(VIDEO, { now: NOW });
const webMint = () => webSigner.mint(VIDEO, { now: NOW });
const jose = () => new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: KID }).sign(joseKey);

// Same bytes first.
if ((await raw()).toString("base64url") !== token.slice(token.lastIndexOf(".") + 1)) throw new Error("raw differs");
if ((await jose()) !== token) throw new Error("jose differs");
if ((await webMint()) !== token) throw new Error("the WebCrypto signer differs");
if (Buffer.from(await subtle()).toString("base64url") !== token.slice(token.lastIndexOf(".") + 1)) throw new Error("subtle differs");

async function rate(fn, n = PER_ROUND) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (n * 1000) / (performance.now() - start);
}
const contenders = {
  "node:crypto sign": raw,
  "WebCrypto subtle.sign": subtle,
  "cf-stream-token mint (Node entry: node:crypto)": mint,
  "cf-stream-token mint ({ webcrypto: true }, as in Workers)": webMint,
  "jose SignJWT": jose,
};
for (const fn of Object.values(contenders)) await rate(fn, 50);
const rates = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(contenders)) rates[k].push(await rate(fn));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
// Each contender's rate against node:crypto's in the same round (they ran
// back to back), then the median of those ratios: a slow spell of the
// machine hits both sides of a ratio.
const base = rates["node:crypto sign"];
console.log(`${ROUNDS} rounds of ${PER_ROUND}, Node ${process.version}; medians (ratio: median of per-round ratios)`);
console.log("| contender | tokens/s | rate vs node:crypto sign |\n|---|---|---|");
for (const [k, xs] of Object.entries(rates)) {
  const ratio = median(xs.map((x, i) => x / base[i]));
  console.log(`| ${k} | ${median(xs).toFixed(0)} | ${ratio.toFixed(3)} |`);
}
