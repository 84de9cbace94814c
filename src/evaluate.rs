//! Precision, recall and F1 of a linkage result against ground truth.
//!
//! ## Inputs
//!
//! A **result** is a groups JSON (`formats.md` §7): `{"groups": [[[d, r], ...], ...]}`.
//!
//! **Ground truth** is either
//!
//! - a groups JSON of the same shape (any number of parties), one group per true entity; or
//! - a CSV file with a header row and one column per party, in dataset order (column `j` is
//!   dataset `j`; the header names are free, e.g. `a,b` for two parties or `p0,p1,p2`). Each
//!   further row is one entity; a cell is the 0-based record index of the entity in that party,
//!   or empty when the entity is absent from that party. Rows with fewer than two records hold
//!   no link and are allowed. Blank lines are skipped.
//!
//! A file whose first non-blank byte is `{` is read as JSON, anything else as CSV. In both, a
//! record may belong to at most one group; a malformed row or a repeated record is bad input
//! naming the file and the line (CSV) or the group (JSON).
//!
//! ## Scores
//!
//! - **Pairwise**: every unordered pair of records inside a predicted group is a predicted link;
//!   every pair inside a truth group is a true link. A true positive is a predicted link that is
//!   a true link; false positives and false negatives are the rest of each side.
//! - **Exact groups** (reported when the result or the truth involves more than two datasets): a
//!   predicted group is a true positive iff its set of records equals the set of records of one
//!   truth group of at least two records. False positives are the other predicted groups; false
//!   negatives are the truth groups (of at least two records) that no predicted group equals.
//!
//! `precision = TP / (TP + FP)`, `recall = TP / (TP + FN)`, `F1 = 2PR / (P + R)`; a ratio whose
//! denominator is 0 is reported as 0 (as scikit-learn does by default).

use crate::error::{Error, Place, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One record: `(dataset index, record index)`.
pub type RecordId = (u32, u32);

/// Groups of records, each a set of at least one record, no record in two groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Groups {
    /// The groups, each with its records sorted.
    pub groups: Vec<Vec<RecordId>>,
}

impl Groups {
    /// Number of distinct datasets named (largest dataset index + 1); 0 when empty.
    pub fn datasets(&self) -> u32 {
        self.groups
            .iter()
            .flatten()
            .map(|&(d, _)| d + 1)
            .max()
            .unwrap_or(0)
    }

    /// Builds groups from lists of records, sorting each group; `place` names group `i` in
    /// errors. Errors when a record appears twice.
    fn build(path: &Path, raw: Vec<Vec<RecordId>>, place: impl Fn(usize) -> Place) -> Result<Self> {
        let mut seen: HashSet<RecordId> = HashSet::new();
        let mut groups = Vec::with_capacity(raw.len());
        for (i, mut g) in raw.into_iter().enumerate() {
            for r in &g {
                if !seen.insert(*r) {
                    return Err(Error::bad_input(
                        path,
                        place(i),
                        "a record appears more than once (a record may be in at most one group)",
                    ));
                }
            }
            g.sort_unstable();
            groups.push(g);
        }
        Ok(Groups { groups })
    }
}

#[derive(serde::Deserialize)]
struct GroupsJson {
    groups: Vec<Vec<(u32, u32)>>,
}

/// Parses a groups JSON (`{"groups": [[[d, r], ...], ...]}`); `path` names the file in errors.
pub fn parse_groups_json(path: &Path, bytes: &[u8]) -> Result<Groups> {
    let parsed: GroupsJson = serde_json::from_slice(bytes).map_err(|e| {
        Error::bad_input(
            path,
            Place::LineColumn(e.line() as u64, e.column() as u64),
            format!(
                "not a groups JSON object {{\"groups\": [[[dataset, record], ...], ...]}} ({})",
                classify(&e)
            ),
        )
    })?;
    Groups::build(path, parsed.groups, |i| Place::Field(format!("group {i}")))
}

fn classify(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "wrong structure or value",
        Category::Eof => "unexpected end of file",
    }
}

