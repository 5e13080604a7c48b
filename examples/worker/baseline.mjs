// The JavaScript baseline for BENCHMARKS.md: what Cloudflare's documented
// "signing tokens in a Worker" example does (developers.cloudflare.com/stream/
// viewing-videos/securing-your-stream/), written here from its description:
// decode the base64 `jwk` field, import it with WebCrypto as a non-extractable
// RSASSA-PKCS1-v1_5 / SHA-256 key, JSON.stringify the header and claims
// (sub, kid, exp = now + 1 h), base64url them, sign, base64url the signature.
// The documented example imports the key inside the request handler, so
// `mintLikeTheDocs` imports it per token; `JsOnceSigner` is the same code with
// the import hoisted out, the fastest plain-JS form, for a stricter comparison.

const ALG = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

function b64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const encoder = new TextEncoder();
const jsonB64url = (obj) => b64url(encoder.encode(JSON.stringify(obj)));

async function importJwk(jwkB64) {
  const jwk = JSON.parse(atob(jwkB64));
  return { kid: jwk.kid, key: await crypto.subtle.importKey("jwk", jwk, ALG, false, ["sign"]) };
}

async function sign(kid, key, video) {
  const header = jsonB64url({ alg: "RS256", kid });
  const payload = jsonB64url({ sub: video, kid, exp: Math.floor(Date.now() / 1000) + 3600 });
  const input = `${header}.${payload}`;
  const sig = await crypto.subtle.sign(ALG.name, key, encoder.encode(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

export async function mintLikeTheDocs(jwkB64, video) {
  const { kid, key } = await importJwk(jwkB64);
  return sign(kid, key, video);
}

export class JsOnceSigner {
  static async create(jwkB64) {
    const s = new JsOnceSigner();
    Object.assign(s, await importJwk(jwkB64));
    return s;
  }
  mint(video) {
    return sign(this.kid, this.key, video);
  }
}
