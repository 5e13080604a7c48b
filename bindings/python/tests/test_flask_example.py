"""examples/flask_app.py: its URLs play on the emulator, in GB only, for two hours."""

from cf_stream_token import CfStreamTokenError, Emulator, Signer, SigningKey

from conftest import VIDEO, fixture, load_example
from test_emulator import play


def test_the_flask_example_hands_out_gb_only_2h_hls_urls_that_play_in_gb_only():
    with Emulator(api_token="t") as stream:
        client = load_example("flask_app").create_app(Signer(stream.create_key())).test_client()
        answer = client.get(f"/videos/{VIDEO}/hls")
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-store"
        url = answer.get_json()["url"]
        assert url.startswith("https://customer-abc123.cloudflarestream.com/")
        assert url.endswith("/manifest/video.m3u8")

        assert play(stream, url, {"CF-IPCountry": "GB"}) == (200, None)
        assert play(stream, url, {"CF-IPCountry": "US"}) == (403, "blocked-by-rule:2")
        stream.advance("1h59m")
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (200, None)
        stream.advance("1m")
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (401, "expired")


def test_the_flask_example_answers_a_bad_video_id_with_the_crate_kind():
    with Emulator(api_token="t") as stream:
        client = load_example("flask_app").create_app(Signer(stream.create_key())).test_client()
        answer = client.get("/videos/not-a-video/hls")
        assert answer.status_code == 400
        assert answer.get_json() == {"error": "invalid_video_id"}
        assert client.get(f"/videos/{VIDEO}/dash").status_code == 404


def test_the_flask_example_reads_its_key_from_the_environment(monkeypatch):
    jwk = fixture("demo/demo.jwk.json").decode()
    monkeypatch.setenv("CF_STREAM_SIGNING_KEY", jwk)
    with Emulator(api_token="t") as stream:
        stream.import_key(SigningKey.parse(jwk))
        client = load_example("flask_app").create_app().test_client()
        url = client.get(f"/videos/{VIDEO}/hls").get_json()["url"]
        assert play(stream, url, {"CF-IPCountry": "GB"}) == (200, None)
    monkeypatch.delenv("CF_STREAM_SIGNING_KEY")
    answer = None
    try:
        load_example("flask_app").create_app()
    except CfStreamTokenError as e:
        answer = e.kind
    assert answer == "missing_config"
