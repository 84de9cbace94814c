//! The native `.clk` format: a small header, the padded records and their popcounts, laid out
//! so that both can be used in place from a read-only memory map. Byte layout:
//! `docs/native-format.md`.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{map_file, Input};
use crate::clks::{stride_for, Blocks, Buffer, Clks};
use crate::error::{Error, Place, Result};

/// The first 8 bytes of every native file: `89 43 4c 4b 0d 0a 1a 0a` (`\x89CLK\r\n\x1a\n`).
pub const MAGIC: [u8; 8] = *b"\x89CLK\r\n\x1a\n";
/// The format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Length of the fixed part of the header; the metadata follows it.
const FIXED: usize = 84;
/// Alignment of the record data.
const DATA_ALIGN: u64 = 64;

/// The metadata stored in a native file's header (a JSON object). Readers do not depend on
/// it: every key may be missing (read as empty or `None`), unknown keys are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeMetadata {
    /// The program that wrote the file, e.g. `clklink 0.1.0`.
    #[serde(default)]
    pub tool: String,
    /// The name of the file it was converted from, if any.
    #[serde(default)]
    pub source: Option<String>,
    /// When it was written: RFC 3339, UTC, whole seconds (`2024-05-01T12:00:00Z`).
    #[serde(default)]
    pub created: String,
    /// A hash of the clkhash schema the CLKs were made with, if known.
    #[serde(default)]
    pub schema_hash: Option<String>,
}