/// Parses a ground-truth CSV (see the module documentation); `path` names the file in errors.
pub fn parse_truth_csv(path: &Path, bytes: &[u8]) -> Result<Groups> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let columns = match reader.headers() {
        Ok(h) => h.len(),
        Err(e) => return Err(csv_error(path, &e)),
    };
    if columns < 2 || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::bad_input(
            path,
            Place::Whole,
            "a truth CSV needs a header row with one column per party (at least two)",
        ));
    }
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, &e)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        if record.len() != columns {
            return Err(Error::bad_input(
                path,
                Place::Field(format!("line {line}")),
                format!("expected {columns} fields, found {}", record.len()),
            ));
        }
        let mut group = Vec::new();
        for (d, cell) in record.iter().enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let r: u32 = cell.parse().map_err(|_| {
                Error::bad_input(
                    path,
                    Place::Field(format!("line {line}, column {}", d + 1)),
                    "expected a record index (a non-negative integer) or an empty cell",
                )
            })?;
            group.push((d as u32, r));
        }
        raw.push(group);
        lines.push(line);
    }
    let mut g = Groups::build(path, raw, |i| {
        Place::Field(format!("line {}", lines.get(i).copied().unwrap_or(0)))
    })?;
    g.groups.retain(|g| !g.is_empty());
    Ok(g)
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    let place = match e.position() {
        Some(p) => Place::Field(format!("line {}", p.line())),
        None => Place::Whole,
    };
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8",
        _ => "malformed CSV",
    };
    Error::bad_input(path, place, msg)
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::read(path, e))
}

fn looks_like_json(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Reads ground truth: a groups JSON or a truth CSV, told apart by the first non-blank byte.
pub fn read_truth(path: &Path) -> Result<Groups> {
    let bytes = read_file(path)?;
    if looks_like_json(&bytes) {
        parse_groups_json(path, &bytes)
    } else {
        parse_truth_csv(path, &bytes)
    }
}

/// Reads a groups JSON result.
pub fn read_groups(path: &Path) -> Result<Groups> {
    let bytes = read_file(path)?;
    parse_groups_json(path, &bytes)
}

/// True/false positives and negatives, and the scores made from them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Predicted items that are true.
    pub true_positives: u64,
    /// Predicted items that are not true.
    pub false_positives: u64,
    /// True items not predicted.
    pub false_negatives: u64,
    /// `TP / (TP + FP)`, 0 when nothing was predicted.
    pub precision: f64,
    /// `TP / (TP + FN)`, 0 when nothing is true.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
}

impl Scores {
    /// Scores from counts.
    pub fn from_counts(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Scores {
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
            precision,
            recall,
            f1,
        }
    }

    fn write_json(&self, s: &mut String) {
        s.push_str("\"precision\": ");
        crate::pyfloat::write_repr(s, self.precision);
        s.push_str(", \"recall\": ");
        crate::pyfloat::write_repr(s, self.recall);
        s.push_str(", \"f1\": ");
        crate::pyfloat::write_repr(s, self.f1);
        s.push_str(&format!(
            ", \"true_positives\": {}, \"false_positives\": {}, \"false_negatives\": {}",
            self.true_positives, self.false_positives, self.false_negatives
        ));
    }
}

/// The evaluation of a result against truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Pairwise link scores.
    pub pairwise: Scores,
    /// Exact-group scores, present when the result or the truth spans more than two datasets.
    pub groups: Option<Scores>,
    /// Number of predicted groups.
    pub predicted_groups: u64,
    /// Number of truth groups with at least two records.
    pub truth_groups: u64,
}

impl Evaluation {
    /// A JSON object: pairwise `precision`, `recall`, `f1`, `true_positives`, `false_positives`,
    /// `false_negatives`, `predicted_groups`, `truth_groups`, and `groups` (the same six keys
    /// for exact groups) when present. No trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{");
        self.pairwise.write_json(&mut s);
        s.push_str(&format!(
            ", \"predicted_groups\": {}, \"truth_groups\": {}",
            self.predicted_groups, self.truth_groups
        ));
        if let Some(g) = &self.groups {
            s.push_str(", \"groups\": {");
            g.write_json(&mut s);
            s.push('}');
        }
        s.push('}');
        s
    }
}

fn pair_key(a: RecordId, b: RecordId) -> (u64, u64) {
    let ka = ((a.0 as u64) << 32) | a.1 as u64;
    let kb = ((b.0 as u64) << 32) | b.1 as u64;
    (ka.min(kb), ka.max(kb))
}

