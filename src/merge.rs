//! k-way merge of sorted candidate files (`semantics.md` §7.1), streaming.
//!
//! Like anonlink's `merge_streams`: all headers are read first, the output layout is the
//! field-by-field maximum of the inputs' layouts, entries are heap-merged by the canonical order
//! (score descending, then indices ascending; equal entries in input order), and nothing is
//! deduplicated unless asked. Unlike anonlink, each input is checked to be sorted: an input out
//! of order is a [`Error::BadInput`] naming the file and the entry.
//!
//! Inputs are read through buffered readers, one entry at a time, so memory stays bounded.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::candidate_file::Layout;
use crate::candidates::Candidate;
use crate::error::{Error, Place, Result};
use crate::output::write_atomically;

/// One input file being read.
struct Input {
    path: PathBuf,
    reader: BufReader<File>,
    layout: Layout,
    entries: u64,
    next_index: u64,
    prev: Option<Candidate>,
    buf: Vec<u8>,
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        if path.is_dir() {
            return Err(Error::read(path, io::Error::other("is a directory")));
        }
        let file = File::open(path).map_err(|e| Error::read(path, e))?;
        let len = file.metadata().map_err(|e| Error::read(path, e))?.len();
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut header = Vec::with_capacity(4);
        (&mut reader)
            .take(4)
            .read_to_end(&mut header)
            .map_err(|e| Error::read(path, e))?;
        let layout = Layout::parse_header(path, &header)?;
        let e = layout.entry_size() as u64;
        let body = len - 4;
        if body % e != 0 {
            let complete = body / e;
            return Err(Error::bad_input(
                path,
                Place::Byte(4 + complete * e),
                format!(
                    "ran out of input: entry {complete} is truncated ({} of {e} bytes)",
                    body % e
                ),
            ));
        }
        Ok(Input {
            path: path.to_path_buf(),
            reader,
            layout,
            entries: body / e,
            next_index: 0,
            prev: None,
            buf: vec![0; e as usize],
        })
    }

    fn next(&mut self) -> Result<Option<Candidate>> {
        if self.next_index == self.entries {
            return Ok(None);
        }
        let n = self.next_index;
        self.reader.read_exact(&mut self.buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                Error::bad_input(
                    &self.path,
                    Place::Record(n),
                    "ran out of input: the file shrank while being read",
                )
            } else {
                Error::read(&self.path, e)
            }
        })?;
        let c = crate::candidate_file::decode_entry(&self.path, self.layout, &self.buf, n)?;
        if let Some(p) = self.prev {
            if p.canonical_cmp(&c) == Ordering::Greater {
                return Err(unsorted(&self.path, n));
            }
        }
        self.prev = Some(c);
        self.next_index += 1;
        Ok(Some(c))
    }
}

/// The error for an input whose entry `n` belongs before entry `n - 1`.
fn unsorted(path: &Path, n: u64) -> Error {
    Error::bad_input(
        path,
        Place::Record(n),
        format!(
            "entries are not in canonical order (score descending, then indices ascending): \
             entry {n} belongs before entry {}",
            n.saturating_sub(1)
        ),
    )
}

struct HeapItem {
    cand: Candidate,
    input: usize,
}

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    /// Reversed, so the max-heap pops the canonically smallest entry (earlier input on ties).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .cand
            .canonical_cmp(&self.cand)
            .then(other.input.cmp(&self.input))
    }
}

/// A running merge: an iterator over the merged entries.
///
/// The first error (a malformed or unsorted input) ends the iteration.
pub struct Merge {
    inputs: Vec<Input>,
    heap: BinaryHeap<HeapItem>,
    started: bool,
    dedup: bool,
    last: Option<Candidate>,
    done: bool,
}

impl Merge {
    /// Total entries in all inputs: the output's length without dedup.
    pub fn total_entries(&self) -> u64 {
        self.inputs.iter().map(|i| i.entries).sum()
    }

    /// Entries read from the inputs so far.
    pub fn entries_read(&self) -> u64 {
        self.inputs.iter().map(|i| i.next_index).sum()
    }

