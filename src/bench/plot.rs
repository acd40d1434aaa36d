//! `--plot FILE.svg`: throughput and parallel efficiency against worker
//! count, one line per queue capacity; opens in any browser.

use std::path::Path;

use plotters::prelude::*;

use super::BenchReport;

const COLOURS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];

/// Why the chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The plotting library refused (e.g. a degenerate axis).
    #[error("cannot draw the chart: {0}")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Writing the SVG file failed.
    #[error("{0}")]
    Write(#[from] std::io::Error),
}

/// Draws the chart into an SVG string.
pub fn svg(r: &BenchReport) -> Result<String, PlotError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 540)).into_drawing_area();
        draw(&root, r)?;
        root.present().map_err(|e| PlotError::Draw(e.into()))?;
    }
    Ok(out)
}

/// Draws the chart and writes it atomically to `path`.
pub fn write(path: &Path, r: &BenchReport) -> Result<(), PlotError> {
    let svg = svg(r)?;
    Ok(super::export::write(path, &svg)?)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, r: &BenchReport) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| PlotError::Draw(e.into());
    root.fill(&WHITE).map_err(err)?;
    let max_w = r.rows.iter().map(|x| x.workers).max().unwrap_or(1) as f64;
    let max_rate = r.rows.iter().map(|x| x.images_per_s).fold(0.0, f64::max).max(1e-9) * 1.15;
    let top_efficiency = r.rows.iter().filter_map(|x| x.efficiency).fold(1.0, f64::max);
    let max_efficiency = (100.0 * top_efficiency * 1.1).ceil();
    let caption = format!("imgbatch bench · {} · {:.0} MP per run", r.job, r.input_megapixels);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .right_y_label_area_size(64)
        .build_cartesian_2d(0.5f64..max_w + 0.5, 0f64..max_rate)
        .map_err(err)?
        // Efficiency above 100 % happens (noise, caches): the axis follows the data.
        .set_secondary_coord(0.5f64..max_w + 0.5, 0f64..max_efficiency);
    chart
        .configure_mesh()
        .x_desc("workers")
        .y_desc("images / s (solid)")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_labels((max_w as usize + 1).min(17))
        .x_label_formatter(&|x| if x.fract() == 0.0 { format!("{x:.0}") } else { String::new() })
        // Solid colours: some SVG renderers ignore stroke opacity.
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("parallel efficiency % (dashed)")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    let mut queues: Vec<usize> = r.rows.iter().map(|x| x.queue).collect();
    let per_queue = r.rows.iter().map(|x| (x.workers, x.queue)).any(|(w, q)| q != 2 * w);
    queues.sort_unstable();
    queues.dedup();
    // Without a --queue sweep every row has queue = 2 × workers: one line.
    let groups: Vec<Option<usize>> = if per_queue { queues.into_iter().map(Some).collect() } else { vec![None] };
    for (i, q) in groups.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let rows: Vec<_> = r.rows.iter().filter(|x| q.is_none_or(|q| x.queue == q)).collect();
        let label = q.map_or("queue 2 × workers".to_string(), |q| format!("queue {q}"));
        let rate: Vec<(f64, f64)> = rows.iter().map(|x| (x.workers as f64, x.images_per_s)).collect();
        chart
            .draw_series(LineSeries::new(rate.clone(), colour.stroke_width(3)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3)));
        chart.draw_series(rate.iter().map(|&p| Circle::new(p, 5, colour.filled()))).map_err(err)?;
        let eff: Vec<(f64, f64)> =
            rows.iter().filter_map(|x| x.efficiency.map(|e| (x.workers as f64, 100.0 * e))).collect();
        chart.draw_secondary_series(DashedLineSeries::new(eff.clone(), 8, 5, colour.stroke_width(2))).map_err(err)?;
        chart.draw_secondary_series(eff.iter().map(|&p| TriangleMarker::new(p, 6, colour.filled()))).map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_efficiency_axis_reaches_past_100_percent_when_the_data_does() {
        let mut r = crate::bench::export::tests_report();
        for row in &mut r.rows {
            row.efficiency = Some(1.4);
        }
        let svg = svg(&r).unwrap();
        // Axis labels are plain numbers in <text> elements: one at 140 or above.
        let labels: Vec<f64> =
            svg.split("<text").filter_map(|t| t.split('>').nth(1)?.split('<').next()?.trim().parse().ok()).collect();
        assert!(labels.iter().any(|&v| v >= 140.0), "{labels:?}");
    }
}
