//! Raw binary CLKs (`formats.md` §3) and the service's id-prefixed layout (`formats.md` §4).

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use super::{map_file, read_full, Input};
use crate::clks::{Buffer, Clks, ClksBuilder};
use crate::error::{Error, Place, Result};

fn not_multiple(path: &Path, len: u64, unit: u64, what: &str) -> Error {
    let whole = len / unit * unit;
    Error::bad_input(
        path,
        Place::Byte(whole),
        format!(
            "the file is {len} bytes long, not a multiple of the {what} of {unit} bytes ({} bytes left over after record {})",
            len - whole,
            (len / unit).saturating_sub(1)
        ),
    )
}

/// Reads records of `size` bytes concatenated with no header.
///
/// A regular file whose record size is a multiple of 8 is memory-mapped and its words are used
/// in place; otherwise records are copied into padded words. Popcounts are computed (owned).
pub(crate) fn read_raw(path: &Path, input: Input, size: usize) -> Result<Clks> {
    let unit = size as u64;
    if let Input::File { file, len, .. } = &input {
        let len = *len;
        if len % unit != 0 {
            return Err(not_multiple(path, len, unit, "encoding size"));
        }
        if size.is_multiple_of(8) && len > 0 {
            let n = usize::try_from(len / unit).map_err(|_| too_big(path))?;
            let map = Arc::new(map_file(file).map_err(|e| Error::read(path, e))?);
            if map.len() as u64 != len {
                return Err(Error::bad_input(
                    path,
                    Place::Whole,
                    "the file changed while it was being opened",
                ));
            }
            let words_len = n * (size / 8);
            let words = Buffer::<u64>::mapped(map, 0, words_len).ok_or_else(|| {
                Error::bad_input(
                    path,
                    Place::Whole,
                    "the file cannot be viewed as 64-bit words",
                )
            })?;
            let popcounts: Vec<u32> = words
                .as_slice()
                .chunks_exact(size / 8)
                .map(|r| r.iter().map(|w| w.count_ones()).sum())
                .collect();
            return Ok(Clks::from_parts(size, n, words, Buffer::Owned(popcounts)));
        }
    }
    let mut reader = input.into_reader();
    let mut builder = ClksBuilder::new(size);
    let mut rec = vec![0u8; size];
    let mut offset: u64 = 0;
    loop {
        let got = read_full(&mut reader, &mut rec).map_err(|e| Error::read(path, e))?;
        if got == 0 {
            break;
        }
        offset += got as u64;
        if got < size {
            return Err(not_multiple(path, offset, unit, "encoding size"));
        }
        builder.push(&rec);
    }
    Ok(builder.finish())
}

fn too_big(path: &Path) -> Error {
    Error::bad_input(path, Place::Whole, "the file is too large for this machine")
}

/// Reads the id-prefixed layout: each record a 4-byte big-endian id then `size` bytes. The ids
/// must be `0, 1, 2, ...` in order (the service gives record `i` the id `i`); any other id is
/// rejected, naming the record.
pub(crate) fn read_id_prefixed(path: &Path, input: Input, size: usize) -> Result<Clks> {
    let unit = size as u64 + 4;
    if let Input::File { len, .. } = &input {
        if *len % unit != 0 {
            return Err(not_multiple(
                path,
                *len,
                unit,
                "record size (4-byte id + encoding)",
            ));
        }
    }
    let mut reader = input.into_reader();
    let mut builder = ClksBuilder::new(size);
    let mut rec = vec![0u8; size + 4];
    let mut offset: u64 = 0;
    let mut index: u64 = 0;
    loop {
        let got = read_full(&mut reader, &mut rec).map_err(|e| Error::read(path, e))?;
        if got == 0 {
            break;
        }
        offset += got as u64;
        if got < rec.len() {
            return Err(not_multiple(
                path,
                offset,
                unit,
                "record size (4-byte id + encoding)",
            ));
        }
        let id = u32::from_be_bytes([rec[0], rec[1], rec[2], rec[3]]);
        if u64::from(id) != index {
            return Err(Error::bad_input(
                path,
                Place::Record(index),
                format!(
                    "the record's id is not its index {index}; ids must be 0, 1, 2, ... in order"
                ),
            ));
        }
        builder.push(&rec[4..]);
        index += 1;
    }
    Ok(builder.finish())
}

/// Writes the records concatenated.
pub(crate) fn write_raw(clks: &Clks, out: &mut dyn Write) -> io::Result<()> {
    if clks.record_bytes().is_multiple_of(8) {
        // The padded words are exactly the records.
        return out.write_all(bytemuck::cast_slice(clks.words()));
    }
    for i in 0..clks.len() {
        out.write_all(clks.record_bytes_of(i))?;
    }
    Ok(())
}

/// Writes each record as its 4-byte big-endian index then its bytes.
pub(crate) fn write_id_prefixed(clks: &Clks, out: &mut dyn Write) -> io::Result<()> {
    if clks.len() as u64 > u64::from(u32::MAX) + 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "more than 2^32 records cannot be numbered with 4-byte ids",
        ));
    }
    for i in 0..clks.len() {
        out.write_all(&(i as u32).to_be_bytes())?;
        out.write_all(clks.record_bytes_of(i))?;
    }
    Ok(())
}
