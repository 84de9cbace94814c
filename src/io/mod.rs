//! Reading and writing CLK files.
//!
//! Formats (`formats.md` §1–§4 and `docs/native-format.md`):
//!
//! | [`Format`] | Read | Write | Notes |
//! |---|---|---|---|
//! | [`Format::Json`] | `{"clks": [...]}`, `{"clknblocks": [...]}`, `{"encodings": [...], "blocks": {...}}` | `{"clks": [...]}` as anonlink-client writes it (`clknblocks` when the records carry blocks) | streamed: memory is the records, not the text |
//! | [`Format::Binary`] | records concatenated, no header (the service's `/binaryclks` body) | same | needs the record size; memory-mapped without a copy when it is a multiple of 8 |
//! | [`Format::IdBinary`] | 4-byte big-endian id then the record (`formats.md` §4) | same, ids `0..n-1` | only when asked for; ids must be `0..n-1` in order |
//! | [`Format::Native`] | clklink `.clk` | same | memory-mapped without a copy; opening reads only the header |
//!
//! Format detection (when [`ReadOptions::format`] is `None`), in this order: the native magic
//! number at the start of the file; the extension (`.clk` native, `.json` JSON, `.bin` raw
//! binary); a first non-blank character `{` (JSON); a given encoding size (raw binary).
//! Otherwise the file is rejected and the user is asked for a format. The id-prefixed layout is
//! never detected. An empty file cannot be detected and is rejected as empty; with an explicit
//! binary format it is a dataset of zero records.
//!
//! Records may have any length of at least one byte, but all records of one file must have the
//! same length (the first record that differs is named). A JSON file with zero records gives an
//! empty dataset whose record size is [`ReadOptions::encoding_size`] or, without it,
//! [`DEFAULT_ENCODING_SIZE`] (128 bytes, a 1024-bit CLK).
//!
//! JSON details: block ids may be strings or integers (an integer is kept as its decimal text,
//! Python's `str()`, so `1` and `"1"` are one block); other values, non-integer numbers
//! included, are rejected. Base64 is read as the service reads it: characters outside the
//! alphabet (line breaks) are dropped, bad padding is an error ([`decode_base64`]). For
//! `{"encodings": [...], "blocks": {...}}` clklink follows the canonical reading: each `blocks`
//! key is the index of a record in `encodings`, records keep their list positions, and records
//! absent from `blocks` are kept, in no block. The service instead numbers records in the key
//! order of `blocks` and drops encodings absent from it (`formats.md` §2.3, quirk 8); the two
//! agree when the keys are `"0".."n-1"` in order. A key that is not a non-negative integer, is
//! out of range or repeats is an error. Other top-level keys are ignored.
//!
//! Every problem with an input is an [`Error::BadInput`] naming the file
//! and the record index, byte offset or JSON line and column; no message contains CLK contents
//! or block ids. Every output is written atomically ([`crate::output`]).

mod base64;
mod binary;
mod blocks_file;
mod describe;
mod json;
mod native;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use memmap2::Mmap;

use crate::clks::Clks;
use crate::error::{Error, Place, Result};

pub use base64::{decode_into as decode_base64, encode_into as encode_base64, Base64Error};
pub use blocks_file::read_blocks_file;
pub use describe::Description;
pub use native::{
    read_native_metadata, NativeMetadata, MAGIC as NATIVE_MAGIC, VERSION as NATIVE_VERSION,
};

/// Record size assumed for an empty JSON input when no encoding size is given: 128 bytes
/// (1024 bits), the usual CLK length.
pub const DEFAULT_ENCODING_SIZE: usize = 128;

/// Largest record size accepted by every reader, in bytes (1 MiB, 8 388 608 bits): far above
/// any CLK (the service's default maximum is 1024 bytes), and a guard against absurd headers or
/// `encoding_size` values (a comparison's threshold table grows with the record length).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The message for a record of `bytes` bytes, over [`MAX_RECORD_BYTES`].
fn record_too_long(bytes: u64) -> String {
    format!("records of {bytes} bytes are longer than clklink accepts ({MAX_RECORD_BYTES} bytes)")
}

/// A CLK file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CLK JSON: `clks`, `clknblocks` or `encodings` + `blocks` (`formats.md` §2).
    Json,
    /// Raw binary: records concatenated, no header (`formats.md` §3).
    Binary,
    /// The service's id-prefixed binary: 4-byte big-endian id, then the record (`formats.md` §4).
    IdBinary,
    /// clklink's native memory-mappable `.clk` format (`docs/native-format.md`).
    Native,
}

