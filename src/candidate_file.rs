//! anonlink's binary candidate-pair file (serialization v1, `formats.md` §9).
//!
//! A 4-byte header — version `1`, then the byte sizes of the score, dataset-index and
//! record-index fields — followed by entries `score, dset0, dset1, rec0, rec1`, all
//! little-endian, with no count and no padding. The service and the reference outputs use
//! `01 08 04 04` (f64 scores, u32 indices, 24-byte entries), which is what clklink writes.
//! Reading accepts every layout anonlink can write: scores of 2 (IEEE half), 4 or 8 bytes,
//! indices of 1, 2, 4 or 8 bytes.

use std::io::Write;
use std::path::Path;

use crate::candidates::Candidate;
use crate::error::{Error, Place, Result};
use crate::output::write_atomically;

/// The format version clklink reads and writes.
pub const VERSION: u8 = 1;

/// Field sizes of a candidate file, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Bytes per score: 2, 4 or 8.
    pub score: u8,
    /// Bytes per dataset index: 1, 2, 4 or 8.
    pub dset: u8,
    /// Bytes per record index: 1, 2, 4 or 8.
    pub rec: u8,
}

impl Default for Layout {
    /// f64 scores and u32 indices: the service's and anonlink's layout.
    fn default() -> Self {
        Layout {
            score: 8,
            dset: 4,
            rec: 4,
        }
    }
}

impl Layout {
    /// Bytes per entry.
    pub fn entry_size(&self) -> usize {
        self.score as usize + 2 * self.dset as usize + 2 * self.rec as usize
    }

    /// The field-by-field maximum of two layouts: what a merge of their files uses.
    pub fn widen(&self, other: &Layout) -> Layout {
        Layout {
            score: self.score.max(other.score),
            dset: self.dset.max(other.dset),
            rec: self.rec.max(other.rec),
        }
    }

    /// The 4 header bytes.
    pub fn header(&self) -> [u8; 4] {
        [VERSION, self.score, self.dset, self.rec]
    }

    /// Parses and checks a header; `path` is used for error messages.
    pub fn parse_header(path: &Path, bytes: &[u8]) -> Result<Layout> {
        if bytes.len() < 4 {
            return Err(Error::bad_input(
                path,
                Place::Byte(bytes.len() as u64),
                "not a candidate file: ran out of input in the 4-byte header",
            ));
        }
        if bytes[0] != VERSION {
            return Err(Error::bad_input(
                path,
                Place::Byte(0),
                format!(
                    "unsupported candidate file version {} (expected {VERSION})",
                    bytes[0]
                ),
            ));
        }
        let check = |offset: usize, allowed: &[u8], what: &str| -> Result<u8> {
            let v = bytes[offset];
            if allowed.contains(&v) {
                Ok(v)
            } else {
                Err(Error::bad_input(
                    path,
                    Place::Byte(offset as u64),
                    format!("unsupported {what} size {v} (allowed: {allowed:?} bytes)"),
                ))
            }
        };
        Ok(Layout {
            score: check(1, &[2, 4, 8], "score")?,
            dset: check(2, &[1, 2, 4, 8], "dataset index")?,
            rec: check(3, &[1, 2, 4, 8], "record index")?,
        })
    }
}

