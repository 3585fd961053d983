//! SVG charts for the comparison runner (benches/compare.rs), drawn with
//! `plotters`: horizontal bars of each workload's median for each
//! library, with the value and oxmq's ratio to that library printed at
//! the end of each bar, and lines of throughput against message size.
//!
//! Text is laid out with plotters' built-in estimate of a sans-serif
//! font's size (no font files are read), so the charts build anywhere.

use plotters::coord::Shift;
use plotters::prelude::*;

/// One library: its name in the legend and its colour.
#[derive(Clone, Debug)]
pub struct Series {
    /// The legend's name ("oxmq", "libzmq", ...).
    pub name: String,
    /// The bars' or line's colour.
    pub color: (u8, u8, u8),
}

/// A bar chart: one group of bars per row (workload), one bar per series
/// (library) that has a value. The first series is oxmq: every other
/// bar's label carries oxmq's value divided by that bar's.
pub struct Bars<'a> {
    /// The caption.
    pub title: &'a str,
    /// A line under the caption (how to read the ratios).
    pub note: &'a str,
    /// The value axis' description ("msg/s").
    pub unit: &'a str,
    /// The libraries, oxmq first.
    pub series: &'a [Series],
    /// Each row's name and its value per series.
    pub rows: &'a [(String, Vec<Option<f64>>)],
    /// How a value is printed at the end of its bar.
    pub format: fn(f64) -> String,
}

/// A line chart of values against message size, both axes logarithmic.
pub struct Lines<'a> {
    /// The caption.
    pub title: &'a str,
    /// A line under the caption.
    pub note: &'a str,
    /// The value axis' description.
    pub unit: &'a str,
    /// The libraries.
    pub series: &'a [Series],
    /// Each series' points: (message size in bytes, value).
    pub points: &'a [Vec<(usize, f64)>],
}

const WIDTH: u32 = 1000;
const BAR: u32 = 15;
const GAP: u32 = 10;
const LEFT: u32 = 250;
const TOP: u32 = 80;
const FONT: &str = "sans-serif";

fn color((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

/// Draws the caption, the note and a legend across the top: the
/// `series` that have data (`shown`).
fn header(
    root: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    note: &str,
    series: &[Series],
    shown: impl Fn(usize) -> bool,
) {
    let at = |x: u32, y: u32| (x as i32, y as i32);
    let _ = root.draw(&Text::new(
        title.to_owned(),
        at(10, 8),
        (FONT, 20).into_font(),
    ));
    let _ = root.draw(&Text::new(
        note.to_owned(),
        at(10, 34),
        (FONT, 12).into_font(),
    ));
    let mut x = 10;
    for (_, s) in series.iter().enumerate().filter(|(i, _)| shown(*i)) {
        let c = color(s.color);
        let _ = root.draw(&Rectangle::new([at(x, 56), at(x + 12, 68)], c.filled()));
        let _ = root.draw(&Text::new(
            s.name.clone(),
            at(x + 16, 56),
            (FONT, 13).into_font(),
        ));
        x += 30 + 8 * s.name.len() as u32;
    }
}

/// The axis range: from below the smallest value to far enough above the
/// largest for the labels, logarithmic when the values span more than
/// 20 times.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64, bool)> {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi == 0.0 {
        return None;
    }
    let log = hi / lo > 20.0;
    Some(if log {
        (lo / 2.0, hi * 8.0, true)
    } else {
        (0.0, hi * 1.6, false)
    })
}

/// `v` with an SI prefix: 1.23 M, 456 k, 78, 10 k.
pub fn si(v: f64) -> String {
    let (d, p) = if v >= 1e9 {
        (1e9, " G")
    } else if v >= 1e6 {
        (1e6, " M")
    } else if v >= 1e3 {
        (1e3, " k")
    } else {
        (1.0, "")
    };
    let x = v / d;
    if x == x.round() || x >= 100.0 {
        format!("{x:.0}{p}")
    } else if x >= 10.0 {
        format!("{x:.1}{p}")
    } else {
        format!("{x:.2}{p}")
    }
}

