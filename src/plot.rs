//! A chart of a [`StatsReport`] for choosing a threshold, as SVG or PNG.
//!
//! Top panel: the similarity histogram; for two-party input the bars are stacked, possible
//! matches (blue) under definite non-matches (orange), otherwise one colour. Bottom panel: the
//! number of greedy matches a threshold would give (two-party input only). A chosen threshold is
//! drawn as a labelled red vertical line in both panels. Only aggregate counts are drawn, never
//! individual pairs.
//!
//! Text uses DejaVu Sans (embedded; license in `assets/DejaVuSans-LICENSE.txt`).

use crate::error::{Error, Result};
use crate::stats::StatsReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Output image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics (bitmap).
    Png,
}

impl PlotFormat {
    /// The format for a file name's extension (`.svg` or `.png`, any case).
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("svg") => Ok(PlotFormat::Svg),
            Some("png") => Ok(PlotFormat::Png),
            _ => Err(Error::invalid_argument(format!(
                "{}: the plot file name must end in .svg or .png",
                crate::error::display_path(path)
            ))),
        }
    }
}

/// Image width in pixels.
pub const WIDTH: u32 = 1000;
/// Image height in pixels.
pub const HEIGHT: u32 = 760;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid; a failure would only leave text undrawn.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

fn draw_err<E: std::fmt::Display>(e: E) -> Error {
    Error::invalid_argument(format!("cannot draw the plot: {e}"))
}

const MATCH: RGBColor = RGBColor(31, 119, 180);
const NONMATCH: RGBColor = RGBColor(255, 127, 14);
const ALL: RGBColor = RGBColor(120, 120, 120);
const THRESH: RGBColor = RGBColor(214, 39, 40);

/// Renders the chart of `report` to `path` (the format from its extension), with `threshold`
/// marked when given and `title` on top. The file appears whole or not at all.
pub fn render_file(
    report: &StatsReport,
    threshold: Option<f64>,
    title: &str,
    path: &Path,
) -> Result<()> {
    let format = PlotFormat::from_path(path)?;
    let bytes = render(report, threshold, title, format)?;
    crate::output::write_atomically(path, |out| {
        use std::io::Write;
        out.write_all(&bytes).map_err(|e| Error::write(path, e))
    })
}

/// Renders the chart of `report` in `format` and returns the file's bytes.
pub fn render(
    report: &StatsReport,
    threshold: Option<f64>,
    title: &str,
    format: PlotFormat,
) -> Result<Vec<u8>> {
    register_font();
    match format {
        PlotFormat::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, (WIDTH, HEIGHT)).into_drawing_area();
                draw(&root, report, threshold, title)?;
                root.present().map_err(draw_err)?;
            }
            Ok(s.into_bytes())
        }
        PlotFormat::Png => {
            let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            {
                let root =
                    BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
                draw(&root, report, threshold, title)?;
                root.present().map_err(draw_err)?;
            }
            let img = image::RgbImage::from_raw(WIDTH, HEIGHT, buf)
                .ok_or_else(|| draw_err("bitmap size"))?;
            let mut png = Vec::new();
            img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(draw_err)?;
            Ok(png)
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &StatsReport,
    threshold: Option<f64>,
    title: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let root = root.titled(title, ("sans-serif", 24)).map_err(draw_err)?;
    let e = &report.edges;
    let (x0, x1) = (e[0], e[e.len() - 1]);
    let pad = (x1 - x0) * 0.02;
    let xr = (x0 - pad)..(x1 + pad);
    let (top, bottom) = match &report.bipartite {
        Some(_) => root.split_vertically(HEIGHT as i32 * 58 / 100),
        None => (root.clone(), root.clone()),
    };

    // Histogram.
    let ymax = report.counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;
    let mut chart = ChartBuilder::on(&top)
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(70)
        .caption(
            format!(
                "Similarity histogram ({} pairs, {} bins)",
                report.pairs, report.bins
            ),
            ("sans-serif", 18),
        )
        .build_cartesian_2d(xr.clone(), 0f64..ymax)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("Similarity score (Dice)")
        .y_desc("Pairs per bin")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_label_formatter(&|v| format!("{v:.3}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_err)?;
    let bars = |i: usize, lo: f64, hi: f64, c: RGBColor| {
        Rectangle::new([(e[i], lo), (e[i + 1], hi)], c.filled())
    };
    match &report.bipartite {
        Some(b) => {
            chart
                .draw_series((0..report.bins).map(|i| bars(i, 0.0, b.matches[i] as f64, MATCH)))
                .map_err(draw_err)?
                .label(format!(
                    "possible matches (greedy 1-to-1), {} total",
                    b.matches.iter().sum::<u64>()
                ))
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], MATCH.filled()));
            chart
                .draw_series((0..report.bins).map(|i| {
                    let m = b.matches[i] as f64;
                    bars(i, m, m + b.nonmatches[i] as f64, NONMATCH)
                }))
                .map_err(draw_err)?
                .label(format!(
                    "definite non-matches, {} total",
                    b.nonmatches.iter().sum::<u64>()
                ))
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], NONMATCH.filled()));
        }
        None => {
            chart
                .draw_series((0..report.bins).map(|i| bars(i, 0.0, report.counts[i] as f64, ALL)))
                .map_err(draw_err)?
                .label("candidate pairs (matches need two parties)")
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], ALL.filled()));
        }
    }
    if let Some(t) = threshold {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(t, 0.0), (t, ymax)],
                THRESH.stroke_width(2),
            )))
            .map_err(draw_err)?
            .label(format!("chosen threshold {t}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], THRESH.stroke_width(2)));
        // No text beside the line here: the legend names it, and a label at the top could
        // sit under the legend box.
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(draw_err)?;

    // Cumulative matches versus threshold.
    if let Some(b) = &report.bipartite {
        let cmax = b.cumulative_matches.first().copied().unwrap_or(0).max(1) as f64 * 1.08;
        let mut chart = ChartBuilder::on(&bottom)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(70)
            .caption(
                "Matches the greedy solver would accept at each threshold",
                ("sans-serif", 18),
            )
            .build_cartesian_2d(xr, 0f64..cmax)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("Threshold")
            .y_desc("Matches with score >= threshold")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| format!("{v:.3}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(
                b.cumulative_edges
                    .iter()
                    .zip(&b.cumulative_matches)
                    .map(|(&x, &y)| (x, y as f64)),
                MATCH.stroke_width(2),
            ))
            .map_err(draw_err)?;
        if let Some(t) = threshold {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t, 0.0), (t, cmax)],
                    THRESH.stroke_width(2),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(" threshold {t}"),
                    (t, cmax * 0.12),
                    ("sans-serif", 14).into_font().color(&THRESH),
                )))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Candidate;

    #[test]
    fn renders_both_formats() {
        let c: Vec<Candidate> = (0..50)
            .map(|i| Candidate {
                score: 1.0 - i as f64 / 100.0,
                dset0: 0,
                dset1: 1,
                rec0: i % 30,
                rec1: i,
            })
            .collect();
        let r = StatsReport::new(&c, 10).unwrap();
        let svg = render(&r, Some(0.8), "t", PlotFormat::Svg).unwrap();
        assert!(svg.starts_with(b"<svg"));
        let png = render(&r, None, "t", PlotFormat::Png).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(PlotFormat::from_path(Path::new("x.jpg")).is_err());
    }
}
