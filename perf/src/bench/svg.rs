//! The latency histogram as an SVG picture (`ivconform bench --plot FILE`): one panel per operation, the
//! implementation's latencies as bars over a logarithmic time axis, the reference's calibration run
//! overlaid, and the implementation's p50, p90 and p99 marked. Plain SVG 1.1 written by hand: any browser
//! shows it, and it parses as XML.

use super::histogram::Histogram;
use std::fmt::Write;

/// One distribution in a panel.
pub struct Series<'a> {
    /// Legend text.
    pub label: String,
    /// The latencies.
    pub latency: &'a Histogram,
    /// Fill colour (CSS).
    pub color: &'static str,
}

/// One panel: a title and its series (the first one gets the percentile markers).
pub struct Panel<'a> {
    /// Panel title.
    pub title: String,
    /// The distributions drawn.
    pub series: Vec<Series<'a>>,
}

const WIDTH: f64 = 900.0;
const PANEL_H: f64 = 296.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 56.0;
const PLOT_H: f64 = 190.0;
const BINS: usize = 90;

/// Escapes text for XML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A latency for axis labels: `850 ns`, `12 µs`, `1.5 ms`, `2 s`.
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

/// The tick step for an axis: 1, 2 or 5 × 10^k, the smallest not below `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.max(1e-12).log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * magnitude)
}

