//! anonlink-client blocks files (`formats.md` §6.1).

use std::path::Path;

use crate::clks::Blocks;
use crate::error::Result;

/// Reads a blocks file written by `anonlink block` for a dataset of `n_records` records:
/// `{"blocks": {"<record index>": [block key, ...], ...}, "meta": {...}}`.
///
/// Records absent from `blocks` are in no block (never compared). A key that is not a
/// non-negative integer, is out of range `0..n_records`, or appears twice is a
/// [`BadInput`](crate::Error::BadInput) naming the entry's position (never the key or block
/// ids). Block keys may be strings or integers (an integer is kept as its decimal text). When
/// `meta.source.clk_count[0]` is present it must equal `n_records`. `-` reads standard input.
pub fn read_blocks_file(path: &Path, n_records: usize) -> Result<Blocks> {
    let input = super::Input::open(path)?;
    super::json::read_blocks_file(path, input, n_records)
}
