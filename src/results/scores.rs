//! `similarity_scores` JSON (`formats.md` §8), byte for byte as the service writes it.

use super::push_u32;
use std::io::Write;
use std::path::Path;

use crate::candidates::Candidate;
use crate::error::{Error, Result};
use crate::output::write_atomically;
use crate::pyfloat::write_repr;

/// Appends one element `[[d0, r0], [d1, r1], score]` to `s`.
fn push_element(s: &mut String, c: &Candidate) {
    s.push_str("[[");
    push_u32(s, c.dset0);
    s.push_str(", ");
    push_u32(s, c.rec0);
    s.push_str("], [");
    push_u32(s, c.dset1);
    s.push_str(", ");
    push_u32(s, c.rec1);
    s.push_str("], ");
    write_repr(s, c.score);
    s.push(']');
}

/// The whole `similarity_scores` body for `cands` (in the order given; the service's order is
/// canonical): `{"similarity_scores": [` + elements joined by `,` + `]}`.
pub fn similarity_scores_json(cands: &[Candidate]) -> String {
    let mut s = String::with_capacity(26 + cands.len() * 40);
    s.push_str("{\"similarity_scores\": [");
    for (i, c) in cands.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_element(&mut s, c);
    }
    s.push_str("]}");
    s
}

/// Streams the `similarity_scores` body for `cands` into `out`, in bounded memory.
pub fn write_similarity_scores_to(
    cands: impl IntoIterator<Item = Candidate>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    out.write_all(b"{\"similarity_scores\": [")?;
    let mut buf = String::with_capacity(1 << 16);
    for (i, c) in cands.into_iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        push_element(&mut buf, &c);
        if buf.len() >= 1 << 16 {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes())?;
    out.write_all(b"]}")
}

/// Writes the `similarity_scores` JSON for `cands` to `path` (`-` = standard output)
/// atomically.
pub fn write_similarity_scores(path: &Path, cands: &[Candidate]) -> Result<()> {
    write_atomically(path, |out| {
        write_similarity_scores_to(cands.iter().copied(), out).map_err(|e| Error::write(path, e))
    })
}
