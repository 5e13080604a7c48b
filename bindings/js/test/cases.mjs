// One run of a shared conformance case (vectors/cases.json) through the JS
// API, in any runtime: Node, Deno, Bun and workerd all call this. `lib` is
// the package's exports; a key is given as `text`, as `bytes` (base64, for
// runtimes without a file system) or as a `file` that `readFile` reads.

const OPTIONS = ["ttl", "exp", "nbf", "backdate", "downloadable", "rules"];
const camel = (k) => k.replace(/_(.)/g, (_, ch) => ch.toUpperCase());

function keyInput(spec, readFile) {
  if ("text" in spec) return spec.text;
  if ("bytes" in spec) return Uint8Array.from(atob(spec.bytes), (ch) => ch.charCodeAt(0));
  return readFile(spec.file);
}

function options(obj) {
  return Object.fromEntries(OPTIONS.filter((o) => o in obj).map((o) => [o, obj[o]]));
}

/** `expect` as this runtime produces it: a token, URLs, claims, a key's kid and size, or an error kind. */
export async function run(c, lib, readFile) {
  const { PlaybackTemplate, Signer, SigningKey, Verifier } = lib;
  try {
    const key = SigningKey.parse(keyInput(c.key, readFile), { kid: c.key.kid });
    const { kid, bits } = key;
    const signer = new Signer(key);
    let token;
    if (c.mint) token = await signer.mint(c.mint.video, { ...options(c.mint), now: c.mint.now });
    if (c.urls) {
      const u = c.urls;
      const surfaces = u.surfaces.map((s) =>
        typeof s === "string" ? s : Object.fromEntries(Object.entries(s).map(([k, v]) => [camel(k), v])),
      );
      const config = { ...options(u), surfaces };
      if ("customer_code" in u) config.customerCode = u.customer_code;
      if ("host" in u) config.host = u.host;
      return { urls: await new PlaybackTemplate(config).mint(signer, u.video, { now: u.now }) };
    }
    if (c.verify) {
      const v = c.verify;
      const verifier = v.verifier
        ? Verifier.parse(keyInput(v.verifier, readFile), { kid: v.verifier.kid })
        : signer.verifier();
      return { claims: await verifier.verify(v.token ?? token, { video: v.video, now: v.now }) };
    }
    if (token !== undefined) return { token };
    return { kid, bits };
  } catch (e) {
    if (e?.name !== "CfStreamTokenError") throw e;
    return { error: e.kind };
  }
}

/** Every case's outcome: `{name, ok, got}`, `got` only when it differs. */
export async function runAll(cases, lib, readFile) {
  const out = [];
  for (const c of cases) {
    let got;
    try {
      got = await run(c, lib, readFile);
    } catch (e) {
      got = { thrown: `${e?.name}: ${e?.message}` };
    }
    const ok = sameJson(got, c.expect);
    out.push(ok ? { name: c.name, ok } : { name: c.name, ok, got });
  }
  return out;
}

/** Deep equality of JSON values (object key order ignored). */
export function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
}
