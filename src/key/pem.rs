//! PEM armour (RFC 7468): a reader that decodes straight into a zeroizing
//! buffer, so that neither the base64 body nor the DER of a private key ever
//! sit in a buffer freed without being wiped, and the writer for public keys.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};

use crate::b64::STANDARD_LENIENT;

pub(crate) struct PemBlock<'a> {
    pub(crate) label: &'a str,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

const BEGIN: &str = "-----BEGIN ";

/// Where the first `-----BEGIN ` line starts: at the very start or at the
/// start of a line. Explanatory text before it (RFC 7468 section 2, e.g.
/// the `Bag Attributes` lines `openssl pkcs12` writes) is skipped.
fn first_begin(text: &[u8]) -> Option<usize> {
    if text.starts_with(BEGIN.as_bytes()) {
        return Some(0);
    }
    text.windows(BEGIN.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == BEGIN.as_bytes())
        .map(|i| i + 1)
}

/// Does this text hold a PEM block (a `-----BEGIN ` line)?
pub(crate) fn looks_like_pem(text: &[u8]) -> bool {
    first_begin(text).is_some()
}

/// How many `-----BEGIN <label>-----` lines of `text` name a key (a label
/// ending in `KEY`: private, public, encrypted, OpenSSH, EC, ...).
/// Certificates and parameters are not keys.
fn key_blocks(text: &str) -> usize {
    text.match_indices(BEGIN)
        .filter(|(i, _)| {
            let after = &text[i + BEGIN.len()..];
            after
                .split_once("-----")
                .is_some_and(|(label, _)| label.ends_with("KEY") && !label.contains('\n'))
        })
        .count()
}

/// Read the one PEM key block of `text` (already trimmed). Text before the
/// `BEGIN` line and after the `END` line is ignored; a second key block is
/// refused, since which one was meant cannot be known.
pub(crate) fn parse(text: &str) -> Result<PemBlock<'_>, Error> {
    let count = key_blocks(text);
    if count > 1 {
        return Err(ErrorKind::MultipleKeys { count }.into());
    }
    let start = first_begin(text.as_bytes()).ok_or(Error::new(ErrorKind::NotAKey))?;
    let rest = &text[start + BEGIN.len()..];
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

/// `der` as a PEM block labelled `label`: standard padded base64 in lines of
/// 64 characters (RFC 7468 section 2), LF line ends.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    const LINE: usize = 64;
    let body = STANDARD_LENIENT.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / LINE + 2 * label.len() + 34);
    out.push_str(BEGIN);
    out.push_str(label);
    out.push_str("-----\n");
    // The base64 alphabet is ASCII, so any byte offset is a char boundary.
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, after) = rest.split_at(rest.len().min(LINE));
        out.push_str(line);
        out.push('\n');
        rest = after;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
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

    #[test]
    fn one_key_block_among_text_two_refused() {
        let block = parse("Bag Attributes\n    localKeyID: 01\n-----BEGIN X KEY-----\nAQID\n-----END X KEY-----\ntrailer\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n").unwrap();
        assert_eq!(block.label, "X KEY");
        assert_eq!(&block.der[..], &[1, 2, 3]);
        let two = "-----BEGIN A KEY-----\nAQID\n-----END A KEY-----\n-----BEGIN B KEY-----\nAQID\n-----END B KEY-----\n";
        assert_eq!(
            parse(two).err().map(Error::into_kind),
            Some(ErrorKind::MultipleKeys { count: 2 })
        );
        assert!(!looks_like_pem(b"prose -----BEGIN X-----"));
        assert!(looks_like_pem(b"prose\n-----BEGIN X-----"));
    }

    #[test]
    fn writes_64_column_lines_that_read_back() {
        assert_eq!(
            encode("X", &[1, 2, 3, 4]),
            "-----BEGIN X-----\nAQIDBA==\n-----END X-----\n"
        );
        // 48 bytes are exactly one full line; 49 start a second.
        let der: Vec<u8> = (0..=48).collect();
        let text = encode("PUBLIC KEY", &der);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2], "MA==");
        let block = parse(&text).unwrap();
        assert_eq!(block.label, "PUBLIC KEY");
        assert_eq!(&block.der[..], &der[..]);
        assert_eq!(
            encode("PUBLIC KEY", &der[..48]).lines().count(),
            3,
            "no empty line after a full one"
        );
    }
}
