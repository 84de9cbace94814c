//! # clklink
//!
//! Offline, privacy-preserving record linkage of CLKs (cryptographic linkage keys: keyed Bloom
//! filters made by clkhash), with results identical to anonlink 0.15.3 and the Anonlink Entity
//! Service's result formats.
//!
//! ## Design
//!
//! - [`clks`]: the CLK container. N records of one length, stored as contiguous 64-bit words
//!   with precomputed popcounts, owned or memory-mapped.
//! - [`io`]: readers and writers for every CLK format the service accepts (JSON `clks`,
//!   `clknblocks`, `encodings` + `blocks`, raw binary, id-prefixed binary) and the native
//!   memory-mapped `.clk` format.
//! - [`dice`]: the exact Dice coefficient and the integer threshold test kernels use.
//! - [`kernel`]: all-pairs comparison kernels with runtime CPU dispatch.
//! - [`candidates`]: candidate pairs and their canonical order.
//! - [`output`]: outputs that appear whole or not at all.
//! - [`pyfloat`]: Python's float `repr`, used by every JSON output.
//! - [`stats`]: similarity statistics (histograms, greedy matches per threshold), exact to
//!   `anonlink.stats`; [`plot`]: their SVG/PNG chart.
//! - [`evaluate`]: precision, recall and F1 of groups against ground truth.
//! - [`generate`]: synthetic linked CLK datasets with ground truth.
//! - [`solve`]: anonlink's greedy and probabilistic solvers.
//! - [`merge`]: k-way merge of sorted candidate files.
//! - [`results`]: groups, similarity scores, permutations and run status outputs.
//!
//! Errors ([`Error`]) name the file and the place in it and never contain CLK contents, scores
//! or block ids.

#![warn(missing_docs)]

pub mod candidate_file;
pub mod candidates;
pub mod clks;
pub mod dice;
pub mod error;
pub mod evaluate;
pub mod generate;
pub mod io;
pub mod kernel;
pub mod linker;
pub mod merge;
pub mod output;
pub mod plot;
pub mod pyfloat;
pub mod results;
pub mod solve;
pub mod stats;
mod timestamp;

pub use candidates::Candidate;
pub use clks::{Blocks, Clks, ClksBuilder};
pub use error::{Error, Place, Result};
pub use linker::{Linkage, Linker};
