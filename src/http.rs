//! Errors as HTTP answers: a status for every kind, a stable name for
//! every kind, and (feature `axum`) a response.

use crate::error::{Error, ErrorKind};

impl ErrorKind {
    /// A stable `snake_case` name for the kind (`"expired"`,
    /// `"invalid_video_id"`), the variant's name: what a JSON error body
    /// carries as its `error` member. Unlike the `Display` text, these
    /// names do not change between releases.
    pub fn name(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            EmptyInput => "empty_input",
            NotAKey => "not_a_key",
            InvalidBase64 { .. } => "invalid_base64",
            TruncatedPem => "truncated_pem",
            MultipleKeys { .. } => "multiple_keys",
            EncryptedPem => "encrypted_pem",
            InvalidDer { .. } => "invalid_der",
            InvalidJson { .. } => "invalid_json",
            UnexpectedJson { .. } => "unexpected_json",
            PublicKeyOnly => "public_key_only",
            NotRsa { .. } => "not_rsa",
            KeyTooSmall { .. } => "key_too_small",
            KeyTooLarge { .. } => "key_too_large",
            InvalidExponent => "invalid_exponent",
            InconsistentKey => "inconsistent_key",
            WeakKey { .. } => "weak_key",
            MissingJwkMember { .. } => "missing_jwk_member",
            KeyUseMismatch { .. } => "key_use_mismatch",
            UnsupportedKey { .. } => "unsupported_key",
            WrongKeyForm { .. } => "wrong_key_form",
            KeyIdRequired => "key_id_required",
            KeyIdMismatch { .. } => "key_id_mismatch",
            ResponseKeyMismatch => "response_key_mismatch",
            InvalidVideoId => "invalid_video_id",
            InvalidKeyId => "invalid_key_id",
            ExpiryTooFar { .. } => "expiry_too_far",
            ExpiryNotInFuture { .. } => "expiry_not_in_future",
            NotBeforeAfterExpiry { .. } => "not_before_after_expiry",
            InvalidDuration { .. } => "invalid_duration",
            LifetimeTooLong { .. } => "lifetime_too_long",
            TimeOutOfRange => "time_out_of_range",
            TokenTooLong { .. } => "token_too_long",
            TooManyRules { .. } => "too_many_rules",
            RuleAfterAny { .. } => "rule_after_any",
            EmptyRuleList { .. } => "empty_rule_list",
            InvalidCountryCode { .. } => "invalid_country_code",
            InvalidIpNetwork { .. } => "invalid_ip_network",
            InvalidUrlPart { .. } => "invalid_url_part",
            UrlTooLong { .. } => "url_too_long",
            MalformedToken { .. } => "malformed_token",
            WrongAlgorithm { .. } => "wrong_algorithm",
            WrongKey { .. } => "wrong_key",
            BadSignature => "bad_signature",
            Expired { .. } => "expired",
            NotYetValid { .. } => "not_yet_valid",
            InvalidAccountId => "invalid_account_id",
            MissingCredentials => "missing_credentials",
            InvalidCredentials { .. } => "invalid_credentials",
            MissingConfig { .. } => "missing_config",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            RateLimited { .. } => "rate_limited",
            ServerError { .. } => "server_error",
            ApiError { .. } => "api_error",
            Timeout => "timeout",
            Transport => "transport",
            InvalidResponse { .. } => "invalid_response",
            CreatedKeyUnusable { .. } => "created_key_unusable",
            CreateOutcomeUnknown { .. } => "create_outcome_unknown",
            SigningFailed => "signing_failed",
            InvalidConfig { .. } => "invalid_config",
            KeyLooksLikePath { .. } => "key_looks_like_path",
            InvalidSyntax { .. } => "invalid_syntax",
            KeyFileUnreadable { .. } => "key_file_unreadable",
            KeyFileTooLarge => "key_file_too_large",
            UnknownKey { .. } => "unknown_key",
            TokenOutlivesRing { .. } => "token_outlives_ring",
            InvalidKeyring { .. } => "invalid_keyring",
            KeyringKeyUnusable { .. } => "keyring_key_unusable",
            NoNextKey => "no_next_key",
            NextKeyExists { .. } => "next_key_exists",
            KeyTooYoung { .. } => "key_too_young",
            RetireTooEarly { .. } => "retire_too_early",
            NotInKeyring { .. } => "not_in_keyring",
            LastSigningKey { .. } => "last_signing_key",
            KeyringAccountMismatch { .. } => "keyring_account_mismatch",
            KeyringFileUnreadable { .. } => "keyring_file_unreadable",
            KeyringFileTooLarge => "keyring_file_too_large",
        }
    }
}

