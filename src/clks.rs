//! The CLK container: N records of one bit length, as contiguous 64-bit words.
//!
//! Each record occupies `stride` words: its bytes in file order, then zero bytes up to a whole
//! number of words. Zero padding leaves popcounts and AND-popcounts unchanged, so every kernel can
//! work on whole words. Words are read in the machine's native (little-endian) byte order; since
//! popcount, AND and Dice depend only on which bits are set, not on their numbering, no byte
//! swapping is ever needed, and a record's bytes are recovered by viewing its words as bytes.
//!
//! Storage is either owned (parsed JSON, generated data) or a read-only memory map of a native
//! `.clk` file or a raw binary file (no copy). Each record's popcount is stored beside it, also
//! owned or mapped.

use std::sync::Arc;

use memmap2::Mmap;

use crate::error::{Error, Result};

/// A slice of `T` that is either owned or lives inside a shared memory map.
#[derive(Debug, Clone)]
pub(crate) enum Buffer<T: bytemuck::Pod> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<Mmap>,
        /// Byte offset of the first element inside the map; a multiple of `align_of::<T>()`.
        offset: usize,
        /// Number of elements.
        len: usize,
    },
}

impl<T: bytemuck::Pod> Buffer<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Buffer::Owned(v) => v,
            Buffer::Mapped { map, offset, len } => {
                let bytes = &map[*offset..*offset + *len * std::mem::size_of::<T>()];
                // Alignment and length were checked when the buffer was made (`mapped`).
                bytemuck::cast_slice(bytes)
            }
        }
    }

    /// A view of `len` elements at byte `offset` of `map`, checked for bounds and alignment.
    pub(crate) fn mapped(map: Arc<Mmap>, offset: usize, len: usize) -> Option<Self> {
        let size = len.checked_mul(std::mem::size_of::<T>())?;
        let end = offset.checked_add(size)?;
        let bytes = map.get(offset..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Buffer::Mapped { map, offset, len })
    }
}

/// Block membership of each record of one dataset, as given in the input.
///
/// Block ids are strings (numbers are kept as Python's `str()` of them, so `1` and `"1"` are the
/// same block). They are interned: `names` holds each distinct id once, and each record lists the
/// numbers of its blocks in input order. A record may be in no block (then it is never compared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocks {
    names: Vec<String>,
    /// `offsets[i]..offsets[i + 1]` indexes `members` for record `i`.
    offsets: Vec<usize>,
    members: Vec<u32>,
}

impl Blocks {
    /// An empty block table, to be filled record by record with [`Blocks::push_record`].
    pub fn new() -> Self {
        Blocks {
            names: Vec::new(),
            offsets: vec![0],
            members: Vec::new(),
        }
    }

    /// Appends the next record's block ids (in input order; duplicates are kept as given).
    pub fn push_record<S: AsRef<str>>(
        &mut self,
        ids: impl IntoIterator<Item = S>,
        index: &mut std::collections::HashMap<String, u32>,
    ) {
        for id in ids {
            let id = id.as_ref();
            let n = match index.get(id) {
                Some(&n) => n,
                None => {
                    let n = self.names.len() as u32;
                    self.names.push(id.to_string());
                    index.insert(id.to_string(), n);
                    n
                }
            };
            self.members.push(n);
        }
        self.offsets.push(self.members.len());
    }

    /// Number of records described.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when no record is described.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block numbers of record `i`, in input order.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.members[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The id string of block number `n`.
    pub fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    /// All distinct block ids, indexed by block number.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// N CLKs of equal length, stored as words with precomputed popcounts.
#[derive(Debug, Clone)]
pub struct Clks {
    words: Buffer<u64>,
    popcounts: Buffer<u32>,
    len: usize,
    record_bytes: usize,
    stride: usize,
    blocks: Option<Blocks>,
}

/// Number of 64-bit words a record of `record_bytes` bytes occupies.
pub fn stride_for(record_bytes: usize) -> usize {
    record_bytes.div_ceil(8)
}

impl Clks {
    /// An empty container for records of `record_bytes` bytes.
    pub fn empty(record_bytes: usize) -> Self {
        Self::from_words(record_bytes, Vec::new())
    }

    /// Builds a container from records given as byte slices, all `record_bytes` long.
    ///
    /// The caller checks lengths and reports errors with file context; this panics on a
    /// mismatch because it is a programming error here.
    pub fn from_records<'a>(
        record_bytes: usize,
        records: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        let mut builder = ClksBuilder::new(record_bytes);
        for r in records {
            builder.push(r);
        }
        builder.finish()
    }

    /// Builds a container from padded words (`stride_for(record_bytes)` words per record,
    /// padding bytes zero); popcounts are computed.
    pub fn from_words(record_bytes: usize, words: Vec<u64>) -> Self {
        let stride = stride_for(record_bytes);
        assert!(record_bytes > 0, "records must have at least one byte");
        assert_eq!(words.len() % stride, 0, "words must hold whole records");
        let len = words.len() / stride;
        let popcounts = words
            .chunks_exact(stride)
            .map(|r| r.iter().map(|w| w.count_ones()).sum())
            .collect();
        Clks {
            words: Buffer::Owned(words),
            popcounts: Buffer::Owned(popcounts),
            len,
            record_bytes,
            stride,
            blocks: None,
        }
    }