/// Where everything is, once the header has been checked.
#[derive(Debug)]
struct Layout {
    record_bytes: usize,
    count: usize,
    stride: usize,
    data_offset: usize,
    popcounts_offset: usize,
    blocks: Option<(usize, usize)>,
    metadata: NativeMetadata,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn align(x: u64, to: u64) -> Option<u64> {
    x.checked_add(to - 1).map(|v| v / to * to)
}

/// Checks every promise of the header against `bytes` (the whole file) without reading the
/// records.
fn check(path: &Path, bytes: &[u8]) -> Result<Layout> {
    let bad = |at: u64, msg: String| Error::bad_input(path, Place::Byte(at), msg);
    let actual = bytes.len() as u64;
    let n_magic = bytes.len().min(8);
    if bytes[..n_magic] != MAGIC[..n_magic] {
        return Err(bad(
            0,
            "not a clklink native file (bad magic number)".into(),
        ));
    }
    if bytes.len() < FIXED {
        return Err(bad(
            actual,
            format!("the file is truncated: {actual} bytes, shorter than the {FIXED}-byte header"),
        ));
    }
    let version = u32_at(bytes, 8);
    if version != VERSION {
        return Err(bad(
            8,
            format!(
                "unsupported native format version {version}; this clklink reads version {VERSION}"
            ),
        ));
    }
    if u32_at(bytes, 12) != 0 {
        return Err(bad(12, "unknown flags set in the header".into()));
    }
    let bits = u64_at(bytes, 16);
    if bits == 0 || !bits.is_multiple_of(8) {
        return Err(bad(
            16,
            format!("invalid bits per record {bits}: must be a positive multiple of 8"),
        ));
    }
    let record_bytes = usize::try_from(bits / 8)
        .ok()
        .filter(|&b| b <= super::MAX_RECORD_BYTES)
        .ok_or_else(|| bad(16, super::record_too_long(bits / 8)))?;
    let count = u64_at(bytes, 24);
    let stride = u64_at(bytes, 32);
    if stride != stride_for(record_bytes) as u64 {
        return Err(bad(
            32,
            format!("word stride {stride} does not match {bits} bits per record"),
        ));
    }
    let data_offset = u64_at(bytes, 40);
    let popcounts_offset = u64_at(bytes, 48);
    let blocks_offset = u64_at(bytes, 56);
    let blocks_length = u64_at(bytes, 64);
    let file_length = u64_at(bytes, 72);
    let meta_len = u64::from(u32_at(bytes, 80));
    let meta_end = FIXED as u64 + meta_len;
    if !data_offset.is_multiple_of(DATA_ALIGN) || data_offset < meta_end {
        return Err(bad(
            40,
            format!("invalid data offset {data_offset}: must be a multiple of 64 after the {meta_end}-byte header"),
        ));
    }
    let data_len = count
        .checked_mul(stride)
        .and_then(|w| w.checked_mul(8))
        .ok_or_else(|| bad(24, format!("record count {count} is too large")))?;
    if data_offset.checked_add(data_len) != Some(popcounts_offset) {
        return Err(bad(48, format!(
            "invalid popcount offset {popcounts_offset}: {count} records of {stride} words from byte {data_offset} end elsewhere"
        )));
    }
    let pop_end = popcounts_offset
        .checked_add(count * 4)
        .ok_or_else(|| bad(24, format!("record count {count} is too large")))?;
    let end = if blocks_offset == 0 {
        if blocks_length != 0 {
            return Err(bad(64, "blocks length without a blocks section".into()));
        }
        pop_end
    } else {
        if Some(blocks_offset) != align(pop_end, 8) {
            return Err(bad(56, format!("invalid blocks offset {blocks_offset}")));
        }
        blocks_offset
            .checked_add(blocks_length)
            .ok_or_else(|| bad(64, "invalid blocks length".into()))?
    };
    if file_length != end {
        return Err(bad(72, format!("header file length {file_length} disagrees with its sections, which end at byte {end}")));
    }
    if actual < file_length {
        return Err(bad(actual, format!("the file is truncated: the header promises {file_length} bytes, the file has {actual}")));
    }
    if actual > file_length {
        return Err(bad(
            file_length,
            format!(
                "{} unexpected bytes after the end of the data",
                actual - file_length
            ),
        ));
    }
    // Everything is inside the file, so every offset fits in usize.
    let metadata: NativeMetadata = serde_json::from_slice(&bytes[FIXED..meta_end as usize])
        .map_err(|_| {
            bad(
                FIXED as u64,
                "the header metadata is not a valid JSON object".into(),
            )
        })?;
    Ok(Layout {
        record_bytes,
        count: count as usize,
        stride: stride as usize,
        data_offset: data_offset as usize,
        popcounts_offset: popcounts_offset as usize,
        blocks: (blocks_offset != 0).then_some((blocks_offset as usize, blocks_length as usize)),
        metadata,
    })
}

fn read_blocks(path: &Path, bytes: &[u8], layout: &Layout) -> Result<Option<Blocks>> {
    let Some((off, len)) = layout.blocks else {
        return Ok(None);
    };
    let bad = || {
        Error::bad_input(
            path,
            Place::Byte(off as u64),
            "the blocks section is not valid",
        )
    };
    let records: Vec<Vec<String>> =
        serde_json::from_slice(&bytes[off..off + len]).map_err(|_| bad())?;
    if records.len() != layout.count {
        return Err(bad());
    }
    let mut blocks = Blocks::new();
    let mut interned = Default::default();
    for ids in records {
        blocks.push_record(ids, &mut interned);
    }
    Ok(Some(blocks))
}

/// Opens a native file: a regular file is memory-mapped and used in place (only the header,
/// and the blocks section if there is one, are read); standard input is read into memory.
pub(crate) fn read(path: &Path, input: Input) -> Result<Clks> {
    match input {
        Input::File { file, len, .. } => {
            if len == 0 {
                return Err(Error::bad_input(path, Place::Whole, "file is empty"));
            }
            let map = Arc::new(map_file(&file).map_err(|e| Error::read(path, e))?);
            let layout = check(path, &map)?;
            let blocks = read_blocks(path, &map, &layout)?;
            let misaligned =
                || Error::bad_input(path, Place::Byte(40), "the data is not aligned in memory");
            let words = Buffer::<u64>::mapped(
                map.clone(),
                layout.data_offset,
                layout.count * layout.stride,
            )
            .ok_or_else(misaligned)?;
            let popcounts = if cfg!(target_endian = "little") {
                Buffer::<u32>::mapped(map.clone(), layout.popcounts_offset, layout.count)
                    .ok_or_else(misaligned)?
            } else {
                Buffer::Owned(le_u32s(
                    &map[layout.popcounts_offset..layout.popcounts_offset + 4 * layout.count],
                ))
            };
            let clks = Clks::from_parts(layout.record_bytes, layout.count, words, popcounts);
            attach(clks, blocks)
        }
        Input::Stdin(mut r) => {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes)
                .map_err(|e| Error::read(path, e))?;
            if bytes.is_empty() {
                return Err(Error::bad_input(path, Place::Whole, "file is empty"));
            }
            let layout = check(path, &bytes)?;
            let blocks = read_blocks(path, &bytes, &layout)?;
            let data = &bytes[layout.data_offset..layout.popcounts_offset];
            let words: Vec<u64> = data
                .chunks_exact(8)
                .map(|c| u64::from_ne_bytes(c.try_into().expect("8 bytes")))
                .collect();
            let pops = le_u32s(
                &bytes[layout.popcounts_offset..layout.popcounts_offset + 4 * layout.count],
            );
            let clks = Clks::from_parts(
                layout.record_bytes,
                layout.count,
                Buffer::Owned(words),
                Buffer::Owned(pops),
            );
            attach(clks, blocks)
        }
    }
}

