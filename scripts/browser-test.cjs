// The browser half of scripts/browser-test.sh (which sets the environment
// and starts the emulator and examples/player.rs): headless Chromium,
// driven by playwright-core, plays the page's signed HLS URL.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const CHROMIUM = env("CHROMIUM");
const PAGE = env("PAGE");
const VIDEO = env("VIDEO");
const CONTROL = env("CONTROL");
const API = env("API");
const TOKEN = env("TOKEN");
const ACCOUNT = env("ACCOUNT");
const KID = env("KID");
const SCREENSHOT = env("SCREENSHOT");
const PROFILE_PARENT = env("PROFILE_PARENT");

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function controlPost(route, body) {
  const r = await fetch(`${CONTROL}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${route}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function log() {
  const r = await fetch(`${CONTROL}/log`);
  return r.json();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// The page's player state and the video's clock and decoded frames.
function sample(page) {
  return page.evaluate(() => {
    const v = document.getElementById("video");
    const q = v.getVideoPlaybackQuality();
    return {
      state: window.player.state,
      error: window.player.error,
      recovered: window.player.recovered,
      time: v.currentTime,
      frames: q.totalVideoFrames,
      ended: v.ended,
    };
  });
}

async function open(context) {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`page error: ${e}`));
  await page.goto(`${PAGE}?video=${VIDEO}`);
  return page;
}

/// Wait until the page's player reports an error, and return it.
async function playerError(page) {
  await page.waitForFunction(() => window.player.error !== null, null, { timeout: 20000 });
  return (await sample(page)).error;
}

/// Playback has stopped: the clock no longer moves and the video did not end.
async function stalled(page) {
  // What was buffered before the refusal plays out first.
  await sleep(2500);
  const a = await sample(page);
  await sleep(1000);
  const b = await sample(page);
  return { stopped: a.time === b.time && !b.ended, at: b.time };
}

async function main() {
  // A fresh profile for every run.
  const profile = fs.mkdtempSync(path.join(path.resolve(PROFILE_PARENT), "profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 800, height: 600 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  try {
    // 1. A viewer in GB plays: the clock advances, frames are decoded.
    await controlPost("/viewer", { country: "GB" });
    let page = await open(context);
    await page.waitForFunction(
      () => document.getElementById("video").currentTime > 2.5,
      null,
      { timeout: 30000 },
    );
    const first = await sample(page);
    await sleep(1000);
    const later = await sample(page);
    check(first.error === null, `GB: no network or fatal player error (${JSON.stringify(first.error)}; recovered by hls.js: ${JSON.stringify(first.recovered)})`);
    check(later.time > first.time, `GB: currentTime grows (${first.time.toFixed(2)} s -> ${later.time.toFixed(2)} s)`);
    check(later.frames > 48, `GB: frames decoded (${later.frames})`);
    await page.screenshot({ path: SCREENSHOT });
    console.log(`screenshot: ${SCREENSHOT}`);
    const fetched = (await log()).filter((r) => r.path.startsWith("/<token>/manifest/"));
    check(
      fetched.some((r) => r.path === "/<token>/manifest/segment_1.ts" && r.decision === "ok"),
      "GB: segments fetched under the token, the log token-free",
    );
    await page.close();

    // 2. A viewer in the US: the edge refuses, the player says why.
    await controlPost("/viewer", { country: "US" });
    page = await open(context);
    let error = await playerError(page);
    check(error.status === 403 && error.reason === "blocked-by-rule:2",
      `US: refused with 403 blocked-by-rule:2 (${JSON.stringify(error)})`);
    check((await sample(page)).time === 0, "US: nothing played");
    await page.close();

    // 3. The emulator's clock passes the token's expiry mid-stream: the
    // next segment is refused and playback stops before the end.
    await controlPost("/viewer", { country: "GB" });
    page = await open(context);
    await page.waitForFunction(() => window.player.state === "playing", null, { timeout: 20000 });
    await controlPost("/clock", { advance_secs: 3700 });
    error = await playerError(page);
    check(error.status === 401 && error.reason === "expired",
      `expiry: next segment refused with 401 expired (${JSON.stringify(error)})`);
    let stall = await stalled(page);
    check(stall.stopped && stall.at < 6, `expiry: playback stopped at ${stall.at.toFixed(2)} s of 6`);
    await controlPost("/clock", { advance_secs: -3700 });
    await page.close();

    // 4. The signing key is deleted mid-stream: the next segment is refused.
    page = await open(context);
    await page.waitForFunction(() => window.player.state === "playing", null, { timeout: 20000 });
    const deleted = await fetch(`${API}/accounts/${ACCOUNT}/stream/keys/${KID}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    check(deleted.ok, "revoke: the key is deleted");
    error = await playerError(page);
    check(error.status === 401 && error.reason === "revoked-key",
      `revoke: next segment refused with 401 revoked-key (${JSON.stringify(error)})`);
    stall = await stalled(page);
    check(stall.stopped && stall.at < 6, `revoke: playback stopped at ${stall.at.toFixed(2)} s of 6`);
    await page.close();

    const entries = await log();
    const text = JSON.stringify(entries);
    check(!/[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/.test(text), "the request log holds no token");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
