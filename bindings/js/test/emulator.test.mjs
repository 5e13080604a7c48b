// The Node example's URL played on the crate's emulator (`cf-stream-token
// emulate`, a process on 127.0.0.1): GB plays, elsewhere is refused, and the
// URL stops playing after two hours.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { createInterface } from "node:readline";

import { Signer, SigningKey } from "cf-stream-token";
import { makeHandler } from "../examples/gb-hls.mjs";

const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
const bin =
  process.env.CF_STREAM_TOKEN_BIN ?? new URL("../../../target/debug/cf-stream-token", import.meta.url).pathname;

async function emulator() {
  assert.ok(existsSync(bin), `build the CLI first (cargo build --features cli) or set CF_STREAM_TOKEN_BIN: ${bin}`);
  const child = spawn(bin, ["emulate", "--api-token", "t"], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  return { child, ...JSON.parse(line) };
}

const post = (url, body) =>
  fetch(url, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });

test("the example's GB-only 2 h HLS URL plays in GB only, for two hours", async (t) => {
  const stream = await emulator();
  t.after(() => stream.child.kill());
  const created = await (await post(`${stream.api}/accounts/${ACCOUNT}/stream/keys`)).json();
  assert.equal(created.success, true);
  const signer = new Signer(SigningKey.parse(JSON.stringify(created.result)));

  const server = createServer(makeHandler(signer));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const answer = await fetch(`http://127.0.0.1:${server.address().port}/videos/${VIDEO}/hls`);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  const { url } = await answer.json();
  assert.match(url, /^https:\/\/customer-abc123\.cloudflarestream\.com\/[^/]+\/manifest\/video\.m3u8$/);

  const play = async (country) => {
    const r = await fetch(`${stream.playback}/${url.split("/").slice(3).join("/")}`, {
      headers: { "cf-ipcountry": country },
    });
    return [r.status, r.headers.get("x-emulator-reason")];
  };
  assert.deepEqual(await play("GB"), [200, null]);
  assert.deepEqual(await play("US"), [403, "blocked-by-rule:2"]);
  const advance = (seconds) => post(`${stream.control}/clock`, { advance_secs: seconds });
  assert.equal((await advance(2 * 3600 - 60)).status, 200);
  assert.deepEqual(await play("GB"), [200, null]);
  assert.equal((await advance(60)).status, 200);
  assert.deepEqual(await play("GB"), [401, "expired"]);

  const bad = await fetch(`http://127.0.0.1:${server.address().port}/videos/nope/hls`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: "invalid_video_id" });
});
