//! `clklink merge`: k-way merge of sorted candidate files, widening fields as anonlink does.

use std::path::PathBuf;

use clklink::merge::merge_to_file;

use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Candidate files (anonlink v1 format), each sorted by score descending.
    #[arg(required = true, value_name = "CANDIDATES")]
    candidates: Vec<PathBuf>,
    /// Output candidate file (`-` for standard output).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Write identical consecutive entries once (anonlink's merge keeps them all).
    #[arg(long)]
    dedup: bool,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let bar = ui.bar(0, "merging");
    let (layout, written) = merge_to_file(
        &args.candidates,
        &args.output,
        args.dedup,
        &mut |read, total| {
            bar.set_length(total);
            bar.set_position(read);
        },
    )?;
    bar.finish_and_clear();
    if args.output.as_os_str() != "-" {
        ui.info(&format!(
            "{written} candidate pairs written (header {:02x?})",
            layout.header()
        ));
    }
    Ok(())
}