/// Converts an IEEE 754 half-precision value to f64 (exactly).
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((bits >> 10) & 0x1f) as i32;
    let frac = (bits & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// The half-precision bits of `x` when `x` is exactly representable.
pub(crate) fn f64_to_f16_exact(x: f64) -> Option<u16> {
    if x.is_nan() {
        return Some(0x7e00);
    }
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a.is_infinite() {
        return Some(sign | 0x7c00);
    }
    if a == 0.0 {
        return Some(sign);
    }
    // Subnormal: a = frac · 2^-24.
    let sub = a * 2f64.powi(24);
    if sub < 1024.0 {
        return (sub.fract() == 0.0).then_some(sign | sub as u16);
    }
    let exp = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    if !(-14..=15).contains(&exp) {
        return None;
    }
    let frac = (a / 2f64.powi(exp) - 1.0) * 1024.0;
    (frac.fract() == 0.0).then_some(sign | (((exp + 15) as u16) << 10) | frac as u16)
}

fn read_uint(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(buf)
}

/// Decodes entry `n` (exactly `layout.entry_size()` bytes) of the candidate file `path`.
pub(crate) fn decode_entry(path: &Path, layout: Layout, entry: &[u8], n: u64) -> Result<Candidate> {
    let (s, d, r) = (
        layout.score as usize,
        layout.dset as usize,
        layout.rec as usize,
    );
    let score = match s {
        8 => f64::from_le_bytes(entry[..8].try_into().expect("8 bytes")),
        4 => f32::from_le_bytes(entry[..4].try_into().expect("4 bytes")) as f64,
        _ => f16_to_f64(u16::from_le_bytes([entry[0], entry[1]])),
    };
    let field = |k: usize, off: usize, width: usize, what: &str| -> Result<u32> {
        let v = read_uint(&entry[off..off + width]);
        u32::try_from(v).map_err(|_| {
            Error::bad_input(
                path,
                Place::Record(n),
                format!("{what} {k} does not fit in 32 bits"),
            )
        })
    };
    Ok(Candidate {
        score,
        dset0: field(0, s, d, "dataset index")?,
        dset1: field(1, s + d, d, "dataset index")?,
        rec0: field(0, s + 2 * d, r, "record index")?,
        rec1: field(1, s + 2 * d + r, r, "record index")?,
    })
}

/// Decodes the entries of a whole candidate file held in memory.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(Layout, Vec<Candidate>)> {
    let layout = Layout::parse_header(path, bytes)?;
    let e = layout.entry_size();
    let body = &bytes[4..];
    if !body.len().is_multiple_of(e) {
        let complete = body.len() / e;
        return Err(Error::bad_input(
            path,
            Place::Byte((4 + complete * e) as u64),
            format!(
                "ran out of input: entry {complete} is truncated ({} of {e} bytes)",
                body.len() % e
            ),
        ));
    }
    let mut out = Vec::with_capacity(body.len() / e);
    for (n, entry) in body.chunks_exact(e).enumerate() {
        out.push(decode_entry(path, layout, entry, n as u64)?);
    }
    Ok((layout, out))
}

