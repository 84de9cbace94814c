//! Streaming CLK JSON reader and anonlink-client-compatible writer (`formats.md` §2).
//!
//! The reader never holds the text of more than one record: `serde_json` reads from a buffered
//! stream and each base64 string is decoded straight into a [`ClksBuilder`].
//!
//! Accepted top-level objects (other top-level keys are ignored):
//!
//! - `{"clks": [b64, ...]}`: no block ids.
//! - `{"clknblocks": [[b64, id, ...], ...]}`: block ids are strings or integers; an integer is
//!   kept as its decimal text (Python `str()`), so `1` and `"1"` are the same block. Other JSON
//!   values, non-integer numbers included, are rejected (Python would print `1.0` or `True`,
//!   which no known writer produces).
//! - `{"encodings": [b64, ...], "blocks": {"<index>": [id, ...], ...}}`: `blocks` is optional.
//!   clklink follows the canonical reading: each key is the index of a record in `encodings`,
//!   record indices are list positions, and records absent from `blocks` are kept, in no block.
//!   The service instead numbers records in the key order of `blocks` and drops encodings absent
//!   from it (`formats.md` §2.3, quirk 8); both agree when the keys are `"0".."n-1"` in order.
//!   A key that is not a non-negative integer, is out of range, or appears twice is an error.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

use super::{Buffered, Input, ReadOptions, DEFAULT_ENCODING_SIZE};
use crate::clks::{Blocks, Clks, ClksBuilder};
use crate::error::{Error, Place, Result};

/// Entries of a `blocks` object: (entry position, record index or `None` if the key is not an
/// index, block ids).
pub(crate) type BlocksEntries = Vec<(usize, Option<u64>, Vec<String>)>;

/// Parse state shared by the visitors. A visitor that finds a problem stores the precise error
/// here and returns a placeholder `serde` error to stop the parse.
pub(crate) struct State<'p> {
    path: &'p Path,
    err: Option<Error>,
    builder: Option<ClksBuilder>,
    buf: Vec<u8>,
    records: usize,
    /// Which key held the records (`clks`, `clknblocks` or `encodings`).
    records_key: Option<&'static str>,
    /// Blocks of a `clknblocks` input, in record order.
    inline_blocks: Option<(Blocks, HashMap<String, u32>)>,
    /// Entries of a `blocks` object: (entry position, record index or None if not an index, ids).
    pub(crate) blocks_entries: Option<BlocksEntries>,
}

impl<'p> State<'p> {
    pub(crate) fn new(path: &'p Path) -> Self {
        State {
            path,
            err: None,
            builder: None,
            buf: Vec::new(),
            records: 0,
            records_key: None,
            inline_blocks: None,
            blocks_entries: None,
        }
    }

    fn fail<E: de::Error>(&mut self, place: Place, message: impl Into<String>) -> E {
        if self.err.is_none() {
            self.err = Some(Error::bad_input(self.path, place, message));
        }
        E::custom("clklink: invalid input")
    }

    fn has_error(&self) -> bool {
        self.err.is_some()
    }

    fn push_clk<E: de::Error>(&mut self, text: &[u8], index: usize) -> Result<(), E> {
        if let Err(e) = super::base64::decode_into(text, &mut self.buf) {
            return Err(self.fail(Place::Record(index as u64), e.to_string()));
        }
        let len = self.buf.len();
        if len == 0 {
            return Err(self.fail(Place::Record(index as u64), "the CLK is empty (zero bytes)"));
        }
        match &mut self.builder {
            None if len > super::MAX_RECORD_BYTES => {
                return Err(self.fail(
                    Place::Record(index as u64),
                    super::record_too_long(len as u64),
                ));
            }
            None => {
                let mut b = ClksBuilder::new(len);
                b.push(&self.buf);
                self.builder = Some(b);
            }
            Some(b) if b.record_bytes() == len => b.push(&self.buf),
            Some(b) => {
                let first = b.record_bytes();
                return Err(self.fail(
                    Place::Record(index as u64),
                    format!(
                        "the CLK is {len} bytes long but record 0 is {first} bytes; all records must have the same length"
                    ),
                ));
            }
        }
        self.records = index + 1;
        Ok(())
    }

