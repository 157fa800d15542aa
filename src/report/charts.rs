//! The report's charts: horizontal bars as inline SVG, drawn by plotters.

use plotters::prelude::*;

/// A horizontal bar chart as inline SVG, one bar per row, values in whole
/// units (letters, or cents shown as dollars). Empty if plotters cannot
/// draw it: the table beside it still has the numbers.
pub(super) fn bar_chart(rows: &[(String, u64)], dollars: bool) -> String {
    let mut svg = String::new();
    let height = 48 + 26 * rows.len().max(1) as u32;
    let drawn = draw_bars(
        SVGBackend::with_string(&mut svg, (640, height)).into_drawing_area(),
        rows,
        dollars,
    );
    if drawn.is_err() { String::new() } else { svg }
}

fn draw_bars(
    root: DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[(String, u64)],
    dollars: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    // A segmented axis of 0..0 has no height: one row (a month of reminders
    // only) gets the axis 0..1, its bar the whole of it.
    let last_segment = rows.len().max(2) - 1;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(170)
        .build_cartesian_2d(0u64..max + max / 10 + 1, (0..last_segment).into_segmented())?;
    // The first row at the top: segment 0 is at the bottom of the chart.
    let top_down = |i: usize| rows.len().saturating_sub(1 + i);
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < rows.len() => {
            rows.get(top_down(*i)).map(|r| r.0.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let amount = |v: &u64| if dollars { format!("${}", v / 100) } else { v.to_string() };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .y_labels(rows.len().max(1))
        .y_label_formatter(&label)
        .x_label_formatter(&amount)
        .x_labels(5)
        .label_style(("sans-serif", 13))
        .draw()?;
    // Bars drawn one by one, in the rows' order: plotters' Histogram sums
    // its data in a HashMap and would draw them in a different order on
    // every run, and the report must be the same bytes on a rerun.
    let bar = RGBColor(46, 94, 140).filled();
    chart.draw_series(rows.iter().enumerate().map(|(row, (_, value))| {
        let i = top_down(row);
        let end = if i + 1 == rows.len() { SegmentValue::Last } else { SegmentValue::Exact(i + 1) };
        let mut rect = Rectangle::new([(0, SegmentValue::Exact(i)), (*value, end)], bar);
        rect.set_margin(4, 4, 0, 0);
        rect
    }))?;
    root.present()?;
    Ok(())
}