/// A fraction as a percentage label without trailing noise: `25`, `2.5`, `0.25`.
fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    let text = format!("{p:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let tail: String = text.chars().rev().take(max - 1).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

/// Renders the panels as a complete SVG document.
pub fn render(title: &str, panels: &[Panel<'_>]) -> String {
    let height = 50.0 + PANEL_H * panels.len().max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="26" font-size="16" font-weight="bold" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    for (k, panel) in panels.iter().enumerate() {
        let y0 = 50.0 + PANEL_H * k as f64;
        render_panel(&mut s, panel, y0);
    }
    s.push_str("</svg>\n");
    s
}

fn render_panel(s: &mut String, panel: &Panel<'_>, y0: f64) {
    let plot_w = WIDTH - LEFT - RIGHT;
    let (top, bottom) = (y0 + TOP, y0 + TOP + PLOT_H);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold">{}</text>"#,
        y0 + 20.0,
        escape(&panel.title)
    );
    let present: Vec<&Series<'_>> = panel.series.iter().filter(|x| x.latency.count() > 0).collect();
    if present.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="gray">no successful calls</text>"#,
            LEFT + plot_w / 2.0,
            (top + bottom) / 2.0
        );
        return;
    }
    // Log-scale x range over every series, padded a little.
    let lo = present.iter().map(|x| x.latency.min().max(1)).min().unwrap_or(1) as f64;
    // Up to the slowest 0.1 % (with some room): rare outliers (preemption) would squash the picture; they
    // are counted in the last bar, and the exact max is in the title and the tables.
    let hi = present
        .iter()
        .map(|x| (x.latency.quantile(0.999) as f64 * 1.3).min(x.latency.max() as f64).max(1.0))
        .fold(1.0f64, f64::max);
    let (llo, lhi) = ((lo * 0.9).log10(), (hi * 1.1).log10().max((lo * 0.9).log10() + 0.5));
    let x_of = |ns: f64| LEFT + (ns.max(1.0).log10() - llo) / (lhi - llo) * plot_w;
    let bin_of = |ns: f64| (((ns.max(1.0).log10() - llo) / (lhi - llo) * BINS as f64) as usize).min(BINS - 1);
    // Fractions per display bin.
    let binned: Vec<Vec<f64>> = present
        .iter()
        .map(|x| {
            let mut bins = vec![0.0; BINS];
            let total = x.latency.count() as f64;
            for (low, high, count) in x.latency.buckets() {
                let mid = (low as f64 + high as f64) / 2.0;
                bins[bin_of(mid.clamp(lo, hi))] += count as f64 / total;
            }
            bins
        })
        .collect();
    let peak = binned.iter().flatten().cloned().fold(0.0f64, f64::max).max(1e-9);
    let step = nice_step(peak / 4.0);
    let ticks = (peak / step).ceil().max(1.0) as usize;
    let ymax = step * ticks as f64;
    let y_of = |f: f64| bottom - f / ymax * PLOT_H;
    // Grid and y axis (fraction of calls), at round percentages.
    for t in 0..=ticks {
        let f = step * t as f64;
        let y = y_of(f);
        let _ =
            writeln!(s, r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e5e5"/>"##, LEFT + plot_w);
        let _ =
            writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}%</text>"#, LEFT - 6.0, y + 4.0, percent(f));
    }
    // x ticks at 1, 2, 3, 5 x 10^k.
    let mut decade = 10f64.powi(llo.floor() as i32);
    while decade <= 10f64.powf(lhi) {
        for m in [1.0, 2.0, 3.0, 5.0] {
            let v = decade * m;
            let lv = v.log10();
            if lv >= llo && lv <= lhi {
                let x = x_of(v);
                let _ = writeln!(
                    s,
                    r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{:.1}" stroke="#333"/>"##,
                    bottom + 5.0
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    bottom + 18.0,
                    escape(&short_ns(v))
                );
            }
        }
        decade *= 10.0;
    }
    let _ = writeln!(s, r##"<line x1="{LEFT}" y1="{bottom}" x2="{:.1}" y2="{bottom}" stroke="#333"/>"##, LEFT + plot_w);
    let _ = writeln!(s, r##"<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">latency per call (log scale)</text>"#,
        LEFT + plot_w / 2.0,
        bottom + 34.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})">calls</text>"#,
        16.0,
        (top + bottom) / 2.0,
        16.0,
        (top + bottom) / 2.0
    );
    // Bars.
    let bin_w = plot_w / BINS as f64;
    for (x, bins) in present.iter().zip(&binned) {
        let _ = writeln!(s, r#"<g fill="{}" fill-opacity="0.6">"#, x.color);
        for (b, &f) in bins.iter().enumerate() {
            if f > 0.0 {
                let y = y_of(f);
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"/>"#,
                    LEFT + b as f64 * bin_w,
                    (bin_w - 0.5).max(0.5),
                    bottom - y
                );
            }
        }
        s.push_str("</g>\n");
    }
    // Percentile markers of the first series.
    let first = present[0];
    for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
        let v = first.latency.quantile(q) as f64;
        let x = x_of(v.clamp(lo, hi));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#222" stroke-dasharray="4 3"/>"##
        );
        // Labels right of their line, or left of it near the right edge, one row each so none overlap.
        let (lx, anchor) = if x > LEFT + plot_w - 90.0 { (x - 3.0, "end") } else { (x + 3.0, "start") };
        let _ = writeln!(
            s,
            r#"<text x="{lx:.1}" y="{:.1}" font-size="11" text-anchor="{anchor}">{name} {}</text>"#,
            top + 12.0 + 13.0 * ["p50", "p90", "p99"].iter().position(|n| *n == name).unwrap_or(0) as f64,
            escape(&short_ns(v))
        );
    }
    // Legend, in its own row under the title, outside the plot so bars and markers never hide it.
    for (i, x) in present.iter().enumerate() {
        let lx = LEFT + (plot_w / 2.0) * i as f64;
        let ly = y0 + 28.0;
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="12" height="10" fill="{}" fill-opacity="0.6"/>"#,
            x.color
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{} ({} calls)</text>"#,
            lx + 18.0,
            ly + 9.5,
            escape(&truncate(&x.label, 48)),
            x.latency.count()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_and_labels_are_round() {
        assert_eq!(nice_step(0.23), 0.5);
        assert_eq!(nice_step(0.2), 0.2);
        assert_eq!(nice_step(0.031), 0.05);
        assert_eq!(nice_step(0.0009), 0.001);
        assert_eq!(percent(0.25), "25");
        assert_eq!(percent(0.025), "2.5");
        assert_eq!(percent(0.0), "0");
        assert_eq!(short_ns(1580.0), "1.58 µs");
        assert_eq!(escape("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
    }
}
