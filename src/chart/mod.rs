//! SVG charts of the crate's results: a link's match-weight waterfall, CLV
//! calibration, retention curves, NPS trend and segment sizes.
//!
//! Each function takes the crate's own result types and returns a
//! standalone SVG document as a `String`, drawn with
//! [plotters](https://docs.rs/plotters)' SVG backend. Text is written as
//! SVG `<text>` (the viewer's sans-serif font), so no font library is
//! involved, and the functions are pure: the same input gives the same
//! bytes. Write the string to a file, serve it, or embed it in HTML.
//!
//! | function | input | picture |
//! |---|---|---|
//! | [`match_waterfall`] | a [`MatchExplanation`] | bars from the prior through every comparison (and rule) to the final weight, in bits |
//! | [`clv_calibration`] | [`CalibrationBin`]s from [`holdout_calibration`](crate::clv::holdout_calibration) | expected and actual holdout purchases by calibration frequency |
//! | [`retention_curves`] | a [`CohortReport`] | one retention curve per acquisition cohort |
//! | [`nps_trend`] | named [`SurveySeries`] | NPS per period with its confidence interval, one line per series |
//! | [`segment_sizes`] | segment names and counts | one bar per segment |
//!
//! # Caps
//!
//! A chart stays readable and its size bounded whatever the input; what a
//! cap leaves out is said in the chart's title, never dropped silently:
//!
//! - at most [`MAX_BARS`] bars: the rest are added up into one last bar
//!   (waterfall: the smallest comparisons; segment sizes: the segments past
//!   the first `MAX_BARS − 1`, in the order given);
//! - at most [`MAX_SERIES`] lines (the most recent cohorts; the first
//!   series of an NPS trend) and [`MAX_POINTS`] points per line (the first
//!   offsets of a retention curve; the most recent periods of an NPS trend);
//! - labels are cut to [`MAX_LABEL_CHARS`] characters (titles to twice
//!   that), ending with `…`, and
//!   control characters, which XML cannot hold, become spaces.
//!
//! With these caps a chart is a few tens of kilobytes at most.
//!
//! # Errors
//!
//! No input makes a chart function panic. Empty input (nothing to draw) is
//! [`ErrorKind::InsufficientData`]; a value that is not a finite number is
//! [`ErrorKind::InvalidInput`]; a size outside
//! [`MIN_SIZE`]`..=`[`MAX_SIZE`] pixels is [`ErrorKind::InvalidParameter`].
//!
//! # Examples
//!
//! ```
//! use custodia::chart::{segment_sizes, ChartParams};
//!
//! let sizes = [("champions", 120), ("loyal", 340), ("at risk", 95)];
//! let svg = segment_sizes(&sizes, &ChartParams::default().title("Customers per RFM segment"))?;
//! assert!(svg.starts_with("<svg"));
//! assert!(svg.contains("Customers per RFM segment") && svg.contains("at risk"));
//! // std::fs::write("segments.svg", &svg)?;
//! # Ok::<(), custodia::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::clv::CalibrationBin;
use crate::error::{Error, ErrorKind, Result};
use crate::identity::MatchExplanation;
use crate::insights::cohort::CohortReport;
use crate::insights::survey::SurveySeries;
use crate::insights::{Granularity, Period};

/// The most bars a chart draws; more are added up into the last one.
pub const MAX_BARS: usize = 40;

/// The most lines (series) a chart draws.
pub const MAX_SERIES: usize = 12;

/// The most points a line has.
pub const MAX_POINTS: usize = 400;

/// The most characters of a label (bar or legend); longer ones are cut and
/// end with `…`. A title may be twice as long.
pub const MAX_LABEL_CHARS: usize = 48;

/// The smallest width or height of a chart, in pixels.
pub const MIN_SIZE: u32 = 200;

/// The largest width or height of a chart, in pixels.
pub const MAX_SIZE: u32 = 4_000;

/// Colours of bars and lines, in order (a colour-blind safe set).
const PALETTE: [RGBColor; MAX_SERIES] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(127, 60, 141),
    RGBColor(120, 94, 240),
    RGBColor(136, 204, 238),
    RGBColor(68, 170, 153),
    RGBColor(153, 153, 51),
];

