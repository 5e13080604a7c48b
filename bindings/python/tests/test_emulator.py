"""The emulator from Python: minted URLs play on a real local Stream."""

import io
import json
import urllib.error
import urllib.request

import pytest

from cf_stream_token import CfStreamTokenError, Emulator, PlaybackTemplate, Signer, SigningKey

from conftest import VIDEO, fixture, load_example


def play(stream, url, headers=None):
    """GET a customer-domain URL on the emulator's edge: (status, reason)."""
    path = url.split("/", 3)[3]
    request = urllib.request.Request(f"{stream.playback_base_url}/{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get("x-emulator-reason")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("x-emulator-reason")


def test_a_minted_hls_url_plays_and_stops_playing_when_it_expires():
    with Emulator(api_token="t") as stream:
        assert stream.api_base_url.startswith("http://127.0.0.1:")
        assert stream.playback_base_url.startswith("http://127.0.0.1:")
        signer = Signer(stream.create_key())
        assert stream.keys() == [signer.kid]
        url = PlaybackTemplate(customer_code="abc123", ttl="1h").mint(signer, VIDEO)["hls"]
        assert play(stream, url) == (200, None)
        before = stream.now
        stream.advance("1h")
        assert stream.now == before + 3600
        assert play(stream, url) == (401, "expired")


def test_a_key_not_known_to_the_emulator_is_refused_until_imported():
    demo = SigningKey.parse(fixture("demo/demo.jwk.json"))
    with Emulator() as stream:
        token = Signer(demo).mint(VIDEO, now=stream.now)
        url = f"https://customer-abc123.cloudflarestream.com/{token}/manifest/video.m3u8"
        assert play(stream, url) == (401, "unknown-key")
        stream.import_key(demo)
        assert play(stream, url) == (200, None)


def test_the_clock_can_be_set_and_a_token_not_yet_valid_is_refused():
    with Emulator() as stream:
        signer = Signer(stream.create_key())
        stream.set_now(1_900_000_000)
        assert stream.now == 1_900_000_000
        token = signer.mint(VIDEO, now=1_900_000_000, nbf=1_900_000_600)
        assert play(stream, f"https://h/{token}/manifest/video.m3u8") == (401, "not-yet-valid")
        stream.advance(600)
        assert play(stream, f"https://h/{token}/manifest/video.m3u8")[0] == 200


def test_the_emulator_refuses_use_outside_with_and_stops_on_exit():
    stream = Emulator()
    with pytest.raises(RuntimeError):
        stream.api_base_url
    with stream:
        base = stream.playback_base_url
    with pytest.raises(RuntimeError):
        stream.playback_base_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/x", timeout=5)


def test_advance_refuses_a_bad_duration_with_the_crate_kind():
    with Emulator() as stream:
        with pytest.raises(CfStreamTokenError) as e:
            stream.advance("soon")
        assert e.value.kind == "invalid_syntax"


def call(app, path):
    """Call a WSGI app once: (status, headers, JSON body)."""
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}, start_response))
    return seen["status"], seen["headers"], json.loads(body)


def test_the_example_app_hands_out_gb_only_2h_hls_urls_that_play_in_gb_only():
    example = load_example("app")
    with Emulator(api_token="t") as stream:
        app = example.make_app(Signer(stream.create_key()))
        status, headers, body = call(app, f"/videos/{VIDEO}/hls")
        assert status == "200 OK" and headers["Cache-Control"] == "no-store"
        url = body["url"]
        assert url.startswith("https://customer-abc123.cloudflarestream.com/")
        assert url.endswith("/manifest/video.m3u8")
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (200, None)
        status, reason = play(stream, url, {"CF-IPCountry": "US"})
        assert (status, reason) == (403, "blocked-by-rule:2")
        stream.advance("1h59m")
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (200, None)
        stream.advance("1m")
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (401, "expired")
        status, _, body = call(app, "/videos/not-a-video/hls")
        assert status.startswith("400") and body == {"error": "invalid_video_id"}
