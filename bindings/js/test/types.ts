// The package's TypeScript types (index.d.ts) as a user's code meets them:
// type-checked, not run, by `deno check` in scripts/bindings-check.sh
// (copied next to the npm install). Each `@ts-expect-error` must be an error.
import {
  type CfStreamTokenError,
  type Claims,
  PlaybackTemplate,
  Signer,
  SigningKey,
  Verifier,
} from "cf-stream-token";

const key: SigningKey = SigningKey.parse("pem text", { kid: "8f3c2a1b9d4e5f60718293a4b5c6d7e8" });
const bits: number = key.bits;
const signer = new Signer(SigningKey.parse(new Uint8Array(0)), { webcrypto: true });
const token: string = await signer.mint("video", {
  ttl: "2h",
  nbf: new Date(),
  backdate: 60,
  downloadable: true,
  rules: ["allow:country=GB", "block:any"],
  now: 1_700_000_000,
});
const template = new PlaybackTemplate({
  customerCode: "abc123",
  surfaces: ["hls", { kind: "thumbnail", time: "5s", fit: "crop" }],
  ttl: "2h",
});
const urls: Record<string, string> = await template.mint(signer, "video", { now: new Date() });
const claims: Claims = await signer.verifier({ leeway: "30s" }).verify(token, { video: "video" });
const nbf: number | null = claims.nbf;
const rules: string[] = claims.accessRules.map((r) => `${r.action}:${r.type}`);
const ring: Verifier = Verifier.fromKeys(["jwk", new Uint8Array(0)], { leeway: 5 });
const one: Verifier = Verifier.parse("spki pem", { kid: "8f3c2a1b9d4e5f60718293a4b5c6d7e8" });
try {
  await one.verify(token);
} catch (e) {
  const err = e as CfStreamTokenError;
  const kind: string = err.kind;
  const status: number = err.httpStatus;
  console.log(kind, status);
}
console.log(bits, urls, nbf, rules, ring);

// @ts-expect-error: a key is text or bytes
SigningKey.parse(42);
// @ts-expect-error: options are an object
await signer.mint("video", "2h");
// @ts-expect-error: exp is a number of seconds
const exp: string = claims.exp;
// @ts-expect-error: Verifier has no public constructor
new Verifier();
// @ts-expect-error: `webcrypto` is a boolean
new Signer(key, { webcrypto: "yes" });
console.log(exp);