/// Bars that add evidence for a match.
const GAIN: RGBColor = RGBColor(0, 158, 115);
/// Bars that take evidence away.
const LOSS: RGBColor = RGBColor(213, 94, 0);
/// The prior and the total.
const NEUTRAL: RGBColor = RGBColor(0, 114, 178);
/// Grid lines.
const GRID: RGBColor = RGBColor(225, 225, 225);

/// The font every text is written in; the viewer picks the face.
const FONT: &str = "sans-serif";

/// Size and title of a chart.
///
/// | option | default | meaning |
/// |---|---|---|
/// | `size` | 800 × 480 | width and height in pixels, each in [`MIN_SIZE`]`..=`[`MAX_SIZE`] |
/// | `title` | the chart's own | the caption above the chart (cut to twice [`MAX_LABEL_CHARS`]) |
///
/// Setters only record values; the chart functions check them.
///
/// # Examples
///
/// ```
/// use custodia::chart::{segment_sizes, ChartParams};
/// use custodia::error::ErrorKind;
///
/// let params = ChartParams::default().size(640, 400).title("Audience sizes");
/// assert!(segment_sizes(&[("vip", 12)], &params)?.contains(r#"width="640""#));
/// let tiny = ChartParams::default().size(10, 10);
/// assert_eq!(segment_sizes(&[("vip", 12)], &tiny).unwrap_err().kind(), ErrorKind::InvalidParameter);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartParams {
    width: u32,
    height: u32,
    title: Option<String>,
}

impl Default for ChartParams {
    fn default() -> ChartParams {
        ChartParams {
            width: 800,
            height: 480,
            title: None,
        }
    }
}

impl ChartParams {
    /// Sets the width and height in pixels.
    pub fn size(mut self, width: u32, height: u32) -> ChartParams {
        self.width = width;
        self.height = height;
        self
    }

    /// Sets the title, in place of the chart's own.
    pub fn title(mut self, title: impl Into<String>) -> ChartParams {
        self.title = Some(title.into());
        self
    }

    /// Returns the width and height in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn check(&self) -> Result<()> {
        for (name, value) in [("width", self.width), ("height", self.height)] {
            if !(MIN_SIZE..=MAX_SIZE).contains(&value) {
                return Err(Detail::Size { name, value }.into());
            }
        }
        Ok(())
    }

    /// The caption: the caller's title or `default`, with `note` (what a
    /// cap left out) after it.
    fn caption(&self, default: &str, note: Option<String>) -> String {
        let title = cut(
            self.title.as_deref().unwrap_or(default),
            2 * MAX_LABEL_CHARS,
        );
        match note {
            Some(note) => format!("{title} ({note})"),
            None => title,
        }
    }
}

/// Why a chart could not be drawn; its `Display` is the error message.
#[derive(Debug, Clone, PartialEq)]
enum Detail {
    /// A width or height outside `MIN_SIZE..=MAX_SIZE`.
    Size { name: &'static str, value: u32 },
    /// Nothing to draw.
    Empty { what: &'static str },
    /// A value that is NaN or infinite.
    NotFinite { what: String, value: f64 },
    /// plotters refused to draw (a layout that does not fit).
    Drawing { message: String },
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Size { name, value } => write!(
                f,
                "chart {name} {value} must be within {MIN_SIZE}..={MAX_SIZE} pixels"
            ),
            Detail::Empty { what } => write!(f, "nothing to draw: {what}"),
            Detail::NotFinite { what, value } => {
                write!(f, "{what} is {value}, not a finite number")
            }
            Detail::Drawing { message } => write!(f, "the chart could not be drawn: {message}"),
        }
    }
}

impl From<Detail> for Error {
    #[cold]
    fn from(d: Detail) -> Error {
        let kind = match d {
            Detail::Size { .. } | Detail::Drawing { .. } => ErrorKind::InvalidParameter,
            Detail::Empty { .. } => ErrorKind::InsufficientData,
            Detail::NotFinite { .. } => ErrorKind::InvalidInput,
        };
        Error::new(kind, d)
    }
}