fn links(groups: &Groups) -> impl Iterator<Item = (u64, u64)> + '_ {
    groups.groups.iter().flat_map(|g| {
        g.iter()
            .enumerate()
            .flat_map(move |(i, &a)| g[i + 1..].iter().map(move |&b| pair_key(a, b)))
    })
}

/// Evaluates `result` against `truth` (see the module documentation for the definitions).
pub fn evaluate(result: &Groups, truth: &Groups) -> Evaluation {
    let true_links: HashSet<(u64, u64)> = links(truth).collect();
    let mut tp = 0u64;
    let mut predicted = 0u64;
    for l in links(result) {
        predicted += 1;
        if true_links.contains(&l) {
            tp += 1;
        }
    }
    let pairwise = Scores::from_counts(tp, predicted - tp, true_links.len() as u64 - tp);

    let truth_sets: HashMap<&[RecordId], ()> = truth
        .groups
        .iter()
        .filter(|g| g.len() >= 2)
        .map(|g| (g.as_slice(), ()))
        .collect();
    let truth_groups = truth_sets.len() as u64;
    let predicted_groups = result.groups.len() as u64;
    let multi = result.datasets() > 2 || truth.datasets() > 2;
    let groups = multi.then(|| {
        let exact = result
            .groups
            .iter()
            .filter(|g| truth_sets.contains_key(g.as_slice()))
            .count() as u64;
        Scores::from_counts(exact, predicted_groups - exact, truth_groups - exact)
    });
    Evaluation {
        pairwise,
        groups,
        predicted_groups,
        truth_groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.csv")
    }

    #[test]
    fn csv_two_parties() {
        let g = parse_truth_csv(p(), b"a,b\n0,1\n1,0\n2,\n").unwrap();
        assert_eq!(
            g.groups,
            vec![vec![(0, 0), (1, 1)], vec![(0, 1), (1, 0)], vec![(0, 2)]]
        );
        let r = Groups {
            groups: vec![vec![(0, 0), (1, 1)], vec![(0, 2), (1, 0)]],
        };
        let e = evaluate(&r, &g);
        assert_eq!(e.pairwise.true_positives, 1);
        assert_eq!(e.pairwise.false_positives, 1);
        assert_eq!(e.pairwise.false_negatives, 1);
        assert_eq!(e.pairwise.precision, 0.5);
        assert!(e.groups.is_none());
    }

    #[test]
    fn csv_errors_name_line() {
        let e = parse_truth_csv(p(), b"a,b\n0,1\nx,2\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse_truth_csv(p(), b"a,b\n0,1\n0,2\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse_truth_csv(p(), b"a,b\n0,1,5\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(parse_truth_csv(p(), b"").is_err());
        assert!(parse_truth_csv(p(), b"a\n1\n").is_err());
    }

    #[test]
    fn multiparty_exact_groups() {
        let truth = parse_truth_csv(p(), b"p0,p1,p2\n0,0,0\n1,,1\n2,2,\n").unwrap();
        let result = parse_groups_json(
            p(),
            br#"{"groups": [[[2, 0], [0, 0], [1, 0]], [[0, 1], [2, 1]], [[0, 2], [1, 2], [2, 2]]]}"#,
        )
        .unwrap();
        let e = evaluate(&result, &truth);
        // links: truth 3 + 1 + 1 = 5; predicted 3 + 1 + 3 = 7; true positives 3 + 1 + 1 = 5.
        assert_eq!(e.pairwise.true_positives, 5);
        assert_eq!(e.pairwise.false_positives, 2);
        assert_eq!(e.pairwise.false_negatives, 0);
        let g = e.groups.unwrap();
        assert_eq!(
            (g.true_positives, g.false_positives, g.false_negatives),
            (2, 1, 1)
        );
        assert!(e.to_json().contains("\"groups\": {\"precision\": "));
    }

    #[test]
    fn json_errors() {
        assert!(parse_groups_json(p(), b"{\"groups\": [[[0, -1]]]}").is_err());
        assert!(parse_groups_json(p(), b"{\"groups\": [[[0, 1]], [[0, 1]]]}").is_err());
        let e = Scores::from_counts(0, 0, 0);
        assert_eq!((e.precision, e.recall, e.f1), (0.0, 0.0, 0.0));
    }
}