    /// Converts a failed parse into the precise error.
    pub(crate) fn error(&mut self, e: serde_json::Error) -> Error {
        if let Some(err) = self.err.take() {
            return err;
        }
        json_error(self.path, e)
    }
}

/// Maps a `serde_json` error to a message with line and column and no file contents.
fn json_error(path: &Path, e: serde_json::Error) -> Error {
    let place = Place::LineColumn(e.line() as u64, e.column() as u64);
    match e.classify() {
        Category::Io => Error::read(path, io::Error::from(e)),
        Category::Eof => {
            Error::bad_input(path, place, "unexpected end of file: the JSON is truncated")
        }
        Category::Syntax => {
            // serde_json's syntax messages are fixed texts ("expected `,` or `]`", "trailing
            // characters", ...); drop the location it appends, which `place` already gives.
            let text = e.to_string();
            let msg = match text.rfind(" at line ") {
                Some(p) => &text[..p],
                None => &text,
            };
            Error::bad_input(path, place, format!("invalid JSON: {msg}"))
        }
        Category::Data => Error::bad_input(
            path,
            place,
            "unexpected JSON value: expected a JSON object at the top level",
        ),
    }
}

/// Reads a CLK JSON input.
pub(crate) fn read(path: &Path, input: Input, opts: &ReadOptions) -> Result<Clks> {
    match input.into_buffered() {
        Buffered::File(r) => read_from(path, r, opts),
        Buffered::Stdin(r) => read_from(path, r, opts),
    }
}

fn read_from<R: io::Read>(path: &Path, reader: R, opts: &ReadOptions) -> Result<Clks> {
    let mut state = State::new(path);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = Top { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = parsed {
        return Err(state.error(e));
    }
    finish(state, opts)
}

fn finish(state: State<'_>, opts: &ReadOptions) -> Result<Clks> {
    let path = state.path;
    let Some(key) = state.records_key else {
        return Err(Error::bad_input(
            path,
            Place::Whole,
            "no \"clks\", \"clknblocks\" or \"encodings\" key: not a CLK JSON file",
        ));
    };
    if state.blocks_entries.is_some() && key != "encodings" {
        return Err(Error::bad_input(
            path,
            Place::Field("\"blocks\"".into()),
            format!("\"blocks\" goes with \"encodings\", not with \"{key}\""),
        ));
    }
    let n = state.records;
    let clks = match state.builder {
        Some(b) => b.finish(),
        None => Clks::empty(opts.encoding_size.unwrap_or(DEFAULT_ENCODING_SIZE)),
    };
    if let Some((blocks, _)) = state.inline_blocks {
        return clks.with_blocks(blocks);
    }
    if let Some(entries) = state.blocks_entries {
        let blocks = blocks_from_entries(path, entries, n)?;
        return clks.with_blocks(blocks);
    }
    Ok(clks)
}

/// Builds per-record blocks from the entries of a `blocks` object (`"<index>": [ids]`).
/// Records absent from the object are in no block.
pub(crate) fn blocks_from_entries(path: &Path, entries: BlocksEntries, n: usize) -> Result<Blocks> {
    let mut per_record: Vec<Option<Vec<String>>> = vec![None; n];
    for (pos, index, ids) in entries {
        let place = || Place::Field(format!("\"blocks\" entry {pos}"));
        let Some(index) = index else {
            return Err(Error::bad_input(
                path,
                place(),
                "the key is not a record index (a non-negative integer)",
            ));
        };
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| per_record.get_mut(i));
        let Some(slot) = slot else {
            return Err(Error::bad_input(
                path,
                place(),
                format!("the record index is out of range: there are {n} records"),
            ));
        };
        if slot.is_some() {
            return Err(Error::bad_input(
                path,
                place(),
                "the record index appears more than once",
            ));
        }
        *slot = Some(ids);
    }
    let mut blocks = Blocks::new();
    let mut interned = HashMap::new();
    for ids in per_record {
        blocks.push_record(ids.unwrap_or_default(), &mut interned);
    }
    Ok(blocks)
}