/// Reads a whole candidate file.
pub fn read_candidates(path: &Path) -> Result<(Layout, Vec<Candidate>)> {
    if path.is_dir() {
        return Err(Error::read(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    decode(path, &bytes)
}

/// Encodes candidates with `layout` into `out`.
///
/// A value that does not fit its field is an error, as in anonlink (`struct.error`).
pub fn encode(layout: Layout, cands: &[Candidate], out: &mut impl Write) -> Result<()> {
    let io = |e: std::io::Error| Error::write("<candidate file>", e);
    out.write_all(&layout.header()).map_err(io)?;
    let mut buf = Vec::with_capacity(layout.entry_size());
    for c in cands {
        buf.clear();
        encode_entry(layout, c, &mut buf)?;
        out.write_all(&buf).map_err(io)?;
    }
    Ok(())
}

/// Appends one entry encoded with `layout` to `buf`. A value that does not fit its field
/// exactly (an index too large, a score not representable) is an error, as in anonlink.
pub(crate) fn encode_entry(layout: Layout, c: &Candidate, buf: &mut Vec<u8>) -> Result<()> {
    let too_wide = |what: &str| Error::invalid_argument(format!("a {what} does not fit its field"));
    match layout.score {
        8 => buf.extend_from_slice(&c.score.to_le_bytes()),
        4 => {
            let f = c.score as f32;
            if f as f64 != c.score && !c.score.is_nan() {
                return Err(too_wide("score"));
            }
            buf.extend_from_slice(&f.to_le_bytes())
        }
        _ => {
            let bits = f64_to_f16_exact(c.score).ok_or_else(|| too_wide("score"))?;
            buf.extend_from_slice(&bits.to_le_bytes())
        }
    }
    for (v, w, what) in [
        (c.dset0, layout.dset, "dataset index"),
        (c.dset1, layout.dset, "dataset index"),
        (c.rec0, layout.rec, "record index"),
        (c.rec1, layout.rec, "record index"),
    ] {
        let w = w as usize;
        if w < 4 && (v as u64) >> (8 * w) != 0 {
            return Err(too_wide(what));
        }
        buf.extend_from_slice(&(v as u64).to_le_bytes()[..w]);
    }
    Ok(())
}

/// Writes candidates to `path` (atomically) in the default layout `01 08 04 04`.
pub fn write_candidates(path: &Path, cands: &[Candidate]) -> Result<()> {
    write_candidates_with(path, Layout::default(), cands)
}

/// Writes candidates to `path` (atomically) with the given layout.
pub fn write_candidates_with(path: &Path, layout: Layout, cands: &[Candidate]) -> Result<()> {
    write_atomically(path, |out| {
        encode(layout, cands, out).map_err(|e| match e {
            Error::Write { source, .. } => Error::write(path, source),
            other => other,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(score: f64, dset0: u32, dset1: u32, rec0: u32, rec1: u32) -> Candidate {
        Candidate {
            score,
            dset0,
            dset1,
            rec0,
            rec1,
        }
    }

    #[test]
    fn worked_example_bytes() {
        // formats.md §9.4: (1.0, 0, 1, 5, 27) and (0.875, 0, 1, 3, 4).
        let cands = [c(1.0, 0, 1, 5, 27), c(0.875, 0, 1, 3, 4)];
        let mut out = Vec::new();
        encode(Layout::default(), &cands, &mut out).unwrap();
        let want: Vec<u8> = [
            &[1u8, 8, 4, 4][..],
            &[
                0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 27, 0, 0, 0,
            ],
            &[
                0, 0, 0, 0, 0, 0, 0xec, 0x3f, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0,
            ],
        ]
        .concat();
        assert_eq!(out, want);
        let (layout, back) = decode(Path::new("x"), &out).unwrap();
        assert_eq!(layout, Layout::default());
        assert_eq!(back, cands);
    }

    #[test]
    fn narrow_layout_example() {
        // formats.md §9.4: f32 scores, u8 dataset and u16 record indices, 14 bytes.
        let bytes = [1u8, 4, 1, 2, 0, 0, 0x40, 0x3f, 0, 1, 3, 0, 2, 1];
        let (layout, cands) = decode(Path::new("x"), &bytes).unwrap();
        assert_eq!(layout.entry_size(), 10);
        assert_eq!(cands, vec![c(0.75, 0, 1, 3, 258)]);
        let mut out = Vec::new();
        encode(layout, &cands, &mut out).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn half_precision_round_trip() {
        for bits in [
            0u16, 1, 0x3c00, 0x3800, 0x3a00, 0x03ff, 0x0400, 0x7bff, 0xbc00,
        ] {
            assert_eq!(f64_to_f16_exact(f16_to_f64(bits)), Some(bits), "{bits:#x}");
        }
        assert_eq!(f64_to_f16_exact(0.1), None);
    }

    #[test]
    fn half_precision_scores() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0x3800), 0.5);
        assert_eq!(f16_to_f64(0x3a00), 0.75);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
    }

    #[test]
    fn malformed_headers_and_entries() {
        let p = Path::new("c.bin");
        for (bytes, needle) in [
            (&[][..], "byte offset 0"),
            (&[1, 8, 4][..], "byte offset 3"),
            (&[0, 8, 4, 4][..], "version 0"),
            (&[2, 8, 4, 4][..], "version 2"),
            (&[172, 8, 4, 4][..], "version 172"),
            (&[1, 3, 4, 4][..], "score size 3"),
            (&[1, 8, 3, 4][..], "dataset index size 3"),
            (&[1, 8, 4, 3][..], "record index size 3"),
            (&[1, 8, 4, 4, 0, 0][..], "entry 0 is truncated"),
        ] {
            let err = decode(p, bytes).unwrap_err();
            assert!(err.is_bad_input());
            let msg = err.to_string();
            assert!(msg.starts_with("c.bin: "), "{msg}");
            assert!(msg.contains(needle), "{msg} lacks {needle}");
        }
    }

    #[test]
    fn values_too_wide_for_the_layout_are_errors() {
        let narrow = Layout {
            score: 8,
            dset: 1,
            rec: 1,
        };
        let mut out = Vec::new();
        assert!(encode(narrow, &[c(0.5, 0, 1, 256, 0)], &mut out).is_err());
    }
}
