//! Summary statistics of a dataset, as `clklink inspect` shows them (like `anonlink describe`).

use std::collections::BTreeMap;

use crate::clks::Clks;

/// Popcount statistics and block count of a dataset. Holds no record contents or block ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Number of records.
    pub records: usize,
    /// Bits per record.
    pub bits: usize,
    /// Smallest popcount (`None` without records).
    pub min: Option<u32>,
    /// Mean popcount (`None` without records).
    pub mean: Option<f64>,
    /// Largest popcount (`None` without records).
    pub max: Option<u32>,
    /// Number of distinct block ids, if the dataset has blocks.
    pub blocks: Option<usize>,
    /// Number of records with each popcount that occurs.
    pub by_popcount: BTreeMap<u32, u64>,
}

impl Description {
    /// Describes `clks` (one pass over the stored popcounts).
    pub fn of(clks: &Clks) -> Self {
        let mut by_popcount = BTreeMap::new();
        let mut sum: u64 = 0;
        let (mut min, mut max) = (u32::MAX, 0u32);
        for &p in clks.popcounts() {
            *by_popcount.entry(p).or_insert(0u64) += 1;
            sum += u64::from(p);
            min = min.min(p);
            max = max.max(p);
        }
        let n = clks.len();
        Description {
            records: n,
            bits: clks.bits(),
            min: (n > 0).then_some(min),
            mean: (n > 0).then(|| sum as f64 / n as f64),
            max: (n > 0).then_some(max),
            blocks: clks.blocks().map(|b| b.names().len()),
            by_popcount,
        }
    }

    /// A text histogram of popcounts: at most `bins` lines `lo-hi count ###`, the longest bar
    /// `width` characters. Empty without records.
    pub fn histogram(&self, bins: usize, width: usize) -> Vec<String> {
        let (Some(min), Some(max)) = (self.min, self.max) else {
            return Vec::new();
        };
        let (min, max) = (min as usize, max as usize);
        let bins = bins.max(1);
        let span = max - min + 1;
        let step = span.div_ceil(bins);
        let mut rows = Vec::new();
        let mut lo = min;
        while lo <= max {
            let hi = (lo + step - 1).min(max);
            let count: u64 = self
                .by_popcount
                .range(lo as u32..=hi as u32)
                .map(|(_, c)| c)
                .sum();
            rows.push((lo, hi, count));
            lo = hi + 1;
        }
        let top = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
        let cw = top.to_string().len();
        let lw = max.to_string().len();
        rows.into_iter()
            .map(|(lo, hi, c)| {
                let bar = (c as u128 * width as u128).div_ceil(top as u128) as usize;
                format!("{lo:>lw$}-{hi:<lw$} {c:>cw$} {}", "#".repeat(bar))
            })
            .collect()
    }
}