/// Parses a `blocks` key as Python's `int()` would for the keys writers produce.
fn parse_index(key: &str) -> Option<u64> {
    let k = key.trim();
    let k = k.strip_prefix('+').unwrap_or(k);
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    k.parse().ok()
}

struct Top<'a, 'p> {
    state: &'a mut State<'p>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            let known: Option<&'static str> = match key.as_str() {
                "clks" => Some("clks"),
                "clknblocks" => Some("clknblocks"),
                "encodings" => Some("encodings"),
                "blocks" => {
                    if state.blocks_entries.is_some() {
                        return Err(state.fail(
                            Place::Field("\"blocks\"".into()),
                            "the key appears more than once",
                        ));
                    }
                    let r = map.next_value_seed(BlocksMap { state: &mut *state });
                    if let Err(e) = r {
                        if !state.has_error() && is_data(&e) {
                            return Err(state.fail(
                                Place::Field("\"blocks\"".into()),
                                "expected an object mapping record indices to lists of block ids",
                            ));
                        }
                        return Err(e);
                    }
                    continue;
                }
                _ => None,
            };
            let Some(name) = known else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(prev) = state.records_key {
                return Err(state.fail(
                    Place::Field(format!("\"{name}\"")),
                    format!(
                        "the file has both \"{prev}\" and \"{name}\"; expected one list of records"
                    ),
                ));
            }
            state.records_key = Some(name);
            if name == "clknblocks" {
                state.inline_blocks = Some((Blocks::new(), HashMap::new()));
            }
            let r = map.next_value_seed(RecordList {
                state: &mut *state,
                with_blocks: name == "clknblocks",
            });
            if let Err(e) = r {
                if !state.has_error() && is_data(&e) {
                    return Err(state.fail(
                        Place::Field(format!("\"{name}\"")),
                        "expected an array of records",
                    ));
                }
                return Err(e);
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        Err(self
            .state
            .fail(Place::Whole, "expected a JSON object, found an array"))
    }
}

fn is_data<E: fmt::Display>(e: &E) -> bool {
    // The visitors are generic over the error type, so the `serde_json` category is not
    // visible here; serde's own type errors (`de::Error::invalid_type` and friends) are
    // recognised by their fixed wording. Their text quotes the offending value, so it is never
    // shown: the caller replaces it with a message of its own.
    let t = e.to_string();
    t.starts_with("invalid type")
        || t.starts_with("invalid value")
        || t.starts_with("invalid length")
}

struct RecordList<'a, 'p> {
    state: &'a mut State<'p>,
    with_blocks: bool,
}

impl<'de> DeserializeSeed<'de> for RecordList<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut index = 0usize;
        loop {
            let r = if self.with_blocks {
                seq.next_element_seed(Record {
                    state: &mut *state,
                    index,
                })
            } else {
                seq.next_element_seed(Clk {
                    state: &mut *state,
                    index,
                })
            };
            match r {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(e) => {
                    if !state.has_error() && is_data(&e) {
                        let what = if self.with_blocks {
                            "expected an array holding a base64 CLK string then block ids"
                        } else {
                            "expected a base64 string"
                        };
                        return Err(state.fail(Place::Record(index as u64), what));
                    }
                    return Err(e);
                }
            }
        }
    }
}

struct Clk<'a, 'p> {
    state: &'a mut State<'p>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for Clk<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Clk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a base64 string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.state.push_clk(v.as_bytes(), self.index)
    }
}

