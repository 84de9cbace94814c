//! `clklink link`: compare datasets, find candidate pairs and write one of the service's result
//! types, for one or several thresholds from a single comparison pass.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::ValueEnum;
use clklink::candidate_file;
use clklink::io::{self, ReadOptions};
use clklink::results::{self, RunStatus, RunType};
use clklink::solve::{self, Solver};
use clklink::{Candidate, Clks, Error, Linker};
use rayon::prelude::*;

use crate::ui::Ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultType {
    /// Groups of records that belong to one entity: `{"groups": [...]}`.
    Groups,
    /// Every candidate pair with its score (sensitive: share with care).
    SimilarityScores,
    /// Per-party permutations and the analyst's mask (2 parties).
    Permutations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SolverKind {
    /// anonlink's `greedy_solve` (what the service runs).
    Greedy,
    /// anonlink's `probabilistic_greedy_solve` with --merge-threshold and --deduplicated.
    Probabilistic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoresFormat {
    /// The service's `similarity_scores` JSON.
    Json,
    /// anonlink's binary candidate file (header `01 08 04 04`).
    Binary,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CLK files, one per party, numbered 0, 1, … in this order (JSON, raw binary, or .clk).
    #[arg(required = true, num_args = 2.., value_name = "DATASET")]
    datasets: Vec<PathBuf>,
    /// Similarity threshold in (0, 1]; a comma-separated list runs several thresholds from one
    /// comparison pass and writes one output per threshold (named OUT-t<T>).
    #[arg(
        long,
        short,
        value_name = "T[,T...]",
        value_delimiter = ',',
        required = true
    )]
    threshold: Vec<String>,
    /// What to write.
    #[arg(long, value_enum, default_value = "groups")]
    result_type: ResultType,
    /// Output file for groups and scores (`-` for standard output); output directory for
    /// permutations.
    #[arg(long, short, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Keep at most K candidates per record and dataset pair (anonlink's top-k).
    #[arg(long, short = 'k', value_name = "K")]
    k: Option<usize>,
    /// A blocks file (anonlink-client format) for each dataset, in dataset order.
    #[arg(long, value_name = "FILE")]
    blocks: Vec<PathBuf>,
    /// The solver for groups and permutations.
    #[arg(long, value_enum, default_value = "greedy")]
    solver: SolverKind,
    /// The probabilistic solver's merge threshold.
    #[arg(long, value_name = "X", default_value_t = 0.5)]
    merge_threshold: f64,
    /// The probabilistic solver never puts two records of one dataset in a group.
    #[arg(long)]
    deduplicated: bool,
    /// The format of similarity scores.
    #[arg(long, value_enum, default_value = "json")]
    scores_format: ScoresFormat,
    /// Seed for permutations (reproducible, therefore NOT private: for tests only).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Stop when more candidate pairs than this reach the lowest threshold.
    #[arg(long, value_name = "N", default_value_t = clklink::linker::DEFAULT_MAX_CANDIDATES)]
    max_candidates: u64,
    /// Keep a run-status JSON file (the service's format) current while the run goes.
    #[arg(long, value_name = "FILE")]
    status: Option<PathBuf>,
    /// Also write the candidate pairs at the lowest threshold as an anonlink candidate file.
    #[arg(long, value_name = "FILE")]
    save_candidates: Option<PathBuf>,
    /// Ground truth (CSV or groups JSON, as `clklink evaluate` reads it): print precision,
    /// recall and F1 of each threshold's groups.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Draw the similarity histogram (matches and non-matches) and cumulative matches of the
    /// candidates at the lowest threshold to FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Input format of every dataset (default: detected from content and extension).
    #[arg(long, value_name = "FORMAT")]
    from: Option<io::Format>,
    /// Bytes per record, for raw binary inputs.
    #[arg(long, value_name = "BYTES")]
    encoding_size: Option<usize>,
}

/// One requested threshold: its value and its text as the user wrote it (for file names).
struct Threshold {
    value: f64,
    text: String,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let thresholds = parse_thresholds(&args.threshold)?;
    let solver = match args.solver {
        SolverKind::Greedy => Solver::Greedy,
        SolverKind::Probabilistic => Solver::Probabilistic {
            merge_threshold: args.merge_threshold,
            deduplicated: args.deduplicated,
        },
    };
    check_args(&args, &thresholds)?;
    let run_type = if args.result_type == ResultType::SimilarityScores {
        RunType::NoMapping
    } else {
        RunType::Default
    };
    let status = StatusFile::new(args.status.clone(), run_type, args.datasets.len());
    let outcome = link(&args, &thresholds, solver, &status, ui);
    if let Err(e) = &outcome {
        status.fail(&format!("{e:#}"));
    }
    outcome
}

