"""A GB-only, two-hour HLS URL: the whole of what a backend needs."""

from cf_stream_token import PlaybackTemplate, Signer, SigningKey

# At start-up (in production: SigningKey.from_env(), CF_STREAM_SIGNING_KEY).
signer = Signer(SigningKey.from_file("stream-key.json"))
template = PlaybackTemplate(
    customer_code="abc123",
    surfaces=["hls"],
    ttl="2h",
    rules=["allow:country=GB", "block:any"],
)


def hls_url(video_id: str) -> str:
    """Per request: one signature, the URL back."""
    return template.mint(signer, video_id)["hls"]
