//! `clklink solve`.

use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _ui: &Ui) -> anyhow::Result<()> {
    anyhow::bail!("`clklink solve` is not available yet")
}