fn parse_thresholds(texts: &[String]) -> anyhow::Result<Vec<Threshold>> {
    let mut out = Vec::new();
    for t in texts {
        let text = t.trim().to_string();
        let value: f64 = text
            .parse()
            .map_err(|_| Error::invalid_argument(format!("threshold {text:?} is not a number")))?;
        clklink::dice::check_threshold(value)?;
        out.push(Threshold { value, text });
    }
    Ok(out)
}

fn check_args(args: &Args, thresholds: &[Threshold]) -> anyhow::Result<()> {
    let invalid = |m: String| -> anyhow::Result<()> { Err(Error::invalid_argument(m).into()) };
    let stdin_uses = args.datasets.iter().chain(&args.blocks);
    if stdin_uses.filter(|p| p.as_os_str() == "-").count() > 1 {
        return invalid("standard input (-) can be read only once: give it for one input".into());
    }
    if !args.blocks.is_empty() && args.blocks.len() != args.datasets.len() {
        return invalid(format!(
            "{} blocks files for {} datasets: give one per dataset, in dataset order",
            args.blocks.len(),
            args.datasets.len()
        ));
    }
    if args.result_type == ResultType::Permutations {
        if args.datasets.len() != 2 {
            return invalid("permutations need exactly 2 datasets".into());
        }
        if args.output.is_none() || args.output.as_deref() == Some(Path::new("-")) {
            return invalid("permutations need an output directory: -o DIR".into());
        }
    }
    if thresholds.len() > 1 && args.output.as_deref().is_none_or(|o| o == Path::new("-")) {
        return invalid(
            "several thresholds need an output file name (-o OUT) to derive one \
                        output per threshold"
                .into(),
        );
    }
    if let Some(p) = &args.plot {
        clklink::plot::PlotFormat::from_path(p)?;
    }
    if args.truth.is_some() && args.output.as_deref().is_none_or(|o| o == Path::new("-")) {
        return invalid(
            "--truth prints an evaluation table on standard output, so the result \
                        needs an output file (-o OUT)"
                .into(),
        );
    }
    if args.truth.is_some() && args.result_type == ResultType::SimilarityScores {
        return invalid(
            "--truth evaluates groups; it needs --result-type groups or permutations".into(),
        );
    }
    if !(0.0..=1.0).contains(&args.merge_threshold) {
        return invalid(format!(
            "merge threshold must be in [0, 1], got {}",
            args.merge_threshold
        ));
    }
    Ok(())
}

fn link(
    args: &Args,
    thresholds: &[Threshold],
    solver: Solver,
    status: &StatusFile,
    ui: &Ui,
) -> anyhow::Result<()> {
    // Stage 1: load every party.
    let opts = ReadOptions {
        format: args.from,
        encoding_size: args.encoding_size,
        ..ReadOptions::default()
    };
    // Parties load in parallel: parsing JSON is the one serial step of a run otherwise.
    let bar = ui.bar(args.datasets.len() as u64, "loading");
    let loaded = std::sync::atomic::AtomicUsize::new(0);
    let datasets: Vec<Clks> = args
        .datasets
        .par_iter()
        .enumerate()
        .map(|(d, path)| -> anyhow::Result<Clks> {
            let mut clks = io::read_clks(path, &opts)?;
            if let Some(bpath) = args.blocks.get(d) {
                let blocks = io::read_blocks_file(bpath, clks.len())?;
                clks.take_blocks();
                clks = clks.with_blocks(blocks)?;
            }
            bar.inc(1);
            status.parties_loaded(loaded.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(clks)
        })
        .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();
    let refs: Vec<&Clks> = datasets.iter().collect();

    // Stage 2: compare at the lowest threshold.
    let lowest = thresholds
        .iter()
        .map(|t| t.value)
        .fold(f64::INFINITY, f64::min);
    let done = AtomicU64::new(0);
    let total = Linker::new(lowest).total_comparisons(&refs)?;
    status.comparing(total);
    let bar = ui.bar(total, "comparing");
    let progress = |n: u64| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        bar.set_position(d);
        status.compared(d);
    };
    let linker = Linker::new(lowest)
        .k(args.k)
        .max_candidates(args.max_candidates)
        .progress(&progress);
    let cands = linker.candidates(&refs)?;
    bar.finish_and_clear();
    ui.info(&format!(
        "{} comparisons, {} candidate pairs at threshold {lowest}",
        total,
        cands.len()
    ));
    if let Some(path) = &args.save_candidates {
        candidate_file::write_candidates(path, &cands)?;
    }
    if let Some(path) = &args.plot {
        let report = clklink::stats::StatsReport::new(&cands, 100)?;
        let title = format!("Candidate pairs with score >= {lowest}");
        clklink::plot::render_file(&report, Some(lowest), &title, path)?;
    }
    let truth = match &args.truth {
        Some(p) => Some(clklink::evaluate::read_truth(p)?),
        None => None,
    };

    // Stage 3: one output per threshold; each threshold's candidates are a prefix of the
    // lowest threshold's list, which is sorted by descending score.
    if args.result_type != ResultType::SimilarityScores {
        status.solving();
    }
    for t in thresholds {
        let n = cands.partition_point(|c| c.score >= t.value);
        let prefix = &cands[..n];
        let out = output_for(args, t, thresholds.len() > 1);
        let groups = write_result(args, solver, prefix, &datasets, &out, ui)
            .with_context(|| format!("threshold {}", t.text))?;
        if let (Some(truth), Some(groups)) = (&truth, groups) {
            let result = clklink::evaluate::Groups { groups };
            println!("threshold {}:", t.text);
            crate::evaluate::print_table(&clklink::evaluate::evaluate(&result, truth));
        }
    }
    status.complete(total);
    Ok(())
}

