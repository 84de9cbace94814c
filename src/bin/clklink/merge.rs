//! `clklink merge`.

use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _ui: &Ui) -> anyhow::Result<()> {
    anyhow::bail!("`clklink merge` is not available yet")
}