impl Format {
    /// The name used on the command line and in `inspect` output.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Binary => "binary",
            Format::IdBinary => "id-binary",
            Format::Native => "native",
        }
    }

    /// The format an output path's extension implies (`.clk`, `.json`, `.bin`), if any.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "clk" => Some(Format::Native),
            "json" => Some(Format::Json),
            "bin" => Some(Format::Binary),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "binary" | "bin" | "raw" => Ok(Format::Binary),
            "id-binary" | "idbinary" | "id_binary" => Ok(Format::IdBinary),
            "native" | "clk" => Ok(Format::Native),
            _ => Err(Error::invalid_argument(format!(
                "unknown format `{s}` (expected json, binary, id-binary or native)"
            ))),
        }
    }
}

/// How to read a CLK file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format; `None` detects it (see the module documentation).
    pub format: Option<Format>,
    /// Bytes per record: required for raw and id-prefixed binary, the record size of an empty
    /// JSON input, and otherwise a check (a file whose records differ from it is rejected).
    pub encoding_size: Option<usize>,
    /// Use the popcounts stored in a native file without checking them. By default they are
    /// checked against the records (with zero padding) while reading: one parallel pass over
    /// the data, so that a damaged or forged file is an error rather than wrong scores. With
    /// this set, opening a native file reads only its header, whatever its size.
    pub trust_stored_popcounts: bool,
}

/// Reads a CLK file (`-` for standard input).
///
/// Block ids in the input (`clknblocks`, `encodings` + `blocks`, native files written from
/// them) are attached with [`Clks::with_blocks`].
pub fn read_clks(path: &Path, opts: &ReadOptions) -> Result<Clks> {
    read_clks_with_format(path, opts).map(|(clks, _)| clks)
}

/// Like [`read_clks`], also returning the format that was read (detected or given).
pub fn read_clks_with_format(path: &Path, opts: &ReadOptions) -> Result<(Clks, Format)> {
    if opts.encoding_size == Some(0) {
        return Err(Error::invalid_argument(
            "the encoding size must be at least 1 byte",
        ));
    }
    if opts.encoding_size.is_some_and(|s| s > MAX_RECORD_BYTES) {
        return Err(Error::invalid_argument(format!(
            "the encoding size must be at most {MAX_RECORD_BYTES} bytes"
        )));
    }
    let mut input = Input::open(path)?;
    let format = match opts.format {
        Some(f) => f,
        None => detect(path, &mut input, opts)?,
    };
    let clks = match format {
        Format::Json => json::read(path, input, opts)?,
        Format::Binary => binary::read_raw(path, input, need_size(path, opts, format)?)?,
        Format::IdBinary => binary::read_id_prefixed(path, input, need_size(path, opts, format)?)?,
        Format::Native => {
            let clks = native::read(path, input)?;
            if !opts.trust_stored_popcounts {
                verify(&clks, path)?;
            }
            clks
        }
    };
    if let Some(size) = opts.encoding_size {
        if !clks.is_empty() && clks.record_bytes() != size {
            return Err(Error::bad_input(
                path,
                Place::Record(0),
                format!(
                    "records are {} bytes long but an encoding size of {size} bytes was given",
                    clks.record_bytes()
                ),
            ));
        }
    }
    Ok((clks, format))
}

fn need_size(path: &Path, opts: &ReadOptions, format: Format) -> Result<usize> {
    opts.encoding_size.ok_or_else(|| {
        Error::bad_input(
            path,
            Place::Whole,
            format!(
                "{format} input does not record its record size: give the encoding size in bytes (--encoding-size)"
            ),
        )
    })
}

/// Writes `clks` to `path` (`-` for standard output) atomically in `format`.
///
/// `source_name` is recorded in the metadata of a native file. JSON is written as
/// anonlink-client writes it: `{"clks": ["...", "..."]}` with standard padded base64, no line
/// breaks and no trailing newline; records that carry block ids are written as
/// `{"clknblocks": [["...", "id", ...], ...]}` instead. The binary formats cannot hold block
/// ids; they are left out (check [`Clks::blocks`] first to warn about it).
pub fn write_clks(
    clks: &Clks,
    path: &Path,
    format: Format,
    source_name: Option<&str>,
) -> Result<()> {
    crate::output::write_atomically(path, |out| {
        let r = match format {
            Format::Json => json::write(clks, out),
            Format::Binary => binary::write_raw(clks, out),
            Format::IdBinary => binary::write_id_prefixed(clks, out),
            Format::Native => native::write(clks, out, source_name),
        };
        r.map_err(|e| Error::write(path, e))
    })
}