/// The output path for threshold `t`: as given, or with `-t<T>` inserted before the extension
/// when several thresholds are run.
fn output_for(args: &Args, t: &Threshold, several: bool) -> PathBuf {
    let base = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    if !several {
        return base;
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}-t{}.{}", t.text, ext.to_string_lossy()),
        None => format!("{stem}-t{}", t.text),
    };
    base.with_file_name(name)
}

fn write_result(
    args: &Args,
    solver: Solver,
    cands: &[Candidate],
    datasets: &[Clks],
    out: &Path,
    ui: &Ui,
) -> anyhow::Result<Option<Vec<solve::Group>>> {
    match args.result_type {
        ResultType::SimilarityScores => {
            ui.warn(
                "similarity scores are the most disclosive output: do not share them with \
                 untrusted parties",
            );
            match args.scores_format {
                ScoresFormat::Json => results::write_similarity_scores(out, cands)?,
                ScoresFormat::Binary => candidate_file::write_candidates(out, cands)?,
            }
            Ok(None)
        }
        ResultType::Groups => {
            let spinner = ui.spinner("solving");
            let groups = solve::solve(cands, solver)?;
            spinner.finish_and_clear();
            ui.info(&format!("{} groups", groups.len()));
            results::write_groups(out, &groups)?;
            Ok(Some(groups))
        }
        ResultType::Permutations => {
            if args.seed.is_some() {
                ui.warn("seeded permutations are reproducible and therefore NOT private");
            }
            let groups = solve::solve(cands, solver)?;
            let mut rng = results::permutation_rng(args.seed);
            let p = results::permutations(&groups, datasets[0].len(), datasets[1].len(), &mut rng)?;
            results::write_permutations(out, &p)?;
            Ok(Some(groups))
        }
    }
}

/// The optional `--status` file, rewritten (atomically) as the run advances, at most a few
/// times a second during comparisons.
struct StatusFile {
    path: Option<PathBuf>,
    state: Mutex<(RunStatus, Instant)>,
}

const STATUS_INTERVAL: Duration = Duration::from_millis(500);

impl StatusFile {
    fn new(path: Option<PathBuf>, run_type: RunType, parties: usize) -> Self {
        let status = RunStatus::new(run_type, parties as u64);
        let file = StatusFile {
            path,
            state: Mutex::new((status, Instant::now())),
        };
        file.update(true, |_| {});
        file
    }

    fn update(&self, force: bool, f: impl FnOnce(&mut RunStatus)) {
        let Some(path) = &self.path else { return };
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard.0);
        if force || guard.1.elapsed() >= STATUS_INTERVAL {
            // A status file that cannot be written must not stop the linkage.
            let _ = guard.0.write(path);
            guard.1 = Instant::now();
        }
    }

    fn parties_loaded(&self, n: usize) {
        self.update(true, |s| s.parties_contributed(n as u64));
    }

    fn comparing(&self, total: u64) {
        self.update(true, |s| {
            s.queue();
            s.start_comparisons(total)
        });
    }

    fn compared(&self, done: u64) {
        self.update(false, |s| s.comparisons_done(done));
    }

    fn solving(&self) {
        self.update(true, |s| s.start_output());
    }

    fn complete(&self, total: u64) {
        self.update(true, |s| s.complete(total));
    }

    fn fail(&self, message: &str) {
        self.update(true, |s| s.fail(message));
    }
}
