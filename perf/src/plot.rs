//! The pictures: `bench --plot FILE` (per operation, the latency distributions of the IUT and of the
//! reference, with each side's p50/p90/p99 marked and tabulated) and `timing --plot FILE` (per class pair, the
//! two classes' timing distributions as deciles, and the verdict). SVG drawn with the `plotters` crate (its
//! SVG backend only): any browser shows it, and it parses as XML.
//!
//! Axes fit the data: a latency axis spans the 0.1th percentile to 1.6 × the p99 of both sides (logarithmic, as
//! latencies spread over orders of magnitude), so a single slow outlier does not squash the distribution into
//! a corner; what lies beyond is counted in the caption and the table gives the exact maximum. Labels are
//! laid out in a table below each chart rather than on it, so they never overlap the data or each other.

use crate::bench::histogram::Histogram;
use crate::timing::report::{TimingReport, TimingVerdict};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A latency for tables and axes: `850 ns`, `12 µs`, `1.5 ms`, `2 s`.
pub fn short_ns(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

/// One side of a bench panel (the IUT or the reference).
pub struct Side<'a> {
    /// Who it is (shortened to fit).
    pub label: String,
    /// Its latencies.
    pub latency: &'a Histogram,
    /// Its throughput, for the table.
    pub ops_per_sec: f64,
}

/// One bench panel: an operation.
pub struct BenchPanel<'a> {
    /// The title (starts with the operation's name).
    pub title: String,
    /// The IUT first, then the reference if calibrated.
    pub sides: Vec<Side<'a>>,
}

const WIDTH: u32 = 960;
const BENCH_PANEL_H: u32 = 420;
const HEADER_H: u32 = 44;
const COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(230, 110, 20)];
const FONT: &str = "sans-serif";

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot draw the plot: {e}")
}

/// Shortens `text` to at most `max` characters (an ellipsis marks the cut).
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn text(area: &Area<'_>, s: &str, (x, y): (i32, i32), size: u32, color: &RGBColor) -> Result<(), String> {
    area.draw(&Text::new(s.to_string(), (x, y), (FONT, size).into_font().color(color))).map_err(err)
}

