// cf-stream-token for JavaScript: the Rust crate built for wasm32. This is
// the entry for Node 18+, Deno and Bun: it loads the module with node:fs and
// signs with node:crypto, synchronously on the calling thread (WebCrypto
// queues each signature on a thread pool, which costs about 9% in Node);
// `new Signer(key, { webcrypto: true })` signs with WebCrypto instead. The
// token itself (claims, the 24-hour cap, header, encoding) is always built
// and checked by the Rust crate. Cloudflare Workers get index.workerd.js
// (the "workerd" export condition), which signs with WebCrypto.
import { readFileSync } from "node:fs";
import { createPrivateKey, sign, webcrypto } from "node:crypto";
import { initSync, Signer as WasmSigner } from "./pkg/cf_stream_token_js.js";

// Node 18 has WebCrypto (the verifier's) only as node:crypto's `webcrypto`.
if (!globalThis.crypto?.subtle) {
  globalThis.crypto = webcrypto;
}

initSync({ module: readFileSync(new URL("./pkg/cf_stream_token_js_bg.wasm", import.meta.url)) });

// Called once per Signer with the private JWK; the key object stays in
// OpenSSL (BoringSSL in Bun), the JWK is dropped.
function nodeCrypto(jwk) {
  const key = createPrivateKey({ key: jwk, format: "jwk" });
  return (bytes) => sign("sha256", bytes, key);
}

export class Signer extends WasmSigner {
  constructor(key, options = {}) {
    super(key, options.webcrypto ? {} : { importSigner: nodeCrypto });
  }
}

export { PlaybackTemplate, SigningKey, Verifier } from "./pkg/cf_stream_token_js.js";
