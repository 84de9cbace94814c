//! Base64 as the service reads and as anonlink-client writes it (`formats.md` §1.2).
//!
//! Reading is lenient in the way the service's `deserialize_bytes` is: characters outside the
//! standard alphabet `A-Z a-z 0-9 + /` and `=` (newlines, spaces, anything else) are dropped.
//! Padding is then checked strictly: the data characters must be followed by exactly the `=`
//! signs a standard encoder would write (none, one or two) and nothing else. Python also
//! accepts superfluous `=` after a complete group (`"AAAA="`) and stops at the first complete
//! padded group (`"AA==AA=="`); clklink rejects both as bad padding, since no encoder writes them.
//! Non-zero spare bits in the last character are ignored, as in Python.
//!
//! Writing is standard padded base64 with no line breaks.

use ::base64::Engine as _;

/// Why a base64 string could not be decoded. Carries no part of the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Error {
    /// The number of data characters leaves one dangling character (`4k + 1`).
    DanglingCharacter,
    /// The `=` padding is missing, superfluous, or followed by data characters.
    BadPadding,
}

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Base64Error::DanglingCharacter => f.write_str(
                "invalid base64: the number of data characters is one more than a multiple of 4",
            ),
            Base64Error::BadPadding => f.write_str("invalid base64: incorrect padding"),
        }
    }
}

const INVALID: u8 = 0xff;
const PAD: u8 = 0xfe;

const fn table() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'=' as usize] = PAD;
    t
}

static TABLE: [u8; 256] = table();

/// Decodes `input` leniently into `out` (cleared first).
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Error> {
    out.clear();
    out.reserve(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut n: usize = 0; // data characters seen
    let mut pads: usize = 0;
    for &c in input {
        let v = TABLE[c as usize];
        if v == INVALID {
            continue;
        }
        if v == PAD {
            pads += 1;
            continue;
        }
        if pads > 0 {
            return Err(Base64Error::BadPadding);
        }
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n.is_multiple_of(4) {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
        }
    }
    match (n % 4, pads) {
        (0, 0) => {}
        (1, _) => return Err(Base64Error::DanglingCharacter),
        (2, 2) => out.push((acc >> 4) as u8),
        (3, 1) => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err(Base64Error::BadPadding),
    }
    Ok(())
}

/// Appends the standard padded base64 encoding of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    ::base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Vec<u8>, Base64Error> {
        let mut v = Vec::new();
        decode_into(s.as_bytes(), &mut v).map(|_| v)
    }

    #[test]
    fn decodes_like_python() {
        assert_eq!(
            dec("TdC999jKpKY=").unwrap(),
            [77, 208, 189, 247, 216, 202, 164, 166]
        );
        assert_eq!(dec("AtA=").unwrap(), [0x02, 0xd0]);
        assert_eq!(dec("AAA=").unwrap(), [0, 0]);
        assert_eq!(dec("AA==").unwrap(), [0]);
        assert_eq!(dec("AB==").unwrap(), [0]);
        assert_eq!(dec("AA\nAA").unwrap(), [0, 0, 0]);
        assert_eq!(dec("").unwrap(), Vec::<u8>::new());
        assert_eq!(dec("AAA"), Err(Base64Error::BadPadding));
        assert_eq!(dec("AA="), Err(Base64Error::BadPadding));
        assert_eq!(dec("AA*A"), Err(Base64Error::BadPadding));
        assert_eq!(dec("A==="), Err(Base64Error::DanglingCharacter));
        assert_eq!(dec("AAAA="), Err(Base64Error::BadPadding));
        assert_eq!(dec("AA==AA=="), Err(Base64Error::BadPadding));
    }

    #[test]
    fn round_trips() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut s = String::new();
            encode_into(&bytes, &mut s);
            assert_eq!(dec(&s).unwrap(), bytes);
            // Line breaks every 76 characters, as older clients wrote.
            let wrapped: String = s
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(dec(&wrapped).unwrap(), bytes);
        }
    }
}