struct Record<'a, 'p> {
    state: &'a mut State<'p>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for Record<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Record<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array holding a CLK then block ids")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let index = self.index;
        let place = || Place::Record(index as u64);
        match seq.next_element_seed(Clk {
            state: &mut *state,
            index,
        }) {
            Ok(Some(())) => {}
            Ok(None) => {
                return Err(state.fail(
                    place(),
                    "the record's array is empty: expected a CLK then block ids",
                ))
            }
            Err(e) => {
                if !state.has_error() && is_data(&e) {
                    return Err(
                        state.fail(place(), "the first element must be a base64 CLK string")
                    );
                }
                return Err(e);
            }
        }
        let mut ids = Vec::new();
        while let Some(id) = seq.next_element_seed(BlockId {
            state: &mut *state,
            place: place(),
        })? {
            ids.push(id);
        }
        if let Some((blocks, interned)) = &mut state.inline_blocks {
            blocks.push_record(ids, interned);
        }
        Ok(())
    }
}

struct BlockId<'a, 'p> {
    state: &'a mut State<'p>,
    place: Place,
}

impl<'de> DeserializeSeed<'de> for BlockId<'_, '_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BlockId<'_, '_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a block id (string or integer)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Err(self.state.fail(
            self.place,
            "a block id is a non-integer (or out of range) number; block ids must be strings or integers",
        ))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Err(self.state.fail(
            self.place,
            "a block id is a boolean; block ids must be strings or integers",
        ))
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(self.state.fail(
            self.place,
            "a block id is null; block ids must be strings or integers",
        ))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.state.fail(
            self.place,
            "a block id is an array; block ids must be strings or integers",
        ))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.state.fail(
            self.place,
            "a block id is an object; block ids must be strings or integers",
        ))
    }
}

/// A `blocks` object: `{"<record index>": [block id, ...], ...}`, collected into
/// [`State::blocks_entries`].
pub(crate) struct BlocksMap<'a, 'p> {
    pub(crate) state: &'a mut State<'p>,
}

impl<'de> DeserializeSeed<'de> for BlocksMap<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BlocksMap<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of record index to block ids")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut entries = Vec::new();
        let mut pos = 0usize;
        while let Some(key) = map.next_key::<String>()? {
            let index = parse_index(&key);
            let r = map.next_value_seed(BlockList {
                state: &mut *state,
                place: Place::Field(format!("\"blocks\" entry {pos}")),
            });
            match r {
                Ok(ids) => entries.push((pos, index, ids)),
                Err(e) => {
                    if !state.has_error() && is_data(&e) {
                        return Err(state.fail(
                            Place::Field(format!("\"blocks\" entry {pos}")),
                            "expected a list of block ids",
                        ));
                    }
                    return Err(e);
                }
            }
            pos += 1;
        }
        state.blocks_entries = Some(entries);
        Ok(())
    }
}

struct BlockList<'a, 'p> {
    state: &'a mut State<'p>,
    place: Place,
}

impl<'de> DeserializeSeed<'de> for BlockList<'_, '_> {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BlockList<'_, '_> {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of block ids")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut ids = Vec::new();
        while let Some(id) = seq.next_element_seed(BlockId {
            state: &mut *self.state,
            place: self.place.clone(),
        })? {
            ids.push(id);
        }
        Ok(ids)
    }
}

/// Writes `s` as a JSON string the way Python's `json.dumps` does (`ensure_ascii=True`).
fn write_py_json_string(out: &mut dyn Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for c in s.chars() {
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            '\r' => out.write_all(b"\\r")?,
            '\t' => out.write_all(b"\\t")?,
            '\u{8}' => out.write_all(b"\\b")?,
            '\u{c}' => out.write_all(b"\\f")?,
            ' '..='~' => out.write_all(&[c as u8])?,
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(out, "\\u{:04x}", u)?;
                }
            }
        }
    }
    out.write_all(b"\"")
}

