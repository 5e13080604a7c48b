// cf-stream-token for JavaScript, the Cloudflare Workers entry (the
// "workerd" and "worker" export conditions, which wrangler resolves): the
// module is imported as a compiled WebAssembly module, as Workers import
// every .wasm file, and tokens are signed with WebCrypto. Same API as the
// Node entry (index.js); `webcrypto` is the only signer here.
import wasm from "./pkg/cf_stream_token_js_bg.wasm";
import { initSync, Signer as WasmSigner } from "./pkg/cf_stream_token_js.js";

initSync({ module: wasm });

export class Signer extends WasmSigner {
  // `options.webcrypto` is accepted for the Node entry's sake: WebCrypto is
  // what signs here either way.
  constructor(key, _options = {}) {
    super(key, {});
  }
}

export { PlaybackTemplate, SigningKey, Verifier } from "./pkg/cf_stream_token_js.js";