/// Turns a plotters error into ours. Drawing into a `String` cannot fail
/// on I/O, so what remains is a layout that does not fit the size.
#[cold]
fn drawing<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Detail::Drawing {
        message: e.to_string(),
    }
    .into()
}

/// Checks that `value` is finite, naming it otherwise.
fn finite(what: impl FnOnce() -> String, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Detail::NotFinite {
            what: what(),
            value,
        }
        .into())
    }
}

/// A label fit for a chart: control characters (which XML 1.0 cannot hold,
/// even escaped) become spaces, and it is cut to `MAX_LABEL_CHARS`
/// characters. plotters escapes `<`, `>`, `&` and quotes itself.
fn label(text: &str) -> String {
    cut(text, MAX_LABEL_CHARS)
}

/// [`label`] with a cap of `max` characters (at least 1).
fn cut(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i + 1 == max && text.chars().nth(max).is_some() {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// An axis range around `values` and 0 (when `with_zero`), padded by 5 %
/// on each side, never empty.
fn padded_range(values: impl IntoIterator<Item = f64>, with_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = if with_zero {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, f64::NEG_INFINITY)
    };
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 1.0 };
    (lo - pad, hi + pad)
}

/// One horizontal bar: a label and the span it covers on the value axis.
struct Bar {
    label: String,
    from: f64,
    to: f64,
    color: RGBColor,
    /// Text written at the bar's end.
    value: String,
}

