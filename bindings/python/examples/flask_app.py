"""A Flask backend that hands out GB-only, two-hour HLS URLs.

    pip install flask ./bindings/python
    CF_STREAM_SIGNING_KEY="$(cat stream-key.json)" flask --app examples/flask_app.py run
    curl localhost:5000/videos/ea95132c15732412d22c1476fa83f27a/hls
"""

from flask import Flask

from cf_stream_token import CfStreamTokenError, PlaybackTemplate, Signer, SigningKey


def create_app(signer=None, customer_code="abc123"):
    app = Flask(__name__)
    signer = signer or Signer(SigningKey.from_env())  # parsed once, at start-up
    gb_only_2h = PlaybackTemplate(customer_code=customer_code, surfaces=["hls"], ttl="2h",
                                  rules=["allow:country=GB", "block:any"])

    @app.get("/videos/<video>/hls")
    def hls(video):
        # A signed URL is a bearer credential until it expires: never cached.
        return {"url": gb_only_2h.mint(signer, video)["hls"]}, {"Cache-Control": "no-store"}

    @app.errorhandler(CfStreamTokenError)
    def refused(e):  # invalid_video_id -> 400, with the stable kind
        return {"error": e.kind}, e.http_status

    return app
