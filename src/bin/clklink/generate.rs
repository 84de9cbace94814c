//! `clklink generate`: synthetic linked CLK datasets with ground truth.

use crate::ui::Ui;
use clklink::generate::{generate, random_seed, GenerateParams, DEFAULT_DENSITY};
use clklink::io::{self, Format};
use clklink::Error;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Records (rows) per party.
    #[arg(long, value_name = "N")]
    pub records: usize,
    /// Number of parties.
    #[arg(long, default_value_t = 2, value_name = "P")]
    pub parties: usize,
    /// Fraction of entities present in every party.
    #[arg(long, default_value_t = 0.5, value_name = "F")]
    pub overlap: f64,
    /// Per-bit noise of each copy: set bits cleared with probability R, clear bits set so the
    /// expected popcount is kept.
    #[arg(long, default_value_t = 0.05, value_name = "R")]
    pub noise: f64,
    /// CLK length in bits (a multiple of 8).
    #[arg(long, default_value_t = 1024, value_name = "BITS")]
    pub bits: usize,
    /// Probability that a base bit is set (FEBRL4's CLKs: 0.685).
    #[arg(long, default_value_t = DEFAULT_DENSITY, value_name = "D")]
    pub density: f64,
    /// Seed for byte-reproducible output (default: from the OS; recorded in generate.json).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output directory (created if needed): clks-0.json …, truth.csv, generate.json.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// Format of the CLK files: json (clks-P.json), native (clks-P.clk) or binary (clks-P.bin).
    #[arg(long, default_value = "json", value_name = "FORMAT")]
    pub format: Format,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let seed = match args.seed {
        Some(s) => s,
        None => random_seed()?,
    };
    let params = GenerateParams {
        records: args.records,
        parties: args.parties,
        overlap: args.overlap,
        noise: args.noise,
        bits: args.bits,
        density: args.density,
        seed,
    };
    params.validate()?;
    let ext = match args.format {
        Format::Json => "json",
        Format::Native => "clk",
        Format::Binary => "bin",
        Format::IdBinary => {
            return Err(
                Error::invalid_argument("generate writes json, native or binary CLK files").into(),
            )
        }
    };
    let spinner = ui.spinner("generating");
    let g = generate(&params)?;
    spinner.finish_and_clear();
    clklink::output::ensure_dir(&args.output)?;
    for p in 0..g.parties.len() {
        let path = args.output.join(format!("clks-{p}.{ext}"));
        io::write_clks(&g.clks(p), &path, args.format, Some("clklink generate"))?;
    }
    let truth = args.output.join("truth.csv");
    let csv = g.truth_csv();
    clklink::output::write_atomically(&truth, |out| {
        use std::io::Write;
        out.write_all(csv.as_bytes())
            .map_err(|e| Error::write(&truth, e))
    })?;
    let meta_path = args.output.join("generate.json");
    let meta = format!(
        "{{\"generator\": \"clklink generate\", \"records\": {}, \"parties\": {}, \"overlap\": {}, \
         \"noise\": {}, \"bits\": {}, \"density\": {}, \"seed\": {}, \"shared_entities\": {}, \
         \"model\": \"shared entities appear in every party; copies clear each set bit with \
         probability noise and set each clear bit with probability noise*density/(1-density); \
         rows shuffled per party\"}}",
        params.records,
        params.parties,
        clklink::pyfloat::repr(params.overlap),
        clklink::pyfloat::repr(params.noise),
        params.bits,
        clklink::pyfloat::repr(params.density),
        params.seed,
        params.shared()
    );
    clklink::output::write_atomically(&meta_path, |out| {
        use std::io::Write;
        out.write_all(meta.as_bytes())
            .map_err(|e| Error::write(&meta_path, e))
    })?;
    ui.info(&format!(
        "wrote {} parties of {} records ({} shared entities) to {}",
        params.parties,
        params.records,
        params.shared(),
        args.output.display()
    ));
    Ok(())
}
