// The shared conformance vectors through the installed package, in any
// runtime with node:fs and the package in node_modules (scripts/
// bindings-check.sh copies this file and cases.mjs next to an
// `npm install ./bindings/js`):
//
//   deno run --allow-read conformance.mjs <repository root>
//   bun conformance.mjs <repository root>
//   node conformance.mjs <repository root>
//
// Prints the runtime and the count; exits 1 on any difference, naming it.
import { readFileSync } from "node:fs";
import process from "node:process";

import * as lib from "cf-stream-token";
import { runAll } from "./cases.mjs";

const root = new URL(`file://${process.argv[2].replace(/\/?$/, "/")}`);
const { cases } = JSON.parse(readFileSync(new URL("vectors/cases.json", root), "utf8"));
const readFile = (rel) => new Uint8Array(readFileSync(new URL(rel, root)));
const runtime = globalThis.Deno
  ? `deno ${globalThis.Deno.version.deno}`
  : globalThis.Bun
    ? `bun ${globalThis.Bun.version}`
    : `node ${process.version}`;

const results = await runAll(cases, lib, readFile);
const failed = results.filter((r) => !r.ok);
for (const f of failed) console.log(`FAIL ${f.name}: got ${JSON.stringify(f.got)}`);
console.log(`${runtime}: ${results.length - failed.length} of ${results.length} conformance cases pass`);
if (failed.length > 0 || results.length < 90) process.exit(1);