/// The latency axis's span: from the fastest side's 0.1th percentile to 1.6 × the slowest side's p99 (every
/// percentile line shows; the rare stragglers beyond are counted in the caption, the table has the maximum).
fn latency_span(sides: &[Side<'_>]) -> Option<(f64, f64)> {
    let filled: Vec<&Side<'_>> = sides.iter().filter(|s| s.latency.count() > 0).collect();
    if filled.is_empty() {
        return None;
    }
    let lo = filled.iter().map(|s| s.latency.quantile(0.001) as f64).fold(f64::INFINITY, f64::min).max(1.0);
    let hi = filled.iter().map(|s| s.latency.quantile(0.99) as f64).fold(0.0, f64::max) * 1.6;
    Some((lo / 1.15, hi.max(lo * 2.0)))
}

/// One bar: its left and right edges (ns) and its height (% of the side's calls).
type Bar = (f64, f64, f64);

/// A side's latencies as bars: each histogram bucket (about 3 % wide, the same edges for every side) inside
/// `[lo, hi)` with its percentage of the side's calls; and the percentage of calls outside the span.
fn bars(h: &Histogram, lo: f64, hi: f64) -> (Vec<Bar>, f64) {
    let total = h.count().max(1) as f64;
    let mut out = Vec::new();
    let mut outside = 0u64;
    for (low, high, count) in h.buckets() {
        let (l, r) = (low as f64, high as f64);
        if r <= lo || l >= hi {
            outside += count;
            continue;
        }
        out.push((l.max(lo), r.min(hi), count as f64 * 100.0 / total));
    }
    (out, outside as f64 * 100.0 / total)
}

/// Tick values for a logarithmic axis over `[lo, hi]`: 1, 2, 5 × 10^k, or every 1..9 × 10^k when the span
/// is too narrow for that to give four ticks.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (lo.log10().floor() as i32)..=(hi.log10().ceil() as i32);
    let pick = |mantissas: &[f64]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let coarse = pick(&[1.0, 2.0, 5.0]);
    if coarse.len() >= 4 {
        coarse
    } else {
        pick(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    }
}

/// The bench picture: one panel per operation.
pub fn bench_svg(title: &str, panels: &[BenchPanel<'_>]) -> Result<String, String> {
    let height = HEADER_H + BENCH_PANEL_H * panels.len().max(1) as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (header, body) = root.split_vertically(HEADER_H);
        text(&header, &fit(title, 110), (16, 14), 18, &BLACK)?;
        let areas = body.split_evenly((panels.len().max(1), 1));
        for (panel, area) in panels.iter().zip(&areas) {
            bench_panel(panel, area)?;
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

fn bench_panel(panel: &BenchPanel<'_>, area: &Area<'_>) -> Result<(), String> {
    let (chart_area, table) = area.split_vertically(BENCH_PANEL_H - 112);
    let Some((lo, hi)) = latency_span(&panel.sides) else {
        text(area, &fit(&panel.title, 110), (16, 8), 15, &BLACK)?;
        return text(area, "no latencies were recorded", (16, 40), 14, &BLACK);
    };
    let binned: Vec<(Vec<Bar>, f64)> = panel.sides.iter().map(|s| bars(s.latency, lo, hi)).collect();
    let ymax = binned.iter().flat_map(|(b, _)| b.iter().map(|x| x.2)).fold(0.0, f64::max).max(1e-3) * 1.12;
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(fit(&panel.title, 110), (FONT, 16))
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((lo..hi).log_scale().with_key_points(log_ticks(lo, hi)), 0.0..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("latency per call (logarithmic)")
        .y_desc("% of calls")
        .x_labels(10)
        .y_labels(6)
        .x_label_formatter(&|v| short_ns(*v))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (k, (bins, _)) in binned.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        // The IUT filled, the reference as a translucent overlay: both stay visible where they overlap.
        let style = color.mix(if k == 0 { 0.55 } else { 0.35 }).filled();
        chart.draw_series(bins.iter().map(|&(l, r, v)| Rectangle::new([(l, 0.0), (r, v)], style))).map_err(err)?;
    }
    // Percentile lines, each side in its colour: p50 solid, p90 dashed, p99 dotted.
    for (k, side) in panel.sides.iter().enumerate() {
        if side.latency.count() == 0 {
            continue;
        }
        let color = COLORS[k % COLORS.len()];
        for (q, dash) in [(0.5, 0u32), (0.9, 7), (0.99, 2)] {
            let x = (side.latency.quantile(q) as f64).clamp(lo, hi);
            let points = vec![(x, 0.0), (x, ymax * 0.97)];
            let style = color.stroke_width(2);
            if dash == 0 {
                chart.draw_series(LineSeries::new(points, style)).map_err(err)?;
            } else {
                chart.draw_series(DashedLineSeries::new(points, dash, 4, style)).map_err(err)?;
            }
        }
    }
    // The table: who, calls/s, p50, p90, p99, max; then the key and what lies beyond the axis.
    let columns = [(40, "who"), (470, "calls/s"), (580, "p50"), (670, "p90"), (760, "p99"), (850, "max")];
    for (x, name) in columns {
        text(&table, name, (x, 6), 13, &RGBColor(90, 90, 90))?;
    }
    for (k, side) in panel.sides.iter().enumerate() {
        let y = 26 + 20 * k as i32;
        let color = COLORS[k % COLORS.len()];
        table.draw(&Rectangle::new([(16, y + 1), (30, y + 13)], color.mix(0.7).filled())).map_err(err)?;
        text(&table, &fit(&side.label, 58), (40, y), 13, &BLACK)?;
        let l = side.latency;
        let cells = [
            format!("{:.0}", side.ops_per_sec),
            short_ns(l.quantile(0.5) as f64),
            short_ns(l.quantile(0.9) as f64),
            short_ns(l.quantile(0.99) as f64),
            short_ns(l.max() as f64),
        ];
        for ((x, _), cell) in columns[1..].iter().zip(cells) {
            text(&table, &cell, (*x, y), 13, &BLACK)?;
        }
    }
    let beyond: Vec<String> = panel
        .sides
        .iter()
        .zip(&binned)
        .enumerate()
        .filter(|(_, (_, (_, out)))| *out > 0.0)
        .map(|(k, (_, (_, out)))| format!("{} {out:.2} %", if k == 0 { "IUT" } else { "reference" }))
        .collect();
    let mut key = "lines: p50 solid, p90 dashed, p99 dotted".to_string();
    if !beyond.is_empty() {
        key.push_str(&format!(
            "; calls outside the axis ({} to {}): {}",
            short_ns(lo),
            short_ns(hi),
            beyond.join(", ")
        ));
    }
    text(&table, &fit(&key, 130), (16, 26 + 20 * panel.sides.len() as i32 + 6), 12, &RGBColor(90, 90, 90))
}

/// The timing picture: per class pair of the implementation, the two classes' deciles (a cumulative
/// distribution: where 10 %, 20 %, ... 90 % of each class's measurements end), and the verdict.
pub fn timing_svg(report: &TimingReport, pair_names: &[&str]) -> Result<String, String> {
    let iut = report.targets.iter().find(|t| t.role == crate::timing::report::Role::Iut);
    let pairs = iut.map_or(0, |t| t.pairs.len());
    let panel_h = 330u32;
    let height = 84 + panel_h * pairs.max(1) as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (header, body) = root.split_vertically(84);
        text(&header, &fit(&format!("ivconform timing: {}", report.transport), 110), (16, 12), 18, &BLACK)?;
        let (word, color) = match report.verdict {
            TimingVerdict::Pass => ("PASS", RGBColor(30, 130, 50)),
            TimingVerdict::Fail => ("FAIL", RGBColor(190, 30, 30)),
            TimingVerdict::Inconclusive => ("INCONCLUSIVE", RGBColor(170, 110, 0)),
        };
        text(&header, &format!("Verdict: {word}"), (16, 38), 16, &color)?;
        text(&header, &fit(&report.reason, 120), (16, 60), 12, &RGBColor(60, 60, 60))?;
        match iut.filter(|_| pairs > 0) {
            None => text(&body, "no measurement of the implementation", (16, 20), 14, &BLACK)?,
            Some(iut) => timing_pairs(report, iut, &body, pair_names)?,
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

fn timing_pairs(
    report: &TimingReport,
    iut: &crate::timing::report::Target,
    body: &Area<'_>,
    pair_names: &[&str],
) -> Result<(), String> {
    {
        let areas = body.split_evenly((iut.pairs.len(), 1));
        for ((a, area), &id) in iut.pairs.iter().zip(&areas).zip(&iut.pair_ids) {
            let name = pair_names.get(id).copied().unwrap_or("class pair");
            let status = if a.leak {
                format!("LEAK: max |t| {:.1} > {} ({})", a.max_stat.abs(), report.threshold, a.max_test)
            } else {
                format!("max |t| {:.1} ≤ {} ({})", a.max_stat.abs(), report.threshold, a.max_test)
            };
            let title = format!("pair {}: {status}", id + 1);
            timing_panel(area, &title, name, a)?;
        }
    }
    Ok(())
}

fn timing_panel(area: &Area<'_>, title: &str, pair: &str, a: &crate::timing::stats::Assessment) -> Result<(), String> {
    let (chart_area, legend) = area.split_vertically(270);
    if a.deciles_ns.is_empty() {
        text(area, &fit(title, 110), (16, 8), 15, &BLACK)?;
        return text(area, "too few measurements for deciles", (16, 40), 14, &BLACK);
    }
    let xs = a.deciles_ns.iter().flat_map(|d| d.iter().copied());
    let (mut lo, mut hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1.0);
    lo = (lo - pad).max(0.0);
    hi += pad;
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(fit(title, 110), (FONT, 15))
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..100.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time per verification (deciles of each class)")
        .y_desc("% of measurements below")
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|v| short_ns(*v))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    // Class A solid with large hollow markers, class B dashed with small filled ones: where the two
    // distributions coincide (a constant-time verifier) both stay visible.
    for class in 0..2 {
        let color = COLORS[class];
        let points: Vec<(f64, f64)> =
            a.deciles_ns.iter().enumerate().map(|(k, d)| (d[class], (k + 1) as f64 * 10.0)).collect();
        if class == 0 {
            chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(3))).map_err(err)?;
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 6, color.stroke_width(2)))).map_err(err)?;
        } else {
            chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, color.stroke_width(2))).map_err(err)?;
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled()))).map_err(err)?;
        }
    }
    // "pair 1: A right but the last byte, B wrong in the first byte" -> what A and B are.
    let body = pair.split_once(": ").map_or(pair, |(_, b)| b);
    let (a_name, b_name) = body
        .split_once(", B ")
        .map(|(x, y)| (x.trim_start_matches("A ").to_string(), y.to_string()))
        .unwrap_or_else(|| (body.to_string(), String::new()));
    for (k, (label, n)) in [(a_name, a.per_class[0]), (b_name, a.per_class[1])].iter().enumerate() {
        let y = 8 + 20 * k as i32;
        legend.draw(&Rectangle::new([(16, y + 1), (30, y + 13)], COLORS[k].mix(0.8).filled())).map_err(err)?;
        let class = if k == 0 { "A" } else { "B" };
        let line = if k == 0 { "solid, hollow markers" } else { "dashed, filled markers" };
        text(&legend, &fit(&format!("class {class} ({line}): {label} ({n} measurements)"), 120), (40, y), 13, &BLACK)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_latencies() {
        assert_eq!(short_ns(850.0), "850 ns");
        assert_eq!(short_ns(12_000.0), "12 µs");
        assert_eq!(short_ns(1_500_000.0), "1.50 ms");
        assert_eq!(short_ns(2e9), "2 s");
    }

    #[test]
    fn log_ticks_are_round_and_inside() {
        assert_eq!(log_ticks(7_000.0, 300_000.0), vec![10_000.0, 20_000.0, 50_000.0, 100_000.0, 200_000.0]);
        let narrow = log_ticks(126_000.0, 557_000.0);
        assert_eq!(narrow, vec![150_000.0, 200_000.0, 300_000.0, 400_000.0, 500_000.0]);
    }

    #[test]
    fn the_axis_fits_the_bulk_not_the_outlier() {
        let mut h = Histogram::default();
        for v in 0..10_000u64 {
            h.record(1_000 + v % 500);
        }
        h.record(50_000_000); // one 50 ms outlier
        let side = Side { label: "x".into(), latency: &h, ops_per_sec: 1.0 };
        let (lo, hi) = latency_span(&[side]).unwrap();
        assert!(lo > 700.0 && hi < 2_500.0, "[{lo}, {hi}]");
        let (bins, outside) = bars(&h, lo, hi);
        let inside: f64 = bins.iter().map(|b| b.2).sum();
        assert!((inside + outside - 100.0).abs() < 1e-6 && outside > 0.0 && outside < 0.1, "{inside} {outside}");
    }

    #[test]
    fn a_bench_plot_is_svg_with_bars_a_table_and_both_sides() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        for v in 0..5_000u64 {
            a.record(800 + v % 300);
            b.record(1_200 + v % 700);
        }
        let panels = [BenchPanel {
            title: "sign: 1000 calls/s".into(),
            sides: vec![
                Side { label: "IUT: <a & b>".into(), latency: &a, ops_per_sec: 1000.0 },
                Side { label: "reference".into(), latency: &b, ops_per_sec: 900.0 },
            ],
        }];
        let svg = bench_svg("ivconform bench", &panels).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "{}", &svg[..200]);
        assert!(svg.matches("<rect").count() > 10);
        let flat = svg.replace('\n', "");
        for needle in [">p99<", ">sign: 1000 calls/s<", ">IUT: &lt;a &amp; b&gt;<", ">reference<"] {
            assert!(flat.contains(needle), "{needle} missing");
        }
    }
}
