//! The chart in BENCHMARKS.md: ns per check against role count, log-log, one line per
//! engine, read from Criterion's saved estimates and drawn with `plotters` to a PNG. Text
//! needs a TrueType font file, loaded at run time (no system font library is linked).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Where a font usually is on Linux; `--font` overrides.
pub const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// One engine's line: (roles, ns per check).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Criterion's mean estimate for `group/function/parameter`, in ns, if it was measured.
pub fn estimate(criterion: &Path, group: &str, function: &str, parameter: usize) -> Option<f64> {
    let path = criterion
        .join(group)
        .join(function)
        .join(parameter.to_string())
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

pub fn load_font(explicit: Option<&Path>) -> Result<()> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => FONTS
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .context("no TrueType font found; pass --font FILE.ttf")?
            .to_path_buf(),
    };
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(bytes.into_boxed_slice()),
    )
    .map_err(|_| anyhow!("{} is not a usable TrueType font", path.display()))
}

const COLORS: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(120, 120, 120),
];

/// Draws `series` to a PNG at `out`.
pub fn draw(out: &Path, title: &str, series: &[Series]) -> Result<()> {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    if x0 > x1 {
        return Err(anyhow!("no measurements to draw; run the benchmarks first"));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("creating `{}`: {e}", dir.display()))?;
    }
    let root = BitMapBackend::new(out, (1000, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (x0 * 0.8..x1 * 1.25).log_scale(),
            (y0 * 0.5..y1 * 2.0).log_scale(),
        )
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("roles")
        .y_desc("ns per check (log)")
        .x_label_formatter(&|x| format!("{:.0}", x))
        .y_label_formatter(&|y| {
            if *y >= 1e6 {
                format!("{:.0} ms", y / 1e6)
            } else if *y >= 1e3 {
                format!("{:.0} µs", y / 1e3)
            } else {
                format!("{:.0} ns", y)
            }
        })
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (s, color) in series.iter().zip(COLORS.iter().cycle()) {
        let style = ShapeStyle::from(color).stroke_width(3);
        chart
            .draw_series(LineSeries::new(s.points.clone(), style))
            .map_err(|e| anyhow!("{e}"))?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 5, color.filled())))
            .map_err(|e| anyhow!("{e}"))?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 18))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
