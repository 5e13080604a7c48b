// The package inside workerd: a Worker that imports "cf-stream-token" as
// wrangler would resolve it (the "workerd" export condition: index.workerd.js,
// the wasm as a compiled module, WebCrypto signing). Driven by run.mjs.
//
//   POST /conformance  a JSON array of shared cases (keys inlined) -> outcomes
//   GET  /url?video=…  a GB-only, two-hour HLS URL from env.SIGNING_JWK,
//                      and its token's claims as this Worker's Verifier reads them
import * as lib from "cf-stream-token";
import { runAll } from "./cases.mjs";

const { PlaybackTemplate, Signer, SigningKey } = lib;
let signer; // one per isolate: the key is parsed and imported once

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/conformance" && request.method === "POST") {
        const noFiles = () => {
          throw new Error("workerd has no file system: inline every key");
        };
        return Response.json(await runAll(await request.json(), lib, noFiles));
      }
      if (url.pathname === "/url") {
        signer ??= new Signer(SigningKey.parse(env.SIGNING_JWK));
        const template = new PlaybackTemplate({
          customerCode: "abc123",
          surfaces: ["hls"],
          ttl: "2h",
          rules: ["allow:country=GB", "block:any"],
        });
        const video = url.searchParams.get("video");
        const { hls } = await template.mint(signer, video);
        const token = new URL(hls).pathname.split("/")[1];
        const claims = await signer.verifier().verify(token, { video });
        return Response.json({ url: hls, claims });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      if (e?.name !== "CfStreamTokenError") throw e;
      return Response.json({ error: e.kind }, { status: e.httpStatus });
    }
  },
};