/// Checks what opening a native file with [`ReadOptions::trust_stored_popcounts`] does not:
/// that every record's padding bits are zero and every stored popcount is right. O(n), in
/// parallel; [`read_clks`] runs it on native files by default. The first bad record is named.
pub fn verify(clks: &Clks, path: &Path) -> Result<()> {
    use rayon::prelude::*;
    let rb = clks.record_bytes();
    let problem = |i: usize| {
        let bytes: &[u8] = bytemuck::cast_slice(clks.record(i));
        if bytes[rb..].iter().any(|&b| b != 0) {
            return Some("padding bytes after the record are not zero");
        }
        let pc: u32 = clks.record(i).iter().map(|w| w.count_ones()).sum();
        (pc != clks.popcount(i)).then_some("stored popcount does not match the record")
    };
    match (0..clks.len())
        .into_par_iter()
        .find_map_first(|i| problem(i).map(|what| (i, what)))
    {
        Some((i, what)) => Err(Error::bad_input(path, Place::Record(i as u64), what)),
        None => Ok(()),
    }
}

/// An opened input: a regular file (which may be memory-mapped) or a stream.
pub(crate) enum Input {
    File {
        file: File,
        len: u64,
        reader: Option<BufReader<File>>,
    },
    Stdin(BufReader<io::Stdin>),
}

/// [`Input::into_buffered`]: a file or standard input behind a buffer.
pub(crate) enum Buffered {
    File(BufReader<File>),
    Stdin(BufReader<io::Stdin>),
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        if path.as_os_str() == "-" {
            return Ok(Input::Stdin(BufReader::with_capacity(1 << 16, io::stdin())));
        }
        let file = File::open(path).map_err(|e| Error::read(path, e))?;
        let meta = file.metadata().map_err(|e| Error::read(path, e))?;
        if meta.is_dir() {
            return Err(Error::read(path, io::Error::other("is a directory")));
        }
        let reader = file
            .try_clone()
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .ok();
        Ok(Input::File {
            file,
            len: meta.len(),
            reader,
        })
    }

    /// The first bytes of the input, without consuming them (up to the buffer size).
    fn peek(&mut self, path: &Path) -> Result<&[u8]> {
        let r: &mut dyn BufRead = match self {
            Input::File {
                reader: Some(r), ..
            } => r,
            Input::File { reader: None, .. } => return Ok(&[]),
            Input::Stdin(r) => r,
        };
        r.fill_buf().map_err(|e| Error::read(path, e))
    }

    /// A buffered reader over the whole input, of a concrete type: byte-at-a-time parsers
    /// (serde_json's reader) are several times faster on a `BufReader` they can inline than
    /// through a trait object.
    pub(crate) fn into_buffered(self) -> Buffered {
        match self {
            Input::File {
                reader: Some(r), ..
            } => Buffered::File(r),
            Input::File { file, .. } => Buffered::File(BufReader::with_capacity(1 << 16, file)),
            Input::Stdin(r) => Buffered::Stdin(r),
        }
    }

    /// A buffered reader over the whole input.
    pub(crate) fn into_reader(self) -> Box<dyn BufRead> {
        match self {
            Input::File {
                reader: Some(r), ..
            } => Box::new(r),
            Input::File { file, .. } => Box::new(BufReader::with_capacity(1 << 16, file)),
            Input::Stdin(r) => Box::new(r),
        }
    }
}

/// Reads exactly `buf.len()` bytes or reports how many were there.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn detect(path: &Path, input: &mut Input, opts: &ReadOptions) -> Result<Format> {
    let head = input.peek(path)?;
    if head.is_empty() {
        // An empty raw binary file is a party of no records (clklink writes one for an empty
        // dataset); any other empty file is a mistake.
        return match Format::from_extension(path) {
            Some(Format::Binary) if opts.encoding_size.is_some() => Ok(Format::Binary),
            _ => Err(Error::bad_input(path, Place::Whole, "file is empty")),
        };
    }
    if head.starts_with(&native::MAGIC) {
        return Ok(Format::Native);
    }
    if let Some(f) = Format::from_extension(path) {
        return Ok(f);
    }
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    if first == Some(b'{') || head.starts_with(b"\xef\xbb\xbf") {
        return Ok(Format::Json);
    }
    if opts.encoding_size.is_some() {
        return Ok(Format::Binary);
    }
    Err(Error::bad_input(
        path,
        Place::Whole,
        "cannot tell the file's format (not JSON, not a native .clk file); give it with --from \
         (and --encoding-size for raw binary)",
    ))
}

/// Maps a regular file read-only.
pub(crate) fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: the map is read-only (`Mmap`, PROT_READ) and private to this process; it is only
    // ever read as plain bytes through `&[u8]` slices whose bounds and alignment were checked.
    // The remaining hazard, common to every memory map, is another process truncating or
    // rewriting the file while it is mapped: truncation can raise SIGBUS and rewriting changes
    // the data under us. clklink never modifies its inputs (outputs go to a new temporary file
    // that is renamed into place, which leaves existing maps of the old file intact); users must
    // not edit an input file while a command is reading it.
    unsafe { Mmap::map(file) }
}
