//! Errors as HTTP answers: the status the kinds table gives each kind, a
//! JSON body and (feature `axum`) a response. The kinds' names and areas
//! live with the enum, in `error.rs`.

use crate::error::Error;

impl Error {
    /// The HTTP status a web handler should answer with when this error
    /// stops a request:
    ///
    /// | status | kinds | why |
    /// |---|---|---|
    /// | 400 | every [`Input`](crate::ErrorArea::Input) kind ([`InvalidVideoId`], [`InvalidKeyId`], [`InvalidUrlPart`], [`InvalidSyntax`]), every [`Policy`](crate::ErrorArea::Policy) kind (a lifetime over 24 h, bad rules, times out of range, too long), and [`MalformedToken`] | bad input from the request: an id, options, rules, a token that is not even a token |
    /// | 401 | every other [`Verification`](crate::ErrorArea::Verification) kind: [`WrongAlgorithm`], [`WrongKey`], [`UnknownKey`] (a keyring's verifier), [`BadSignature`], [`Expired`], [`NotYetValid`], [`WrongVideo`], [`NotDownloadable`] | a token that was refused |
    /// | 403 | none in this release | kept for a viewer an access rule blocks |
    /// | 503 | every [`is_transient`](Error::is_transient) kind ([`Timeout`], [`Transport`], [`RateLimited`], [`ServerError`]) | Cloudflare's API is down or busy: try again later |
    /// | 500 | everything else: the [`Key`](crate::ErrorArea::Key), [`Api`](crate::ErrorArea::Api) (its refusals and configuration), [`Signing`](crate::ErrorArea::Signing), [`Config`](crate::ErrorArea::Config) and [`Keyring`](crate::ErrorArea::Keyring) kinds | the server's own configuration or a fault |
    ///
    /// The status comes from the kind's area, except where the kinds table
    /// in `error.rs` gives a kind its own (`MalformedToken`, the transient
    /// kinds).
    ///
    /// ```
    /// use cf_stream_token::{Error, VideoId};
    /// let e: Error = "not-a-video".parse::<VideoId>().unwrap_err();
    /// assert_eq!(e.http_status(), 400);
    /// assert_eq!(e.kind().name(), "invalid_video_id");
    /// ```
    ///
    /// [`InvalidVideoId`]: crate::ErrorKind::InvalidVideoId
    /// [`InvalidKeyId`]: crate::ErrorKind::InvalidKeyId
    /// [`InvalidUrlPart`]: crate::ErrorKind::InvalidUrlPart
    /// [`InvalidSyntax`]: crate::ErrorKind::InvalidSyntax
    /// [`MalformedToken`]: crate::ErrorKind::MalformedToken
    /// [`WrongAlgorithm`]: crate::ErrorKind::WrongAlgorithm
    /// [`WrongKey`]: crate::ErrorKind::WrongKey
    /// [`UnknownKey`]: crate::ErrorKind::UnknownKey
    /// [`BadSignature`]: crate::ErrorKind::BadSignature
    /// [`Expired`]: crate::ErrorKind::Expired
    /// [`NotYetValid`]: crate::ErrorKind::NotYetValid
    /// [`WrongVideo`]: crate::ErrorKind::WrongVideo
    /// [`NotDownloadable`]: crate::ErrorKind::NotDownloadable
    /// [`Timeout`]: crate::ErrorKind::Timeout
    /// [`Transport`]: crate::ErrorKind::Transport
    /// [`RateLimited`]: crate::ErrorKind::RateLimited
    /// [`ServerError`]: crate::ErrorKind::ServerError
    pub fn http_status(&self) -> u16 {
        self.kind().row().status
    }

    /// The JSON body of an error answer:
    /// `{"error": "<kind name>", "message": "<Display text>"}`. Neither part
    /// ever holds key material, a token or a credential (the `Display`
    /// texts are kept free of them, and of what Cloudflare said).
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": self.kind().name(), "message": self.to_string() }).to_string()
    }
}

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl axum::response::IntoResponse for Error {
    /// [`Error::http_status`] with the JSON body of [`Error::to_json`]; a
    /// 401 (a refused token) also carries `WWW-Authenticate: Bearer
    /// error="invalid_token"` (RFC 6750, section 3.1).
    fn into_response(self) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.to_json()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        }
        response
    }
}

/// A handler's `video: VideoId` argument (feature `axum`): the route's path
/// parameter, checked, with a bad id answered by the crate's JSON error
/// (400, `{"error":"invalid_video_id",...}`), never axum's plain-text
/// rejection. The parameter is the route's only one, or else the one named
/// `video`.
///
/// ```
/// use axum::{Router, routing::get};
/// use cf_stream_token::VideoId;
///
/// async fn show(video: VideoId) -> String {
///     video.to_string()
/// }
/// let app: Router = Router::new().route("/videos/{video}", get(show));
/// ```
///
/// A route with no path parameter, or with several and none named `video`,
/// is a mistake of the service: answered 500 with
/// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig).
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for crate::ids::VideoId {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Error> {
        use crate::error::ErrorKind;
        use axum::extract::RawPathParams;

        let unrouted = || -> Error {
            ErrorKind::InvalidConfig {
                what: "a VideoId argument needs a route with one path parameter, or one named `video`",
            }
            .into()
        };
        let params = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params,
            // A parameter that is not UTF-8 once percent-decoded: no video id.
            Err(axum::extract::rejection::RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
                return Err(ErrorKind::InvalidVideoId.into());
            }
            Err(_) => return Err(unrouted()),
        };
        let mut all = params.iter();
        let value = match (all.next(), all.next()) {
            (Some((_, only)), None) => only,
            (Some(_), Some(_)) => params
                .iter()
                .find_map(|(name, value)| (name == "video").then_some(value))
                .ok_or_else(unrouted)?,
            (None, _) => return Err(unrouted()),
        };
        value.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn statuses_by_area() {
        let status = |k: ErrorKind| Error::from(k).http_status();
        assert_eq!(status(ErrorKind::InvalidVideoId), 400);
        assert_eq!(status(ErrorKind::LifetimeTooLong { seconds: 90_000 }), 400);
        assert_eq!(status(ErrorKind::TooManyRules { count: 6 }), 400);
        assert_eq!(status(ErrorKind::MalformedToken { reason: "r" }), 400);
        assert_eq!(status(ErrorKind::BadSignature), 401);
        assert_eq!(status(ErrorKind::Expired { exp: 1, now: 2 }), 401);
        assert_eq!(status(ErrorKind::Timeout), 503);
        assert_eq!(status(ErrorKind::RateLimited { retry_after: None }), 503);
        assert_eq!(status(ErrorKind::KeyTooSmall { bits: 1024 }), 500);
        assert_eq!(status(ErrorKind::Unauthorized), 500);
        assert_eq!(status(ErrorKind::SigningFailed), 500);
    }

    #[test]
    fn names_are_snake_case_variant_names() {
        assert_eq!(ErrorKind::InvalidVideoId.name(), "invalid_video_id");
        assert_eq!(ErrorKind::Expired { exp: 1, now: 2 }.name(), "expired");
        assert_eq!(
            ErrorKind::RateLimited { retry_after: None }.name(),
            "rate_limited"
        );
        let e = Error::from(ErrorKind::BadSignature);
        assert_eq!(
            e.to_json(),
            r#"{"error":"bad_signature","message":"token signature does not verify"}"#
        );
    }
}