/// A message size: 32 B, 1 KiB, 64 KiB, 1 MiB.
pub fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// The bar chart as SVG text; `None` if no row has a value.
pub fn bars(c: &Bars) -> Option<String> {
    let rows: Vec<&(String, Vec<Option<f64>>)> = c
        .rows
        .iter()
        .filter(|r| r.1.iter().any(Option::is_some))
        .collect();
    let (lo, hi, log) = span(rows.iter().flat_map(|r| r.1.iter().flatten().copied()))?;
    let plot: u32 = rows
        .iter()
        .map(|r| r.1.iter().flatten().count() as u32 * BAR + GAP)
        .sum();
    let height = TOP + plot + 60;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        header(&root, c.title, c.note, c.series, |i| {
            rows.iter().any(|r| r.1.get(i).is_some_and(Option::is_some))
        });
        let area = root.margin(TOP, 10, 10, 20);
        // Rows run down from the top (`plot`); a bar is BAR units high.
        let y = 0f64..plot as f64;
        let fmt = c.format;
        // The two axis kinds are different types: draw with each.
        macro_rules! draw {
            ($x:expr) => {{
                let mut chart = ChartBuilder::on(&area)
                    .x_label_area_size(40)
                    .y_label_area_size(LEFT - 10)
                    .build_cartesian_2d($x, y.clone())
                    .ok()?;
                chart
                    .configure_mesh()
                    .disable_y_mesh()
                    .disable_y_axis()
                    .x_desc(c.unit)
                    .x_label_formatter(&|v| si(*v))
                    .x_label_style((FONT, 12))
                    .draw()
                    .ok()?;
                let mut top = 0u32;
                for (name, values) in &rows {
                    let n = values.iter().flatten().count() as u32;
                    let mid = plot as f64 - top as f64 - (n * BAR) as f64 / 2.0;
                    let (px, py) = chart.backend_coord(&(lo, mid));
                    let _ = root.draw(&Text::new(
                        name.clone(),
                        (px - LEFT as i32 + 20, py - 6),
                        (FONT, 12).into_font(),
                    ));
                    let ox = values.first().copied().flatten();
                    // The top of the next bar.
                    let mut b = (plot - top) as f64;
                    for (i, (s, v)) in c.series.iter().zip(values).enumerate() {
                        let Some(v) = *v else { continue };
                        let rect = Rectangle::new(
                            [(lo, b - 1.0), (v, b - BAR as f64 + 1.0)],
                            color(s.color).filled(),
                        );
                        chart.draw_series(std::iter::once(rect)).ok()?;
                        let mut text = fmt(v);
                        // Every bar but oxmq's own carries oxmq's ratio to it.
                        if let (Some(o), true) = (ox, i > 0) {
                            text.push_str(&format!("  (oxmq÷ {:.2})", o / v));
                        }
                        let (ex, ey) = chart.backend_coord(&(v, b - BAR as f64 / 2.0));
                        let _ =
                            root.draw(&Text::new(text, (ex + 4, ey - 6), (FONT, 11).into_font()));
                        b -= BAR as f64;
                    }
                    top += n * BAR + GAP;
                }
            }};
        }
        if log {
            draw!((lo..hi).log_scale());
        } else {
            draw!(lo..hi);
        }
        root.present().ok()?;
    }
    Some(svg)
}