    /// Assembles a container from buffers that the caller has validated: `words` holds
    /// `len * stride_for(record_bytes)` words with zero padding, `popcounts` holds `len` counts.
    pub(crate) fn from_parts(
        record_bytes: usize,
        len: usize,
        words: Buffer<u64>,
        popcounts: Buffer<u32>,
    ) -> Self {
        let stride = stride_for(record_bytes);
        debug_assert_eq!(words.as_slice().len(), len * stride);
        debug_assert_eq!(popcounts.as_slice().len(), len);
        Clks {
            words,
            popcounts,
            len,
            record_bytes,
            stride,
            blocks: None,
        }
    }

    /// Attaches block memberships (one entry per record).
    pub fn with_blocks(mut self, blocks: Blocks) -> Result<Self> {
        if blocks.len() != self.len {
            return Err(Error::invalid_argument(format!(
                "blocks describe {} records but the dataset has {}",
                blocks.len(),
                self.len
            )));
        }
        self.blocks = Some(blocks);
        Ok(self)
    }

    /// Removes and returns the block memberships.
    pub fn take_blocks(&mut self) -> Option<Blocks> {
        self.blocks.take()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes per record.
    pub fn record_bytes(&self) -> usize {
        self.record_bytes
    }

    /// Bits per record (always `8 × record_bytes`).
    pub fn bits(&self) -> usize {
        self.record_bytes * 8
    }

    /// Words per record, padding included.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// All records' words, record after record.
    pub fn words(&self) -> &[u64] {
        self.words.as_slice()
    }

    /// The words of record `i`.
    pub fn record(&self, i: usize) -> &[u64] {
        &self.words()[i * self.stride..(i + 1) * self.stride]
    }

    /// The bytes of record `i`, as in the input (without padding).
    pub fn record_bytes_of(&self, i: usize) -> &[u8] {
        &bytemuck::cast_slice::<u64, u8>(self.record(i))[..self.record_bytes]
    }

    /// All popcounts.
    pub fn popcounts(&self) -> &[u32] {
        self.popcounts.as_slice()
    }

    /// The popcount of record `i`.
    pub fn popcount(&self, i: usize) -> u32 {
        self.popcounts()[i]
    }

    /// Block memberships, if the input had any.
    pub fn blocks(&self) -> Option<&Blocks> {
        self.blocks.as_ref()
    }

    /// True when the records live in a memory map rather than owned memory.
    pub fn is_mapped(&self) -> bool {
        matches!(self.words, Buffer::Mapped { .. })
    }
}

/// Builds an owned [`Clks`] one record at a time.
#[derive(Debug)]
pub struct ClksBuilder {
    record_bytes: usize,
    stride: usize,
    words: Vec<u64>,
}

impl ClksBuilder {
    /// A builder for records of `record_bytes` bytes (at least 1).
    pub fn new(record_bytes: usize) -> Self {
        assert!(record_bytes > 0, "records must have at least one byte");
        ClksBuilder {
            record_bytes,
            stride: stride_for(record_bytes),
            words: Vec::new(),
        }
    }

    /// Bytes per record.
    pub fn record_bytes(&self) -> usize {
        self.record_bytes
    }

    /// Records pushed so far.
    pub fn len(&self) -> usize {
        self.words.len() / self.stride
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Appends one record; `bytes.len()` must equal the record length.
    pub fn push(&mut self, bytes: &[u8]) {
        assert_eq!(bytes.len(), self.record_bytes, "record length mismatch");
        let start = self.words.len();
        self.words.resize(start + self.stride, 0);
        let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut self.words[start..]);
        dst[..bytes.len()].copy_from_slice(bytes);
    }

    /// The finished container.
    pub fn finish(self) -> Clks {
        Clks::from_words(self.record_bytes, self.words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_with_padding() {
        let recs: Vec<Vec<u8>> = vec![vec![0xff; 9], (0..9).collect(), vec![0; 9]];
        let clks = Clks::from_records(9, recs.iter().map(|r| r.as_slice()));
        assert_eq!(clks.len(), 3);
        assert_eq!(clks.stride(), 2);
        assert_eq!(clks.bits(), 72);
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(clks.record_bytes_of(i), r.as_slice());
        }
        assert_eq!(clks.popcounts(), &[72, 13, 0]);
    }

    #[test]
    fn blocks_intern_ids() {
        let mut index = Default::default();
        let mut b = Blocks::new();
        b.push_record(["1", "7"], &mut index);
        b.push_record(Vec::<String>::new(), &mut index);
        b.push_record(["7"], &mut index);
        assert_eq!(b.len(), 3);
        assert_eq!(b.of(0), &[0, 1]);
        assert!(b.of(1).is_empty());
        assert_eq!(b.of(2), &[1]);
        assert_eq!(b.name(1), "7");
    }
}
