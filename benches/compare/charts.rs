//! The comparison runner's SVG charts (`--charts DIR`, benches/README.md
//! "Charts"): throughput and round trips as bars of each library's
//! median, and tcp PUSH/PULL throughput against message size as lines.

use super::{fmt_rate, fmt_us, median_of, Kind, Lib, Results, Workload};
use oxmq_perf::chart::{self, Bars, Lines, Series};
use std::path::Path;

fn series(lib: Lib) -> Series {
    let color = match lib {
        Lib::Oxmq | Lib::Baseline => (214, 72, 38),
        Lib::Libzmq => (45, 105, 185),
        Lib::Zmqrs => (60, 150, 80),
        Lib::Omqrs => (140, 90, 170),
        Lib::Raw => (140, 140, 140),
    };
    Series {
        name: lib.title().to_owned(),
        color,
    }
}

/// The workloads of the plain tables: no CURVE, busy or no-resume twins.
fn plain(w: &Workload) -> bool {
    !w.busy && !w.curve && !w.resume_off
}

/// Each selected workload's title and median per library.
fn rows(
    ws: &[Workload],
    results: &Results,
    pick: impl Fn(&Workload) -> bool,
) -> Vec<(String, Vec<Option<f64>>)> {
    ws.iter()
        .enumerate()
        .filter(|(_, w)| pick(w))
        .map(|(i, w)| {
            let values = Lib::ALL
                .iter()
                .map(|&l| median_of(results, i, l, |s| s.value))
                .collect();
            (w.title.clone(), values)
        })
        .collect()
}

/// Writes throughput.svg, roundtrip.svg and sizes.svg (each only if it
/// has data) into `dir`; returns the paths written.
pub fn write(dir: &Path, ws: &[Workload], results: &Results, heading: &str) -> Vec<String> {
    let all: Vec<Series> = Lib::ALL.iter().map(|&l| series(l)).collect();
    let mut charts = Vec::new();
    let thr = rows(ws, results, |w| plain(w) && !w.kind.is_lat());
    charts.push((
        "throughput.svg",
        chart::bars(&Bars {
            title: "Throughput (msg/s, median; longer is faster)",
            note: &format!(
                "{heading}. In brackets: oxmq's median ÷ that library's (> 1: oxmq faster)."
            ),
            unit: "msg/s",
            series: &all,
            rows: &thr,
            format: |v| fmt_rate(Some(v)),
        }),
    ));
    let lat = rows(ws, results, |w| plain(w) && w.kind.is_lat());
    charts.push((
        "roundtrip.svg",
        chart::bars(&Bars {
            title: "Round trip (p50 µs, median; shorter is faster)",
            note: &format!(
                "{heading}. In brackets: oxmq's p50 ÷ that library's (< 1: oxmq faster)."
            ),
            unit: "p50 round trip µs",
            series: &all,
            rows: &lat,
            format: |v| format!("{} µs", fmt_us(Some(v))),
        }),
    ));
    // PUSH/PULL over tcp at every size run, one line per library.
    let sized: Vec<(usize, &Workload)> = ws
        .iter()
        .enumerate()
        .filter(|(_, w)| plain(w) && w.kind == Kind::Thr && w.transport == "tcp")
        .collect();
    let points: Vec<Vec<(usize, f64)>> = Lib::ALL
        .iter()
        .map(|&l| {
            sized
                .iter()
                .filter_map(|&(i, w)| Some((w.size, median_of(results, i, l, |s| s.value)?)))
                .collect()
        })
        .collect();
    if sized.len() > 1 {
        charts.push((
            "sizes.svg",
            chart::lines(&Lines {
                title: "PUSH/PULL over tcp: throughput against message size",
                note: &format!("{heading}. Median msg/s at each size; both axes logarithmic."),
                unit: "msg/s",
                series: &all,
                points: &points,
            }),
        ));
    }
    let mut written = Vec::new();
    if std::fs::create_dir_all(dir).is_err() {
        return written;
    }
    for (name, svg) in charts {
        let Some(svg) = svg else { continue };
        let path = dir.join(name);
        if std::fs::write(&path, svg).is_ok() {
            written.push(path.display().to_string());
        }
    }
    written
}
