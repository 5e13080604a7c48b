// cf-stream-token for JavaScript: the Rust crate built for wasm32, signing
// with the runtime's WebCrypto. ESM, Node 18+.
import { readFile } from "node:fs/promises";
import { webcrypto } from "node:crypto";
import init, { PlaybackTemplate, SigningKey, Signer } from "./pkg/cf_stream_token_js.js";

// Node 18 has WebCrypto only as node:crypto's `webcrypto`.
if (!globalThis.crypto?.subtle) {
  globalThis.crypto = webcrypto;
}

await init({
  module_or_path: await readFile(new URL("./pkg/cf_stream_token_js_bg.wasm", import.meta.url)),
});

export { PlaybackTemplate, SigningKey, Signer };