/// Draws horizontal bars, the first at the top, against a value axis named
/// `axis`.
fn bar_chart(bars: &[Bar], caption: &str, axis: &str, params: &ChartParams) -> Result<String> {
    let n = bars.len();
    let (lo, hi) = padded_range(bars.iter().flat_map(|b| [b.from, b.to]), true);
    // Room for the value written past each bar's end.
    let (lo, hi) = (lo - (hi - lo) * 0.08, hi + (hi - lo) * 0.08);
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_area = (longest as u32 * 7 + 16).clamp(40, params.width / 2);
    let rows = i32::try_from(n).unwrap_or(i32::MAX);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (params.width, params.height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(lo..hi, (0..rows - 1).into_segmented())
            .map_err(drawing)?;
        let name_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(rows - 1 - i)
                .ok()
                .and_then(|k| bars.get(k))
                .map_or_else(String::new, |b| b.label.clone()),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(GRID)
            .max_light_lines(2)
            .y_labels(n)
            .y_label_formatter(&name_of)
            .x_desc(axis)
            .label_style((FONT, 13))
            .draw()
            .map_err(drawing)?;
        // Bar k is drawn in row n − 1 − k, so the first bar is at the top.
        let row = |k: usize| rows - 1 - i32::try_from(k).unwrap_or(i32::MAX);
        chart
            .draw_series(bars.iter().enumerate().map(|(k, b)| {
                let (a, z) = if b.from <= b.to {
                    (b.from, b.to)
                } else {
                    (b.to, b.from)
                };
                let mut rect = Rectangle::new(
                    [
                        (a, SegmentValue::Exact(row(k))),
                        (z, SegmentValue::Exact(row(k) + 1)),
                    ],
                    b.color.filled(),
                );
                rect.set_margin(3, 3, 0, 0);
                rect
            }))
            .map_err(drawing)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, b)| {
                let end = b.from.max(b.to);
                Text::new(
                    b.value.clone(),
                    (end + (hi - lo) * 0.01, SegmentValue::CenterOf(row(k))),
                    (FONT, 12).into_font().color(&BLACK),
                )
            }))
            .map_err(drawing)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![
                    (0.0, SegmentValue::Exact(0)),
                    (0.0, SegmentValue::Exact(rows)),
                ],
                BLACK.stroke_width(1),
            )))
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Returns the match-weight waterfall of a scored pair: one bar for the
/// prior, one per comparison (its level weight plus its term-frequency
/// adjustment), one for the deterministic rule if one fired, and the total,
/// in bits.
///
/// Each comparison's bar starts where the previous one ended, so the bars
/// walk from the prior to the final weight; gains are green, losses orange,
/// the prior and the total blue. A bar is labelled `field: level`. The
/// title gives the weight, the match probability and whether the pair is a
/// link. If the parts do not add up to
/// [`weight`](MatchExplanation::weight) (an explanation built by hand), a
/// bar named `unexplained` closes the gap, so the picture never disagrees
/// with the total. With more than `MAX_BARS − 2` comparisons the smallest
/// (by size of weight) are added up into one bar. Linear in the
/// comparisons (plus sorting them when capped).
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when a weight is not finite;
/// [`ErrorKind::InvalidParameter`] for a bad size (see [`ChartParams`]).
///
/// # Examples
///
/// ```
/// use custodia::chart::{match_waterfall, ChartParams};
/// use custodia::identity::{Field, MatchExplanation, ComparisonExplanation, ScoreContext};
/// use custodia::model::RecordId;
///
/// let comparison = |field, label: &str, weight| ComparisonExplanation {
///     field, level: 1, label: label.to_owned(), weight, tf_adjustment: 0.0,
/// };
/// let why = MatchExplanation {
///     a: RecordId::new("crm-1")?,
///     b: RecordId::new("web-9")?,
///     prior_weight: -12.0,
///     comparisons: vec![
///         comparison(Field::Email, "exact", 14.5),
///         comparison(Field::GivenName, "jaro_winkler_0.92", 3.0),
///         comparison(Field::BirthDate, "different", -4.0),
///     ],
///     rule: None,
///     rule_weight: 0.0,
///     weight: 1.5,
///     probability: 0.74,
///     is_link: false,
///     context: ScoreContext::General,
/// };
/// let svg = match_waterfall(&why, &ChartParams::default())?;
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("prior") && svg.contains("email: exact") && svg.contains("total"));
/// assert!(!svg.contains("unexplained")); // −12 + 14.5 + 3 − 4 = 1.5
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn match_waterfall(explanation: &MatchExplanation, params: &ChartParams) -> Result<String> {
    params.check()?;
    let e = explanation;
    let prior = finite(|| "the prior weight".to_owned(), e.prior_weight)?;
    let weight = finite(|| "the total weight".to_owned(), e.weight)?;
    let mut steps: Vec<(String, f64)> = Vec::with_capacity(e.comparisons.len().min(MAX_BARS));
    for c in &e.comparisons {
        let name = || format!("the weight of comparison {}", c.field);
        let w = finite(name, c.weight)? + finite(name, c.tf_adjustment)?;
        finite(name, w)?;
        steps.push((format!("{}: {}", c.field, c.label), w));
    }
    // Prior, total, and possibly a rule and an unexplained bar.
    let room = MAX_BARS - 4;
    let mut note = None;
    if steps.len() > room {
        // Keep the `room − 1` largest, in their order, and add up the rest.
        let mut order: Vec<usize> = (0..steps.len()).collect();
        order.sort_by(|&a, &b| {
            steps[b]
                .1
                .abs()
                .total_cmp(&steps[a].1.abs())
                .then(a.cmp(&b))
        });
        let mut keep = vec![false; steps.len()];
        for &i in &order[..room - 1] {
            keep[i] = true;
        }
        let rest = steps.len() - (room - 1);
        let rest_weight: f64 = steps
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(s, _)| s.1)
            .sum();
        steps = steps
            .into_iter()
            .zip(keep)
            .filter_map(|(s, k)| k.then_some(s))
            .collect();
        steps.push((format!("{rest} other comparisons"), rest_weight));
        note = Some(format!("{rest} smallest comparisons added up"));
    }
    if let Some(rule) = e.rule {
        let w = finite(|| "the rule weight".to_owned(), e.rule_weight)?;
        steps.push((format!("rule: {rule:?}"), w));
    }
    let explained = prior + steps.iter().map(|s| s.1).sum::<f64>();
    let gap = finite(|| "the sum of the weights".to_owned(), weight - explained)?;
    if gap.abs() > 1e-9 * weight.abs().max(1.0) {
        steps.push(("unexplained".to_owned(), gap));
    }
    let mut bars = Vec::with_capacity(steps.len() + 2);
    bars.push(Bar {
        label: "prior".to_owned(),
        from: 0.0,
        to: prior,
        color: NEUTRAL,
        value: format!("{prior:+.1}"),
    });
    let mut at = prior;
    for (name, w) in steps {
        bars.push(Bar {
            label: label(&name),
            from: at,
            to: at + w,
            color: if w >= 0.0 { GAIN } else { LOSS },
            value: format!("{w:+.1}"),
        });
        at += w;
    }
    bars.push(Bar {
        label: "total".to_owned(),
        from: 0.0,
        to: weight,
        color: NEUTRAL,
        value: format!("{weight:.1}"),
    });
    let verdict = if e.is_link { "link" } else { "no link" };
    let default = format!(
        "{} ~ {}: {:.1} bits, p = {:.3}, {verdict}",
        e.a, e.b, weight, e.probability
    );
    let caption = params.caption(&default, note);
    bar_chart(&bars, &caption, "match weight (bits)", params)
}