impl Error {
    /// The HTTP status a web handler should answer with when this error
    /// stops a request:
    ///
    /// | status | kinds | why |
    /// |---|---|---|
    /// | 400 | [`InvalidVideoId`], [`InvalidKeyId`], [`InvalidUrlPart`], [`InvalidSyntax`], [`MalformedToken`], and every [`is_policy`](Error::is_policy) kind (a lifetime over 24 h, bad rules, times out of range, too long) | bad input from the request: an id, options, rules, a token that is not even a token |
    /// | 401 | [`WrongAlgorithm`], [`WrongKey`], [`UnknownKey`] (a keyring's verifier), [`BadSignature`], [`Expired`], [`NotYetValid`] | a token that was refused |
    /// | 403 | none in this release | kept for a viewer an access rule blocks |
    /// | 503 | every [`is_transient`](Error::is_transient) kind ([`Timeout`], [`Transport`], [`RateLimited`], [`ServerError`]) | Cloudflare's API is down or busy: try again later |
    /// | 500 | everything else: a key that does not load ([`is_key`](Error::is_key)), the API's refusals and configuration, [`SigningFailed`], [`InvalidConfig`] | the server's own configuration or a fault |
    ///
    /// ```
    /// use cf_stream_token::{Error, VideoId};
    /// let e: Error = "not-a-video".parse::<VideoId>().unwrap_err();
    /// assert_eq!(e.http_status(), 400);
    /// assert_eq!(e.kind().name(), "invalid_video_id");
    /// ```
    ///
    /// [`InvalidVideoId`]: ErrorKind::InvalidVideoId
    /// [`InvalidKeyId`]: ErrorKind::InvalidKeyId
    /// [`InvalidUrlPart`]: ErrorKind::InvalidUrlPart
    /// [`InvalidSyntax`]: ErrorKind::InvalidSyntax
    /// [`MalformedToken`]: ErrorKind::MalformedToken
    /// [`WrongAlgorithm`]: ErrorKind::WrongAlgorithm
    /// [`WrongKey`]: ErrorKind::WrongKey
    /// [`UnknownKey`]: ErrorKind::UnknownKey
    /// [`BadSignature`]: ErrorKind::BadSignature
    /// [`Expired`]: ErrorKind::Expired
    /// [`NotYetValid`]: ErrorKind::NotYetValid
    /// [`Timeout`]: ErrorKind::Timeout
    /// [`Transport`]: ErrorKind::Transport
    /// [`RateLimited`]: ErrorKind::RateLimited
    /// [`ServerError`]: ErrorKind::ServerError
    /// [`SigningFailed`]: ErrorKind::SigningFailed
    /// [`InvalidConfig`]: ErrorKind::InvalidConfig
    pub fn http_status(&self) -> u16 {
        use ErrorKind::*;
        match self.kind() {
            InvalidVideoId
            | InvalidKeyId
            | InvalidUrlPart { .. }
            | InvalidSyntax { .. }
            | MalformedToken { .. } => 400,
            _ if self.is_policy() => 400,
            _ if self.is_verification() => 401,
            _ if self.is_transient() => 503,
            _ => 500,
        }
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
    /// [`Error::http_status`] with the JSON body of [`Error::to_json`].
    fn into_response(self) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.to_json()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