/// The line chart as SVG text; `None` if there are no points.
pub fn lines(c: &Lines) -> Option<String> {
    let all = || c.points.iter().flatten();
    let (xlo, xhi) = all().fold((usize::MAX, 0), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (ylo, yhi) = all().fold((f64::MAX, 0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    if yhi == 0.0 {
        return None;
    }
    // Sizes as powers of two, so each label sits on one.
    let lg = |b: usize| (b as f64).log2();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 600)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        header(&root, c.title, c.note, c.series, |i| {
            c.points.get(i).is_some_and(|p| !p.is_empty())
        });
        let area = root.margin(TOP, 10, 20, 20);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                lg(xlo) - 0.3..lg(xhi) + 0.3,
                (ylo / 2.0..yhi * 2.0).log_scale(),
            )
            .ok()?;
        chart
            .configure_mesh()
            .x_labels((lg(xhi) - lg(xlo)) as usize + 1)
            .x_label_formatter(&|v| size(v.exp2().round() as usize))
            .y_label_formatter(&|v| si(*v))
            .x_desc("message size")
            .y_desc(c.unit)
            .label_style((FONT, 12))
            .draw()
            .ok()?;
        for (s, points) in c.series.iter().zip(c.points) {
            let style = color(s.color).stroke_width(2);
            let pts: Vec<(f64, f64)> = points.iter().map(|&(b, v)| (lg(b), v)).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), style))
                .ok()?;
            chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Circle::new(p, 3, color(s.color).filled())),
                )
                .ok()?;
        }
        root.present().ok()?;
    }
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text elements' contents.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|t| {
                t.split_once('>')
                    .unwrap()
                    .1
                    .split("</text>")
                    .next()
                    .unwrap()
                    .trim()
                    .to_owned()
            })
            .collect()
    }

    fn series() -> Vec<Series> {
        vec![
            Series {
                name: "oxmq".into(),
                color: (200, 50, 40),
            },
            Series {
                name: "libzmq".into(),
                color: (40, 90, 200),
            },
        ]
    }

    #[test]
    fn bars_label_each_bar_with_its_value_and_oxmqs_ratio() {
        let rows = vec![
            (
                "PUSH/PULL tcp 32 B".to_string(),
                vec![Some(8.0e6), Some(4.0e6)],
            ),
            ("PUSH/PULL tcp 1 MiB".to_string(), vec![Some(2.0e3), None]),
        ];
        let svg = bars(&Bars {
            title: "Throughput",
            note: "a note",
            unit: "msg/s",
            series: &series(),
            rows: &rows,
            format: si,
        })
        .unwrap();
        for text in [
            "Throughput",
            "a note",
            "oxmq",
            "libzmq",
            "PUSH/PULL tcp 32 B",
            "PUSH/PULL tcp 1 MiB",
            "8 M",
            "4 M  (oxmq÷ 2.00)",
            "2 k",
            "msg/s",
        ] {
            assert!(
                texts(&svg).iter().any(|t| t == text),
                "{text} missing:\n{svg}"
            );
        }
        // The background, two legend keys and three bars, none cut off
        // by the plot's edge.
        let heights: Vec<&str> = svg
            .split("<rect")
            .skip(1)
            .map(|r| {
                r.split("height=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(heights.len(), 1 + 2 + 3, "{svg}");
        assert!(heights.iter().all(|h| *h != "0"), "{heights:?}");
    }

    #[test]
    fn no_values_no_chart() {
        let rows = vec![("x".to_string(), vec![None, None])];
        let c = Bars {
            title: "t",
            note: "",
            unit: "",
            series: &series(),
            rows: &rows,
            format: si,
        };
        assert!(bars(&c).is_none());
    }

    #[test]
    fn lines_label_sizes_in_bytes() {
        let pts = vec![
            vec![(32, 8.0e6), (1 << 20, 2.0e3)],
            vec![(32, 4.0e6)],
            vec![],
        ];
        let mut all = series();
        all.push(Series {
            name: "not run".into(),
            color: (0, 0, 0),
        });
        let svg = lines(&Lines {
            title: "Sizes",
            note: "",
            unit: "msg/s",
            series: &all,
            points: &pts,
        })
        .unwrap();
        // A library without points is left out of the legend.
        assert!(texts(&svg).iter().any(|t| t == "libzmq"), "{svg}");
        assert!(!texts(&svg).iter().any(|t| t == "not run"), "{svg}");
        for text in ["32 B", "1 KiB", "1 MiB", "message size", "msg/s"] {
            assert!(
                texts(&svg).iter().any(|t| t == text),
                "{text} missing:\n{svg}"
            );
        }
        assert!(svg.contains("<polyline"), "{svg}");
    }

    #[test]
    fn si_and_sizes_read_as_people_write_them() {
        assert_eq!(si(8_123_456.0), "8.12 M");
        assert_eq!(si(456_000.0), "456 k");
        assert_eq!(si(7.5), "7.50");
        assert_eq!(si(42.0), "42");
        assert_eq!(si(10_000.0), "10 k");
        assert_eq!(si(12_500.0), "12.5 k");
        assert_eq!(si(0.0), "0");
        assert_eq!(size(32), "32 B");
        assert_eq!(size(65536), "64 KiB");
        assert_eq!(size(1 << 20), "1 MiB");
    }
}