/// Returns a chart of expected against actual holdout purchases by
/// calibration frequency: two lines over the bins of
/// [`holdout_calibration`](crate::clv::holdout_calibration).
///
/// A well-calibrated model's lines lie close together. The open last bin
/// is labelled `n+`. Linear in the bins (at most
/// [`MAX_CALIBRATION_FREQUENCY`](crate::clv::MAX_CALIBRATION_FREQUENCY)
/// `+ 1`; more than [`MAX_POINTS`] are drawn as the first `MAX_POINTS`, and
/// the title says so).
///
/// # Errors
///
/// [`ErrorKind::InsufficientData`] when `bins` is empty;
/// [`ErrorKind::InvalidInput`] when a mean is not finite;
/// [`ErrorKind::InvalidParameter`] for a bad size.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use custodia::chart::{clv_calibration, ChartParams};
/// use custodia::clv::{calibration_holdout, holdout_calibration, BgNbd, Period, Transaction};
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("valid date");
/// let log = [
///     Transaction::new("ann", d(1, 1), 10.0)?,
///     Transaction::new("ann", d(1, 20), 10.0)?,
///     Transaction::new("ann", d(2, 14), 10.0)?,
///     Transaction::new("bob", d(1, 8), 7.0)?,
/// ];
/// let data = calibration_holdout(&log, Period::Week, d(1, 31), d(2, 29))?;
/// let model = BgNbd::from_parameters(0.24, 4.41, 0.79, 2.43)?;
/// let bins = holdout_calibration(&model, &data, 7)?;
/// let svg = clv_calibration(&bins, &ChartParams::default())?;
/// assert!(svg.starts_with("<svg") && svg.contains("expected") && svg.contains("actual"));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn clv_calibration(bins: &[CalibrationBin], params: &ChartParams) -> Result<String> {
    params.check()?;
    if bins.is_empty() {
        return Err(Detail::Empty {
            what: "no calibration bins",
        }
        .into());
    }
    for b in bins {
        let f = b.frequency();
        finite(|| format!("the expected mean of bin {f}"), b.expected())?;
        finite(|| format!("the actual mean of bin {f}"), b.actual())?;
    }
    let shown = &bins[..bins.len().min(MAX_POINTS)];
    let note =
        (shown.len() < bins.len()).then(|| format!("first {} of {} bins", shown.len(), bins.len()));
    let caption = params.caption("Holdout purchases by calibration frequency", note);
    let names: Vec<String> = shown
        .iter()
        .map(|b| {
            if b.is_open() {
                format!("{}+", b.frequency())
            } else {
                b.frequency().to_string()
            }
        })
        .collect();
    let (_, hi) = padded_range(shown.iter().flat_map(|b| [b.expected(), b.actual()]), true);
    let columns = i32::try_from(shown.len()).unwrap_or(i32::MAX);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (params.width, params.height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((0..columns - 1).into_segmented(), 0.0..hi)
            .map_err(drawing)?;
        let name_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| names.get(i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .max_light_lines(2)
            .x_labels(shown.len().min(40))
            .x_label_formatter(&name_of)
            .x_desc("repeat purchases in the calibration window")
            .y_desc("mean purchases in the holdout window")
            .label_style((FONT, 13))
            .draw()
            .map_err(drawing)?;
        type Line = (&'static str, RGBColor, fn(&CalibrationBin) -> f64);
        let lines: [Line; 2] = [
            ("expected (model)", PALETTE[0], CalibrationBin::expected),
            ("actual", PALETTE[1], CalibrationBin::actual),
        ];
        for (name, color, value) in lines {
            let points: Vec<(SegmentValue<i32>, f64)> = shown
                .iter()
                .zip(0..)
                .map(|(b, i)| (SegmentValue::CenterOf(i), value(b)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(drawing)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, color.filled())),
                )
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Names a granularity's periods for an axis.
fn periods_name(g: Granularity) -> &'static str {
    match g {
        Granularity::Day => "days",
        Granularity::IsoWeek => "weeks",
        Granularity::Month => "months",
        Granularity::Quarter => "quarters",
    }
}

/// Returns one retention curve per acquisition cohort of `report`: the
/// share of the cohort active `k` periods after acquisition, in percent,
/// over the fully observed periods.
///
/// Each curve's legend names the cohort's period and size. At most
/// [`MAX_SERIES`] cohorts are drawn, the most recent, and each curve at most
/// [`MAX_POINTS`] offsets; the title says when cohorts were left out.
/// Linear in the cells drawn.
///
/// # Errors
///
/// [`ErrorKind::InsufficientData`] when the report has no cohort with an
/// observed period; [`ErrorKind::InvalidParameter`] for a bad size.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::chart::{retention_curves, ChartParams};
/// use custodia::insights::cohort::{cohorts, Acquisition, CohortParams};
///
/// let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
/// let activity = [("ana", t(1, 3)), ("bob", t(1, 9)), ("ana", t(2, 7)), ("cid", t(2, 8))];
/// let report = cohorts(&activity, Acquisition::FirstActivity, &CohortParams::default(), t(3, 1))?;
/// let svg = retention_curves(&report, &ChartParams::default())?;
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("2026-01 (2)") && svg.contains("2026-02 (1)"));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn retention_curves(report: &CohortReport, params: &ChartParams) -> Result<String> {
    params.check()?;
    let observed: Vec<_> = report
        .cohorts()
        .iter()
        .filter(|c| c.observed_periods() > 0)
        .collect();
    if observed.is_empty() {
        return Err(Detail::Empty {
            what: "no cohort has a fully observed period",
        }
        .into());
    }
    let shown = &observed[observed.len().saturating_sub(MAX_SERIES)..];
    let note = (shown.len() < observed.len()).then(|| {
        format!(
            "the {} most recent of {} cohorts",
            shown.len(),
            observed.len()
        )
    });
    let caption = params.caption("Retention by acquisition cohort", note);
    let longest = shown
        .iter()
        .map(|c| c.observed_periods().min(MAX_POINTS))
        .max()
        .unwrap_or(1);
    let x_max = (longest.saturating_sub(1)).max(1) as f64;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (params.width, params.height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.2..x_max + 0.2, 0.0..105.0)
            .map_err(drawing)?;
        let x_desc = format!("{} since acquisition", periods_name(report.granularity()));
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .max_light_lines(2)
            .x_labels(longest.clamp(2, 13))
            .x_label_formatter(&|x: &f64| {
                if x.fract().abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y: &f64| format!("{y:.0}%"))
            .x_desc(x_desc)
            .y_desc("customers active")
            .label_style((FONT, 13))
            .draw()
            .map_err(drawing)?;
        for (i, cohort) in shown.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points: Vec<(f64, f64)> = (0..cohort.observed_periods().min(MAX_POINTS))
                .filter_map(|k| cohort.retention(k).map(|r| (k as f64, 100.0 * r)))
                .collect();
            let name = format!("{} ({})", cohort.period(), cohort.size());
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(drawing)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Returns the NPS of each named series per period, with its confidence
/// interval as a vertical bar, on one shared time axis (−100 to 100).
///
/// Each entry of `series` is a legend name and a series of a
/// [`survey_metrics`](crate::insights::survey::survey_metrics) report (for
/// example `("all", &report.series()[0])`). Periods without NPS answers
/// are skipped; an open (incomplete) period is drawn like the others, and
/// its axis label ends in `*`. At most [`MAX_SERIES`] series (the first)
/// and the [`MAX_POINTS`] most recent periods are drawn; the title says when
/// some were left out. Linear in the periods, plus `p log p` to order the
/// `p` distinct periods.
///
/// # Errors
///
/// [`ErrorKind::InsufficientData`] when no series has an NPS estimate;
/// [`ErrorKind::InvalidParameter`] for a bad size.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::chart::{nps_trend, ChartParams};
/// use custodia::insights::survey::{survey_metrics, Split, SurveyParams, SurveyRow};
/// use custodia::model::Nps;
///
/// let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
/// let rows = [(t(1, 3), 10), (t(1, 9), 4), (t(2, 7), 9), (t(2, 8), 9)]
///     .iter()
///     .map(|&(at, score)| Ok(SurveyRow::new(at, "email", ()).nps(Nps::new(score)?)))
///     .collect::<custodia::Result<Vec<_>>>()?;
/// let report = survey_metrics(&rows, &SurveyParams::default().split(Split::Overall), t(3, 1))?;
/// let svg = nps_trend(&[("all answers", &report.series()[0])], &ChartParams::default())?;
/// assert!(svg.starts_with("<svg") && svg.contains("all answers") && svg.contains("2026-02"));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn nps_trend<L, S, G>(
    series: &[(L, &SurveySeries<S, G>)],
    params: &ChartParams,
) -> Result<String>
where
    L: AsRef<str>,
{
    params.check()?;
    let drawn = &series[..series.len().min(MAX_SERIES)];
    // The periods with an NPS estimate in any drawn series, the most recent
    // MAX_POINTS of them, each with whether it is complete everywhere.
    let mut periods: BTreeMap<Period, bool> = BTreeMap::new();
    for (_, s) in drawn {
        for m in s.periods() {
            if m.nps().is_some() {
                *periods.entry(m.period()).or_insert(true) &= m.is_complete();
            }
        }
    }
    if periods.is_empty() {
        return Err(Detail::Empty {
            what: "no series has an NPS estimate",
        }
        .into());
    }
    let all_periods = periods.len();
    let periods: Vec<(Period, bool)> = periods
        .into_iter()
        .skip(all_periods.saturating_sub(MAX_POINTS))
        .collect();
    let column: BTreeMap<Period, i32> = periods.iter().map(|p| p.0).zip(0..).collect();
    let mut notes = Vec::new();
    if drawn.len() < series.len() {
        notes.push(format!("first {} of {} series", drawn.len(), series.len()));
    }
    if periods.len() < all_periods {
        notes.push(format!("last {} of {} periods", periods.len(), all_periods));
    }
    let note = (!notes.is_empty()).then(|| notes.join(", "));
    let caption = params.caption("NPS by period, with confidence intervals", note);
    let names: Vec<String> = periods
        .iter()
        .map(|(p, complete)| {
            if *complete {
                p.to_string()
            } else {
                format!("{p}*")
            }
        })
        .collect();
    let columns = i32::try_from(periods.len()).unwrap_or(i32::MAX);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (params.width, params.height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((0..columns - 1).into_segmented(), -105.0..105.0)
            .map_err(drawing)?;
        let name_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| names.get(i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .max_light_lines(2)
            .x_labels(periods.len().min(24))
            .x_label_formatter(&name_of)
            .y_label_formatter(&|y: &f64| format!("{y:.0}"))
            .y_desc("NPS")
            .label_style((FONT, 13))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![
                    (SegmentValue::Exact(0), 0.0),
                    (SegmentValue::Exact(columns), 0.0),
                ],
                BLACK.stroke_width(1),
            )))
            .map_err(drawing)?;
        for (i, (name, s)) in drawn.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            // (column, value, interval) of each period drawn.
            let mut points = Vec::new();
            for m in s.periods() {
                let (Some(e), Some(&x)) = (m.nps(), column.get(&m.period())) else {
                    continue;
                };
                let bounds = e.interval().map(|iv| (iv.lower(), iv.upper()));
                points.push((x, e.value(), bounds));
            }
            let line: Vec<(SegmentValue<i32>, f64)> = points
                .iter()
                .map(|&(x, v, _)| (SegmentValue::CenterOf(x), v))
                .collect();
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(drawing)?
                .label(label(name.as_ref()))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(line.into_iter().map(|p| Circle::new(p, 4, color.filled())))
                .map_err(drawing)?;
            // Intervals as I-shaped bars, dodged sideways by series (in
            // pixels, within a fraction of the period's band) so that those
            // of one period do not hide each other.
            let band = chart.backend_coord(&(SegmentValue::Exact(1), 0.0)).0
                - chart.backend_coord(&(SegmentValue::Exact(0), 0.0)).0;
            let k = i32::try_from(drawn.len()).unwrap_or(1);
            let step = (band.abs() / (2 * k + 2)).min(5);
            let dodge = (2 * i32::try_from(i).unwrap_or(0) - (k - 1)) * step;
            for &(x, _, bounds) in &points {
                let Some((lo, hi)) = bounds else {
                    continue;
                };
                let at = |y: f64| {
                    chart.backend_coord(&(SegmentValue::CenterOf(x), y.clamp(-100.0, 100.0)))
                };
                let ((px, top), (_, bottom)) = (at(hi), at(lo));
                let px = px + dodge;
                let cap = step.clamp(1, 4);
                root.draw(&PathElement::new(
                    vec![
                        (px - cap, top),
                        (px + cap, top),
                        (px, top),
                        (px, bottom),
                        (px - cap, bottom),
                        (px + cap, bottom),
                    ],
                    color.mix(0.7).stroke_width(2),
                ))
                .map_err(drawing)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Returns one bar per segment, its length the segment's count, in the
/// order given, the first at the top.
///
/// Names are cut to [`MAX_LABEL_CHARS`]. With more than [`MAX_BARS`]
/// segments, the first `MAX_BARS − 1` are drawn and the rest added up into
/// a last bar, `N other segments`. Linear in the segments.
///
/// # Errors
///
/// [`ErrorKind::InsufficientData`] when `segments` is empty;
/// [`ErrorKind::InvalidParameter`] for a bad size.
///
/// # Examples
///
/// ```
/// use custodia::chart::{segment_sizes, ChartParams};
///
/// let svg = segment_sizes(&[("champions", 3), ("lost", 0)], &ChartParams::default())?;
/// assert!(svg.starts_with("<svg") && svg.contains("champions") && svg.contains("lost"));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn segment_sizes<L: AsRef<str>>(segments: &[(L, u64)], params: &ChartParams) -> Result<String> {
    params.check()?;
    if segments.is_empty() {
        return Err(Detail::Empty {
            what: "no segments",
        }
        .into());
    }
    let bar = |name: String, count: u64, i: usize| Bar {
        label: name,
        from: 0.0,
        to: count as f64,
        color: PALETTE[i % PALETTE.len()],
        value: count.to_string(),
    };
    let mut bars: Vec<Bar> = Vec::with_capacity(segments.len().min(MAX_BARS));
    let mut note = None;
    if segments.len() > MAX_BARS {
        let (head, tail) = segments.split_at(MAX_BARS - 1);
        bars.extend(
            head.iter()
                .enumerate()
                .map(|(i, (name, count))| bar(label(name.as_ref()), *count, i)),
        );
        let rest = tail.iter().fold(0u64, |sum, s| sum.saturating_add(s.1));
        bars.push(bar(
            format!("{} other segments", tail.len()),
            rest,
            MAX_BARS - 1,
        ));
        note = Some(format!("{} segments added up in the last bar", tail.len()));
    } else {
        bars.extend(
            segments
                .iter()
                .enumerate()
                .map(|(i, (name, count))| bar(label(name.as_ref()), *count, i)),
        );
    }
    let caption = params.caption("Segment sizes", note);
    bar_chart(&bars, &caption, "customers", params)
}

#[cfg(test)]
mod tests;
