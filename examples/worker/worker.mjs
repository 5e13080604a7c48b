// The Worker's fetch handler: a thin shim over the Rust module (src/lib.rs).
//
//   GET /url?video=<uid>            -> a signed HLS URL (text/plain)
//   GET /bench?impl=<name>&n=<N>    -> N mints in a loop inside this one request,
//                                      the last token as the body (timed by the caller)
//
// Environment: STREAM_SIGNING_KEY (any key form; the demo key when unset),
// STREAM_KEY_ID (PEM/DER only), STREAM_CUSTOMER_CODE. The benchmark's JS
// baseline reads STREAM_SIGNING_JWK_B64 (Cloudflare's `jwk` field).
import { initSync, Minter } from "./pkg/cf_stream_token_worker.js";
import wasm from "./pkg/cf_stream_token_worker_bg.wasm";
import { mintLikeTheDocs, JsOnceSigner } from "./baseline.mjs";

initSync({ module: wasm });

// Per isolate, not per request: the key is parsed, checked and imported once.
let minter;
function getMinter(env) {
  minter ??= Minter.create(env.STREAM_SIGNING_KEY, env.STREAM_KEY_ID, env.STREAM_CUSTOMER_CODE ?? "abc123");
  return minter;
}
let jsOnce;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const video = url.searchParams.get("video") ?? "ea95132c15732412d22c1476fa83f27a";
    try {
      if (url.pathname === "/url") {
        const m = await getMinter(env);
        return new Response(await m.hlsUrl(video, 3600), { headers: { "content-type": "text/plain" } });
      }
      if (url.pathname === "/bench") {
        const n = Number(url.searchParams.get("n") ?? "200");
        const which = url.searchParams.get("impl");
        let last = "";
        if (which === "rust") {
          last = await (await getMinter(env)).mintMany(video, n);
        } else if (which === "js-docs") {
          for (let i = 0; i < n; i++) last = await mintLikeTheDocs(env.STREAM_SIGNING_JWK_B64, video);
        } else if (which === "js-once") {
          jsOnce ??= JsOnceSigner.create(env.STREAM_SIGNING_JWK_B64);
          const s = await jsOnce;
          for (let i = 0; i < n; i++) last = await s.mint(video);
        } else {
          return new Response("unknown impl", { status: 400 });
        }
        return new Response(last, { headers: { "content-type": "text/plain" } });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      // The crate's errors never carry key material.
      return new Response(`error: ${e}`, { status: 500 });
    }
  },
};