    fn pull(&mut self, input: usize) -> Result<()> {
        if let Some(cand) = self.inputs[input].next()? {
            self.heap.push(HeapItem { cand, input });
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Candidate>> {
        if !self.started {
            self.started = true;
            for i in 0..self.inputs.len() {
                self.pull(i)?;
            }
        }
        loop {
            let Some(top) = self.heap.pop() else {
                return Ok(None);
            };
            self.pull(top.input)?;
            if self.dedup {
                if let Some(last) = self.last {
                    if last.same_entry(&top.cand) {
                        continue;
                    }
                }
                self.last = Some(top.cand);
            }
            return Ok(Some(top.cand));
        }
    }
}

impl Iterator for Merge {
    type Item = Result<Candidate>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(c)) => Some(Ok(c)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Opens sorted candidate files for merging: reads and checks every header (and that each file
/// holds whole entries), and returns the output layout (the field-by-field maximum) and the
/// merge iterator.
///
/// With `dedup`, consecutive identical entries (same score and indices) are written once, as
/// the service's aggregation does; without it the merge is anonlink's `merge_streams`. An empty
/// `paths` is an [`Error::InvalidArgument`].
pub fn merge_files<P: AsRef<Path>>(paths: &[P], dedup: bool) -> Result<(Layout, Merge)> {
    if paths.is_empty() {
        return Err(Error::invalid_argument("no candidate files provided"));
    }
    let inputs = paths
        .iter()
        .map(|p| Input::open(p.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    let layout = inputs
        .iter()
        .skip(1)
        .fold(inputs[0].layout, |acc, i| acc.widen(&i.layout));
    let heap = BinaryHeap::with_capacity(inputs.len());
    Ok((
        layout,
        Merge {
            inputs,
            heap,
            started: false,
            dedup,
            last: None,
            done: false,
        },
    ))
}

/// Merges sorted candidate files into one candidate vector (see [`merge_files`]). A single
/// input is read whole and checked, without the heap.
pub fn merge_to_vec<P: AsRef<Path>>(paths: &[P], dedup: bool) -> Result<(Layout, Vec<Candidate>)> {
    if let [path] = paths {
        let path = path.as_ref();
        let (layout, mut v) = read_whole(path)?;
        if let Some(i) = v
            .windows(2)
            .position(|w| w[0].canonical_cmp(&w[1]) == Ordering::Greater)
        {
            return Err(unsorted(path, i as u64 + 1));
        }
        if dedup {
            v.dedup_by(|b, a| a.same_entry(b));
        }
        return Ok((layout, v));
    }
    let (layout, merge) = merge_files(paths, dedup)?;
    let cap = usize::try_from(merge.total_entries())
        .unwrap_or(usize::MAX)
        .min(1 << 28);
    let mut out = Vec::with_capacity(cap);
    for c in merge {
        out.push(c?);
    }
    Ok((layout, out))
}

/// Reads a whole candidate file; the default layout (`01 08 04 04`) is decoded in parallel.
fn read_whole(path: &Path) -> Result<(Layout, Vec<Candidate>)> {
    use rayon::prelude::*;
    if path.is_dir() {
        return Err(Error::read(path, io::Error::other("is a directory")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    let layout = Layout::parse_header(path, &bytes)?;
    if layout != Layout::default() || (bytes.len() - 4) % 24 != 0 {
        return crate::candidate_file::decode(path, &bytes);
    }
    let word =
        |e: &[u8], off: usize| u32::from_le_bytes([e[off], e[off + 1], e[off + 2], e[off + 3]]);
    let v = bytes[4..]
        .par_chunks_exact(24)
        .with_min_len(1 << 14)
        .map(|e| {
            let mut s = [0u8; 8];
            s.copy_from_slice(&e[..8]);
            Candidate {
                score: f64::from_le_bytes(s),
                dset0: word(e, 8),
                dset1: word(e, 12),
                rec0: word(e, 16),
                rec1: word(e, 20),
            }
        })
        .collect();
    Ok((layout, v))
}

/// Merges sorted candidate files into `out` (`-` = standard output), atomically: the output
/// appears only when the whole merge succeeded. `progress(read, total)` is called now and then.
/// Returns the output layout and the number of entries written.
pub fn merge_to_file<P: AsRef<Path>>(
    paths: &[P],
    out: &Path,
    dedup: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Layout, u64)> {
    let (layout, mut merge) = merge_files(paths, dedup)?;
    let total = merge.total_entries();
    let mut written = 0u64;
    write_atomically(out, |w| {
        let mut w = BufWriter::with_capacity(1 << 20, w);
        let io = |e: io::Error| Error::write(out, e);
        w.write_all(&layout.header()).map_err(io)?;
        let mut buf = Vec::with_capacity(layout.entry_size());
        while let Some(c) = merge.next() {
            let c = c?;
            buf.clear();
            crate::candidate_file::encode_entry(layout, &c, &mut buf)?;
            w.write_all(&buf).map_err(io)?;
            written += 1;
            if written.is_multiple_of(1 << 20) {
                progress(merge.entries_read(), total);
            }
        }
        w.flush().map_err(io)?;
        progress(total, total);
        Ok(())
    })?;
    Ok((layout, written))
}