fn attach(clks: Clks, blocks: Option<Blocks>) -> Result<Clks> {
    match blocks {
        Some(b) => clks.with_blocks(b),
        None => Ok(clks),
    }
}

fn le_u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

/// Reads only the metadata of a native file.
pub fn read_native_metadata(path: &Path) -> Result<NativeMetadata> {
    let input = Input::open(path)?;
    match input {
        Input::File { file, len, .. } if len > 0 => {
            let map = map_file(&file).map_err(|e| Error::read(path, e))?;
            Ok(check(path, &map)?.metadata)
        }
        _ => Err(Error::bad_input(
            path,
            Place::Whole,
            "not a native file that can be opened",
        )),
    }
}

/// Writes `clks` in the native format.
pub(crate) fn write(clks: &Clks, out: &mut dyn Write, source_name: Option<&str>) -> io::Result<()> {
    let metadata = NativeMetadata {
        tool: format!("clklink {}", env!("CARGO_PKG_VERSION")),
        source: source_name.map(str::to_string),
        created: crate::timestamp::rfc3339_seconds(SystemTime::now()),
        schema_hash: None,
    };
    let meta = serde_json::to_vec(&metadata).map_err(io::Error::other)?;
    let meta_len = u32::try_from(meta.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "metadata too long"))?;
    let count = clks.len() as u64;
    let stride = clks.stride() as u64;
    let data_offset = align((FIXED + meta.len()) as u64, DATA_ALIGN).expect("small");
    let popcounts_offset = data_offset + count * stride * 8;
    let pop_end = popcounts_offset + count * 4;
    let blocks_json = match clks.blocks() {
        Some(b) => {
            let records: Vec<Vec<&str>> = (0..b.len())
                .map(|i| b.of(i).iter().map(|&n| b.name(n)).collect())
                .collect();
            Some(serde_json::to_vec(&records).map_err(io::Error::other)?)
        }
        None => None,
    };
    let (blocks_offset, blocks_length) = match &blocks_json {
        Some(j) => (align(pop_end, 8).expect("fits"), j.len() as u64),
        None => (0, 0),
    };
    let file_length = if blocks_offset == 0 {
        pop_end
    } else {
        blocks_offset + blocks_length
    };

    let mut header = Vec::with_capacity(data_offset as usize);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    for v in [
        clks.bits() as u64,
        count,
        stride,
        data_offset,
        popcounts_offset,
        blocks_offset,
        blocks_length,
        file_length,
    ] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.extend_from_slice(&meta_len.to_le_bytes());
    header.extend_from_slice(&meta);
    header.resize(data_offset as usize, 0);
    out.write_all(&header)?;
    out.write_all(bytemuck::cast_slice(clks.words()))?;
    if cfg!(target_endian = "little") {
        out.write_all(bytemuck::cast_slice(clks.popcounts()))?;
    } else {
        for p in clks.popcounts() {
            out.write_all(&p.to_le_bytes())?;
        }
    }
    if let Some(j) = blocks_json {
        out.write_all(&vec![0u8; (blocks_offset - pop_end) as usize])?;
        out.write_all(&j)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::NativeMetadata;

    #[test]
    fn metadata_keys_are_all_optional() {
        let m: NativeMetadata = serde_json::from_str(r#"{"later": 1}"#).unwrap();
        assert_eq!((m.tool.as_str(), m.created.as_str()), ("", ""));
        assert_eq!((m.source, m.schema_hash), (None, None));
    }
}
