//! PEM armour reader that decodes straight into a zeroizing buffer.
//!
//! The `pem` crate is used for *writing* public keys; reading private keys is
//! done here so that neither the base64 body nor the DER ever sit in a buffer
//! that is freed without being wiped.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};

use crate::b64::STANDARD_LENIENT;

pub(crate) struct PemBlock<'a> {
    pub(crate) label: &'a str,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Does this text start like a PEM block?
pub(crate) fn looks_like_pem(text: &[u8]) -> bool {
    text.starts_with(b"-----BEGIN ")
}

/// Read the first PEM block of `text` (already trimmed, starting with `-----BEGIN `).
pub(crate) fn parse(text: &str) -> Result<PemBlock<'_>, Error> {
    let rest = text
        .strip_prefix("-----BEGIN ")
        .ok_or(Error::new(ErrorKind::NotAKey))?;
    let (label, rest) = rest.split_once("-----").ok_or(ErrorKind::TruncatedPem)?;
    if label.is_empty() || label.len() > 64 || label.contains(['\n', '\r']) {
        return Err(ErrorKind::NotAKey.into());
    }
    let end_marker_start = rest.find("-----END ").ok_or(ErrorKind::TruncatedPem)?;
    let body = &rest[..end_marker_start];
    let end = &rest[end_marker_start + "-----END ".len()..];
    let end_label = end.split_once("-----").map(|(l, _)| l);
    if end_label != Some(label) {
        return Err(ErrorKind::TruncatedPem.into());
    }
    if label == "ENCRYPTED PRIVATE KEY" || body.contains("Proc-Type:") || body.contains("DEK-Info:")
    {
        return Err(ErrorKind::EncryptedPem.into());
    }

    let mut b64 = Zeroizing::new(Vec::with_capacity(body.len()));
    b64.extend(body.bytes().filter(|b| !b.is_ascii_whitespace()));
    if b64.is_empty() {
        return Err(ErrorKind::InvalidDer { what: "PEM body" }.into());
    }
    let mut der = Zeroizing::new(Vec::with_capacity(b64.len() / 4 * 3 + 3));
    STANDARD_LENIENT
        .decode_vec(&b64[..], &mut der)
        .map_err(|_| ErrorKind::InvalidBase64 { layer: "PEM body" })?;
    Ok(PemBlock { label, der })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_crlf_and_refuses_truncation() {
        let block = parse("-----BEGIN X-----\r\nAQID\r\nBA==\r\n-----END X-----\r\n").unwrap();
        assert_eq!(block.label, "X");
        assert_eq!(&block.der[..], &[1, 2, 3, 4]);
        let kind = |s: &str| parse(s).err().map(|e| e.into_kind());
        assert_eq!(
            kind("-----BEGIN X-----\nAQID\n"),
            Some(ErrorKind::TruncatedPem)
        );
        assert_eq!(
            kind("-----BEGIN X-----\nAQID\n-----END Y-----"),
            Some(ErrorKind::TruncatedPem)
        );
        assert_eq!(
            kind("-----BEGIN X-----\nAQ!D\n-----END X-----"),
            Some(ErrorKind::InvalidBase64 { layer: "PEM body" })
        );
        assert_eq!(
            kind(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END RSA PRIVATE KEY-----"
            ),
            Some(ErrorKind::EncryptedPem)
        );
    }
}