/// Writes `{"clks": [...]}` (or `{"clknblocks": [...]}` when the records carry blocks) exactly as
/// Python's `json.dump` with default separators: `", "` and `": "`, no trailing newline.
pub(crate) fn write(clks: &Clks, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::with_capacity(clks.record_bytes() * 4 / 3 + 8);
    let blocks = clks.blocks();
    out.write_all(if blocks.is_some() {
        b"{\"clknblocks\": ["
    } else {
        b"{\"clks\": ["
    })?;
    for i in 0..clks.len() {
        if i > 0 {
            out.write_all(b", ")?;
        }
        text.clear();
        super::base64::encode_into(clks.record_bytes_of(i), &mut text);
        match blocks {
            None => {
                out.write_all(b"\"")?;
                out.write_all(text.as_bytes())?;
                out.write_all(b"\"")?;
            }
            Some(b) => {
                out.write_all(b"[\"")?;
                out.write_all(text.as_bytes())?;
                out.write_all(b"\"")?;
                for &n in b.of(i) {
                    out.write_all(b", ")?;
                    write_py_json_string(out, b.name(n))?;
                }
                out.write_all(b"]")?;
            }
        }
    }
    out.write_all(b"]}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_string_escapes() {
        let mut v = Vec::new();
        write_py_json_string(&mut v, "a\"b\\c\n\u{1}é😀").unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            r#""a\"b\\c\n\u0001\u00e9\ud83d\ude00""#
        );
    }

    #[test]
    fn index_keys() {
        assert_eq!(parse_index("12"), Some(12));
        assert_eq!(parse_index(" 3 "), Some(3));
        assert_eq!(parse_index("-1"), None);
        assert_eq!(parse_index("x"), None);
        assert_eq!(parse_index(""), None);
    }
}

/// `meta` of a blocks file: only `source.clk_count[0]` is used.
#[derive(serde::Deserialize)]
struct BlocksMeta {
    #[serde(default)]
    source: Option<serde_json::Value>,
}

struct BlocksFileTop<'a, 'p> {
    state: &'a mut State<'p>,
    clk_count: &'a mut Option<u64>,
}

impl<'de> DeserializeSeed<'de> for BlocksFileTop<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BlocksFileTop<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "blocks" => {
                    if state.blocks_entries.is_some() {
                        return Err(state.fail(
                            Place::Field("\"blocks\"".into()),
                            "the key appears more than once",
                        ));
                    }
                    if let Err(e) = map.next_value_seed(BlocksMap { state: &mut *state }) {
                        if !state.has_error() && is_data(&e) {
                            return Err(state.fail(
                                Place::Field("\"blocks\"".into()),
                                "expected an object mapping record indices to lists of block ids",
                            ));
                        }
                        return Err(e);
                    }
                }
                "meta" => match map.next_value::<BlocksMeta>() {
                    Ok(meta) => {
                        *self.clk_count = meta
                            .source
                            .as_ref()
                            .and_then(|s| s.get("clk_count"))
                            .and_then(|c| c.get(0))
                            .and_then(|c| c.as_u64());
                    }
                    Err(e) => {
                        if is_data(&e) {
                            return Err(
                                state.fail(Place::Field("\"meta\"".into()), "expected an object")
                            );
                        }
                        return Err(e);
                    }
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        Err(self
            .state
            .fail(Place::Whole, "expected a JSON object, found an array"))
    }
}

/// Reads an anonlink-client blocks file for a dataset of `n` records (`formats.md` §6.1).
pub(crate) fn read_blocks_file(path: &Path, input: Input, n: usize) -> Result<Blocks> {
    let reader = input.into_reader();
    let mut state = State::new(path);
    let mut clk_count = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = BlocksFileTop {
        state: &mut state,
        clk_count: &mut clk_count,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = parsed {
        return Err(state.error(e));
    }
    let Some(entries) = state.blocks_entries.take() else {
        return Err(Error::bad_input(
            path,
            Place::Whole,
            "no \"blocks\" key: not a blocks file",
        ));
    };
    if let Some(c) = clk_count {
        if c != n as u64 {
            return Err(Error::bad_input(
                path,
                Place::Field("\"meta.source.clk_count\"".into()),
                format!("the blocks file was made for {c} records but the dataset has {n}"),
            ));
        }
    }
    blocks_from_entries(path, entries, n)
}
