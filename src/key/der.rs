//! Just enough DER to tell key structures apart and to read RSA numbers.
//!
//! Hand-written rather than a general ASN.1 crate: the structures are four
//! fixed SEQUENCEs, and reading them in place means private numbers are only
//! ever borrowed from one zeroizing buffer, never copied into a parser's own
//! allocations.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// Why a DER read failed: the data ends early, or it is not DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DerError {
    Truncated,
    Malformed,
}

pub(crate) type DerResult<T> = Result<T, DerError>;

#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// One tag-length-value; definite lengths only, minimal length encoding.
    pub(crate) fn read_any(&mut self) -> DerResult<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::Malformed); // multi-byte tags never occur in keys
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(DerError::Malformed); // indefinite or absurd length
            }
            if rest.len() < n {
                return Err(DerError::Truncated);
            }
            let (len_bytes, after) = rest.split_at(n);
            rest = after;
            if len_bytes[0] == 0 {
                return Err(DerError::Malformed);
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(DerError::Malformed);
            }
            len
        };
        if rest.len() < len {
            return Err(DerError::Truncated);
        }
        let (value, after) = rest.split_at(len);
        self.data = after;
        Ok((tag, value))
    }

    pub(crate) fn read(&mut self, expected: u8) -> DerResult<&'a [u8]> {
        let (tag, value) = self.read_any()?;
        if tag == expected {
            Ok(value)
        } else {
            Err(DerError::Malformed)
        }
    }

    /// A non-negative INTEGER's magnitude, big-endian, without leading zeros
    /// (zero itself is returned as one `0x00` byte).
    pub(crate) fn read_unsigned(&mut self) -> DerResult<&'a [u8]> {
        let v = self.read(TAG_INTEGER)?;
        match v {
            [] => Err(DerError::Malformed),
            [b, ..] if b & 0x80 != 0 => Err(DerError::Malformed), // negative
            [0] => Ok(v),
            [0, rest @ ..] => {
                if rest[0] & 0x80 == 0 {
                    return Err(DerError::Malformed); // non-minimal
                }
                Ok(rest)
            }
            _ => Ok(v),
        }
    }

    /// A small INTEGER such as a version number.
    pub(crate) fn read_small(&mut self) -> DerResult<u32> {
        let v = self.read_unsigned()?;
        if v.len() > 4 {
            return Err(DerError::Malformed);
        }
        Ok(v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
    }
}

/// Longest OID text [`oid_to_string`] returns before cutting it short.
const MAX_OID_TEXT: usize = 48;

/// An OID's DER content as dotted decimal, for naming unknown key types in
/// errors: at most [`MAX_OID_TEXT`] characters (then `...`), and an arc too
/// large for 64 bits shown as `?` rather than wrapped.
pub(crate) fn oid_to_string(oid: &[u8]) -> String {
    let mut out = String::new();
    let mut acc: u64 = 0;
    let mut too_large = false;
    for &b in oid {
        too_large |= acc > u64::MAX >> 7;
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 != 0 {
            continue;
        }
        let first = out.is_empty();
        if !first {
            out.push('.');
        }
        match (too_large, first) {
            (true, true) => out.push_str("2.?"),
            (true, false) => out.push('?'),
            (false, true) => {
                let top = (acc / 40).min(2);
                out.push_str(&format!("{top}.{}", acc - top * 40));
            }
            (false, false) => out.push_str(&acc.to_string()),
        }
        acc = 0;
        too_large = false;
        if out.len() > MAX_OID_TEXT {
            out.truncate(MAX_OID_TEXT);
            out.push_str("...");
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_strictly() {
        assert_eq!(Reader::new(&[2, 1, 5]).read_unsigned(), Ok(&[5u8][..]));
        assert_eq!(
            Reader::new(&[2, 2, 0, 0x80]).read_unsigned(),
            Ok(&[0x80u8][..])
        );
        assert_eq!(Reader::new(&[2, 1, 0]).read_unsigned(), Ok(&[0u8][..]));
        assert_eq!(
            Reader::new(&[2, 1, 0x80]).read_unsigned(),
            Err(DerError::Malformed)
        );
        assert_eq!(
            Reader::new(&[2, 2, 0, 1]).read_unsigned(),
            Err(DerError::Malformed)
        );
        assert_eq!(
            Reader::new(&[2, 0]).read_unsigned(),
            Err(DerError::Malformed)
        );
        assert_eq!(
            Reader::new(&[2, 3, 1]).read_unsigned(),
            Err(DerError::Truncated)
        );
        assert_eq!(Reader::new(&[2]).read_unsigned(), Err(DerError::Truncated));
        assert_eq!(Reader::new(&[2, 0x80]).read_any(), Err(DerError::Malformed));
        assert_eq!(
            Reader::new(&[2, 0x81, 5]).read_any(),
            Err(DerError::Malformed)
        );
    }

    #[test]
    fn reads_long_lengths() {
        let value = vec![7u8; 300];
        let out = [&[TAG_OCTET_STRING, 0x82, 0x01, 0x2c][..], &value].concat();
        let mut r = Reader::new(&out);
        assert_eq!(r.read(TAG_OCTET_STRING).unwrap(), &value[..]);
        assert!(r.is_empty());
    }

    #[test]
    fn oid_names() {
        let rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        assert_eq!(oid_to_string(&rsa), "1.2.840.113549.1.1.1");
        assert_eq!(oid_to_string(&[0x2b, 0x65, 0x70]), "1.3.101.112");
    }

    #[test]
    fn oid_names_stay_short() {
        // Found in review of the key_loader fuzz target, which fails on it
        // (fuzz/regressions/key_loader/review_long_oid_spki.der): 40 arcs of
        // 2^64 - 1 made a 700-character error, with the arcs wrapped.
        let mut huge = vec![0xff; 9];
        huge.push(0x7f);
        let long = huge.repeat(40);
        let name = oid_to_string(&long);
        assert_eq!(name, "2.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?....");
        assert!(name.len() <= MAX_OID_TEXT + 3);
        let max = [0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(
            oid_to_string(&[[0x2a].as_slice(), &max].concat()),
            "1.2.18446744073709551615"
        );
        let many = [0x2a, 0x7f].repeat(30);
        assert!(oid_to_string(&many).starts_with("1.2.127.42.127."));
        assert_eq!(oid_to_string(&many).len(), MAX_OID_TEXT + 3);
    }
}
