//! `chart`: draws docs/bench/check-latency.png from the `check` benchmark's saved estimates
//! and prints them as a Markdown table with ratios.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use wicket_bench::chart::{Series, draw, estimate, load_font};

#[derive(Debug, Parser)]
#[command(about = "ns/check against role count, from Criterion's estimates")]
struct Args {
    /// Criterion's output directory (default: $CARGO_TARGET_DIR/criterion, else target/criterion)
    #[arg(long)]
    criterion: Option<PathBuf>,
    #[arg(long, default_value = "docs/bench/check-latency.png")]
    out: PathBuf,
    /// A TrueType font for the labels
    #[arg(long)]
    font: Option<PathBuf>,
}

const SIZES: [usize; 4] = [100, 1_000, 10_000, 100_000];
const ENGINES: [(&str, &str); 3] = [
    ("wicket", "Wicket"),
    ("cedar", "Cedar 4.14"),
    ("casbin", "Casbin 2.20"),
];

fn fmt_ns(ns: Option<f64>) -> String {
    match ns {
        None => "-".into(),
        Some(n) if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        Some(n) if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        Some(n) => format!("{n:.0} ns"),
    }
}

fn main() -> std::process::ExitCode {
    wicket_bench::finish(body())
}

fn body() -> Result<()> {
    let args = Args::parse();
    let criterion = args.criterion.unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("criterion")
    });
    println!(
        "| roles | Wicket | Wicket before | Cedar | Casbin | Cedar / Wicket | Casbin / Wicket |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for roles in SIZES {
        let get = |f: &str| estimate(&criterion, "check", f, roles);
        let (w, before, cedar, casbin) = (
            get("wicket"),
            get("wicket-before"),
            get("cedar"),
            get("casbin"),
        );
        let ratio = |x: Option<f64>| match (x, w) {
            (Some(x), Some(w)) => format!("{:.0}×", x / w),
            _ => "-".into(),
        };
        println!(
            "| {roles} | {} | {} | {} | {} | {} | {} |",
            fmt_ns(w),
            fmt_ns(before),
            fmt_ns(cedar),
            fmt_ns(casbin),
            ratio(cedar),
            ratio(casbin)
        );
    }
    let series: Vec<Series> = ENGINES
        .iter()
        .map(|(id, name)| Series {
            name: name.to_string(),
            points: SIZES
                .iter()
                .filter_map(|&r| estimate(&criterion, "check", id, r).map(|ns| (r as f64, ns)))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    load_font(args.font.as_deref())?;
    draw(
        &args.out,
        "Time per authorization check vs number of roles",
        &series,
    )?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}
