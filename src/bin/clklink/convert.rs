//! `clklink convert`.

use std::path::PathBuf;

use clklink::io::{self, Format, ReadOptions};

use crate::ui::Ui;

/// Convert a CLK file to another format.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input file (`-` for standard input).
    pub input: PathBuf,
    /// Output file (`-` for standard output, which needs --to).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Output format: native, json, binary or id-binary (default: from the output's extension,
    /// .clk native, .json json, .bin binary).
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<Format>,
    /// Input format: json, binary, id-binary or native (default: detected).
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<Format>,
    /// Bytes per record; required for binary input.
    #[arg(long, value_name = "BYTES")]
    pub encoding_size: Option<usize>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let to = match args.to.or_else(|| Format::from_extension(&args.output)) {
        Some(f) => f,
        None => {
            return Err(clklink::Error::invalid_argument(format!(
            "cannot tell the output format from `{}`: give --to native, json, binary or id-binary",
            args.output.display()
        ))
            .into())
        }
    };
    let opts = ReadOptions {
        format: args.from,
        encoding_size: args.encoding_size,
        ..ReadOptions::default()
    };
    let spinner = ui.spinner("reading");
    let (clks, from) = io::read_clks_with_format(&args.input, &opts)?;
    spinner.finish_and_clear();
    if clks.blocks().is_some() && matches!(to, Format::Binary | Format::IdBinary) {
        ui.warn(&format!(
            "the input's block ids are left out: the {to} format cannot hold them"
        ));
    }
    let source = if args.input.as_os_str() == "-" {
        None
    } else {
        args.input.file_name().and_then(|n| n.to_str())
    };
    io::write_clks(&clks, &args.output, to, source)?;
    ui.info(&format!(
        "converted {} records of {} bits from {from} to {to}",
        clks.len(),
        clks.bits()
    ));
    Ok(())
}
