"""A framework-free WSGI backend that hands out GB-only, two-hour HLS URLs.

    CF_STREAM_SIGNING_KEY="$(cat stream-key.json)" python examples/app.py
    curl localhost:8000/videos/ea95132c15732412d22c1476fa83f27a/hls
"""

import json

from cf_stream_token import CfStreamTokenError, PlaybackTemplate, Signer, SigningKey

GB_ONLY_2H_HLS = dict(surfaces=["hls"], ttl="2h", rules=["allow:country=GB", "block:any"])


def make_app(signer: Signer, customer_code: str = "abc123"):
    template = PlaybackTemplate(customer_code=customer_code, **GB_ONLY_2H_HLS)

    def app(environ, start_response):
        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        if len(parts) != 3 or parts[0] != "videos" or parts[2] != "hls":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        try:
            body, status = {"url": template.mint(signer, parts[1])["hls"]}, "200 OK"
        except CfStreamTokenError as e:  # e.g. invalid_video_id -> 400
            body, status = {"error": e.kind}, f"{e.http_status} Error"
        # A signed URL is a bearer credential until it expires: never cached.
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        start_response(status, headers)
        return [json.dumps(body).encode()]

    return app


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    make_server("127.0.0.1", 8000, make_app(Signer(SigningKey.from_env()))).serve_forever()
