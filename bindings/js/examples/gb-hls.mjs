// A GB-only, two-hour HLS URL per request, with node:http and nothing else.
//
//   CF_STREAM_SIGNING_KEY="$(cat stream-key.json)" node examples/gb-hls.mjs
//   curl localhost:8000/videos/ea95132c15732412d22c1476fa83f27a/hls
import { createServer } from "node:http";
import { PlaybackTemplate, Signer, SigningKey } from "cf-stream-token";

export function makeHandler(signer, customerCode = "abc123") {
  const template = new PlaybackTemplate({
    customerCode,
    surfaces: ["hls"],
    ttl: "2h",
    rules: ["allow:country=GB", "block:any"],
  });
  return async (req, res) => {
    const [, videos, video, hls] = new URL(req.url, "http://x").pathname.split("/");
    if (videos !== "videos" || hls !== "hls") return res.writeHead(404).end();
    try {
      const { hls: url } = await template.mint(signer, video);
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ url }));
    } catch (e) {
      if (e.name !== "CfStreamTokenError") throw e;
      res.writeHead(e.httpStatus, { "content-type": "application/json" }).end(JSON.stringify({ error: e.kind }));
    }
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const signer = new Signer(SigningKey.parse(process.env.CF_STREAM_SIGNING_KEY, { kid: process.env.CF_STREAM_KEY_ID }));
  createServer(makeHandler(signer)).listen(8000, "127.0.0.1");
}
