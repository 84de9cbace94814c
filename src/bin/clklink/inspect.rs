//! `clklink inspect`.

use std::path::PathBuf;

use clklink::io::{self, Format, ReadOptions};

use crate::ui::Ui;

/// Describe CLK files.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to describe (`-` for standard input).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file, one per line.
    #[arg(long)]
    pub json: bool,
    /// Input format: json, binary, id-binary or native (default: detected).
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<Format>,
    /// Bytes per record; required for binary input.
    #[arg(long, value_name = "BYTES")]
    pub encoding_size: Option<usize>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let opts = ReadOptions {
        format: args.from,
        encoding_size: args.encoding_size,
        ..ReadOptions::default()
    };
    for (n, path) in args.files.iter().enumerate() {
        let spinner = ui.spinner("reading");
        // Stored popcounts of native files are checked while reading.
        let (clks, format) = io::read_clks_with_format(path, &opts)?;
        spinner.finish_and_clear();
        let d = clklink::io::Description::of(&clks);
        if args.json {
            let mut obj = serde_json::Map::new();
            obj.insert("file".into(), path.display().to_string().into());
            obj.insert("format".into(), format.name().into());
            obj.insert("records".into(), clks.len().into());
            obj.insert("bits".into(), clks.bits().into());
            obj.insert("popcount_min".into(), d.min.into());
            obj.insert("popcount_mean".into(), d.mean.into());
            obj.insert("popcount_max".into(), d.max.into());
            obj.insert("blocks".into(), d.blocks.into());
            println!("{}", serde_json::Value::Object(obj));
        } else {
            if n > 0 {
                println!();
            }
            println!("{}", path.display());
            println!("  format:          {format}");
            println!("  records:         {}", clks.len());
            println!("  bits per record: {}", clks.bits());
            match (d.min, d.mean, d.max) {
                (Some(min), Some(mean), Some(max)) => {
                    println!("  popcount:        min {min}, mean {mean:.2}, max {max}")
                }
                _ => println!("  popcount:        (no records)"),
            }
            match d.blocks {
                Some(b) => println!("  blocks:          {b} distinct block ids"),
                None => println!("  blocks:          none"),
            }
            for line in d.histogram(12, 50) {
                println!("  {line}");
            }
        }
    }
    Ok(())
}
