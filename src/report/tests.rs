//! Unit tests of [`super`] (`src/report.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;

/// The heights of the bars (filled rectangles) of a chart's SVG.
fn bar_heights(svg: &str) -> Vec<i64> {
    svg.split("<rect")
        .skip(1)
        .filter(|r| r.contains("fill=\"#2E5E8C\""))
        .filter_map(|r| r.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn a_chart_of_one_category_draws_its_bar() {
    let one = bar_chart(&[("reminder".to_string(), 12)], false);
    let heights = bar_heights(&one);
    assert_eq!(heights.len(), 1, "{one}");
    assert!(heights[0] > 10, "a bar of one category has a height: {heights:?}");
    let three = bar_chart(&[("a".into(), 3), ("b".into(), 2), ("c".into(), 1)], false);
    let heights = bar_heights(&three);
    assert_eq!(heights.len(), 3);
    assert!(heights.iter().all(|h| *h > 10), "{heights:?}");
}
