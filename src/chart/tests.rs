use chrono::{Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::clv::{calibration_holdout, holdout_calibration, BgNbd, Transaction};
use crate::identity::{ComparisonExplanation, Field, MatchRule, ScoreContext};
use crate::insights::cohort::{cohorts, Acquisition, CohortParams};
use crate::insights::survey::{survey_metrics, Split, SurveyParams, SurveyRow};
use crate::model::{Nps, RecordId};

/// Checks that `svg` is one well-formed SVG element: it starts with
/// `<svg`, every tag is closed in order, text holds no raw `<` and no
/// control character; returns the text contents, in order.
fn texts_of(svg: &str) -> Vec<String> {
    assert!(
        svg.starts_with("<svg"),
        "starts with {:?}",
        &svg[..svg.len().min(40)]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(
        !svg.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
        "control character in the SVG"
    );
    let mut stack: Vec<&str> = Vec::new();
    let mut texts = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let content = &rest[..open];
        if stack.last() == Some(&"text") && !content.trim().is_empty() {
            texts.push(content.trim().to_owned());
        }
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a raw < inside tag {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "closing tag {name}");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            let name = tag.split_whitespace().next().expect("a tag name");
            stack.push(name);
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
    texts
}

/// The number of `<polyline` elements drawn in `color`.
fn lines_in(svg: &str, color: RGBColor) -> usize {
    let stroke = format!("stroke=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
    svg.split("<polyline")
        .skip(1)
        .filter(|tag| tag.split('>').next().is_some_and(|t| t.contains(&stroke)))
        .count()
}

fn comparison(field: Field, label: &str, weight: f64, tf: f64) -> ComparisonExplanation {
    ComparisonExplanation {
        field,
        level: 1,
        label: label.to_owned(),
        weight,
        tf_adjustment: tf,
    }
}

fn explanation(comparisons: Vec<ComparisonExplanation>, weight: f64) -> MatchExplanation {
    MatchExplanation {
        a: RecordId::new("crm-1").unwrap(),
        b: RecordId::new("web-2").unwrap(),
        prior_weight: -10.0,
        comparisons,
        rule: None,
        rule_weight: 0.0,
        weight,
        probability: 0.5,
        is_link: false,
        context: ScoreContext::General,
    }
}

#[test]
fn labels_are_cut_and_cleaned() {
    assert_eq!(label("vip"), "vip");
    assert_eq!(label("a\u{0}b\nc"), "a b c");
    let exact: String = "x".repeat(MAX_LABEL_CHARS);
    assert_eq!(label(&exact), exact);
    let long = "é".repeat(100_000);
    let cut = label(&long);
    assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
    assert!(cut.ends_with('…'));
}

#[test]
fn waterfall_walks_from_prior_to_total() {
    let why = explanation(
        vec![
            comparison(Field::Email, "exact", 14.0, 0.5),
            comparison(Field::BirthDate, "different", -4.0, 0.0),
        ],
        0.5,
    );
    let svg = match_waterfall(&why, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    for expected in [
        "prior",
        "email: exact",
        "birth_date: different",
        "total",
        "+14.5",
        "-4.0",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing from {texts:?}"
        );
    }
    assert!(!texts.iter().any(|t| t == "unexplained"));
    // Four bars: prior and total in blue, one gain, one loss.
    let count = |c: RGBColor| {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        svg.split("<rect")
            .skip(1)
            .filter(|t| t.split('>').next().is_some_and(|t| t.contains(&fill)))
            .count()
    };
    assert_eq!((count(NEUTRAL), count(GAIN), count(LOSS)), (2, 1, 1));
}

#[test]
fn waterfall_closes_a_gap_and_shows_the_rule() {
    let mut why = explanation(vec![comparison(Field::Phone, "exact", 5.0, 0.0)], 9.0);
    why.rule = Some(MatchRule::SamePhone);
    why.rule_weight = 12.0;
    // −10 + 5 + 12 = 7, but the total says 9: a gap of 2.
    let svg = match_waterfall(&why, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "rule: SamePhone"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "unexplained"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "+2.0"), "{texts:?}");
}

#[test]
fn waterfall_rejects_non_finite_weights() {
    for bad in [f64::NAN, f64::INFINITY] {
        let why = explanation(vec![comparison(Field::Email, "exact", bad, 0.0)], 1.0);
        let err = match_waterfall(&why, &ChartParams::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("email"), "{err}");
        let mut why = explanation(Vec::new(), 1.0);
        why.prior_weight = bad;
        assert_eq!(
            match_waterfall(&why, &ChartParams::default())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        let why = explanation(
            vec![comparison(Field::Email, "exact", f64::MAX, f64::MAX)],
            1.0,
        );
        assert_eq!(
            match_waterfall(&why, &ChartParams::default())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
    }
}

#[test]
fn waterfall_of_a_bare_pair_and_of_many_comparisons() {
    // No comparisons at all: prior and total only.
    let svg = match_waterfall(&explanation(Vec::new(), -10.0), &ChartParams::default()).unwrap();
    assert_eq!(
        texts_of(&svg)
            .iter()
            .filter(|t| *t == "prior" || *t == "total")
            .count(),
        2
    );
    // 10,000 comparisons with 100 KB labels: capped bars, short labels.
    let long = "x".repeat(100_000);
    let many: Vec<_> = (0..10_000)
        .map(|i| comparison(Field::Email, &long, f64::from(i % 7) - 3.0, 0.0))
        .collect();
    let total = -10.0 + many.iter().map(|c| c.weight).sum::<f64>();
    let svg = match_waterfall(&explanation(many, total), &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
    assert!(
        texts
            .iter()
            .all(|t| t.chars().count() <= 2 * MAX_LABEL_CHARS + 60),
        "a long text"
    );
    assert!(
        texts.iter().any(|t| t == "9965 other comparisons"),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t == "unexplained"),
        "the capped bars still add up"
    );
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(i64::from(d))
}

#[test]
fn calibration_draws_two_lines_over_the_bins() {
    // Ten customers buying every 3, 5, … days over 60 days; cut at day 40.
    let mut log = Vec::new();
    for c in 0..10u32 {
        let mut d = c;
        while d < 60 {
            log.push(Transaction::new(format!("c{c}"), day(d), 1.0).unwrap());
            d += 3 + 2 * c;
        }
    }
    let data = calibration_holdout(&log, crate::clv::Period::Day, day(40), day(59)).unwrap();
    let model = BgNbd::from_parameters(0.24, 4.41, 0.79, 2.43).unwrap();
    let bins = holdout_calibration(&model, &data, 5).unwrap();
    let svg = clv_calibration(&bins, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "expected (model)"));
    assert!(texts.iter().any(|t| t == "actual"));
    assert!(texts.iter().any(|t| t == "5+"), "the open bin: {texts:?}");
    // One line and one legend sample per series.
    assert_eq!(lines_in(&svg, PALETTE[0]), 2);
    assert_eq!(lines_in(&svg, PALETTE[1]), 2);
    assert_eq!(
        clv_calibration(&[], &ChartParams::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientData
    );
    // One bin is a chart too.
    assert!(clv_calibration(&bins[..1], &ChartParams::default()).is_ok());
}

fn at(days: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(days)
}

#[test]
fn retention_draws_one_curve_per_cohort() {
    // Monthly: a and b join in January, a comes back in February and March;
    // c joins in February.
    let activity = [
        ("a", at(0)),
        ("b", at(3)),
        ("a", at(33)),
        ("c", at(35)),
        ("a", at(65)),
    ];
    let report = cohorts(
        &activity,
        Acquisition::FirstActivity,
        &CohortParams::default(),
        at(100),
    )
    .unwrap();
    let svg = retention_curves(&report, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "2026-01 (2)"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "2026-02 (1)"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "months since acquisition"));
    assert_eq!(lines_in(&svg, PALETTE[0]), 2);
    assert_eq!(lines_in(&svg, PALETTE[1]), 2);
    assert_eq!(lines_in(&svg, PALETTE[2]), 0);

    // Nothing observed yet: no chart.
    let early = cohorts(
        &activity[..1],
        Acquisition::FirstActivity,
        &CohortParams::default(),
        at(1),
    )
    .unwrap();
    assert_eq!(
        retention_curves(&early, &ChartParams::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientData
    );
}

#[test]
fn retention_of_ten_thousand_cohorts_is_capped() {
    let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
    let activity: Vec<(&str, _)> = keys
        .iter()
        .enumerate()
        .flat_map(|(i, k)| [(k.as_str(), at(i as i64)), (k.as_str(), at(i as i64 + 1))])
        .collect();
    let params = CohortParams::default()
        .granularity(Granularity::Day)
        .horizon(3);
    let report = cohorts(&activity, Acquisition::FirstActivity, &params, at(10_010)).unwrap();
    assert_eq!(report.cohorts().len(), 10_000);
    let svg = retention_curves(&report, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("the 12 most recent of 10000 cohorts")),
        "{texts:?}"
    );
    let drawn: usize = PALETTE.iter().map(|&c| lines_in(&svg, c)).sum();
    assert_eq!(drawn, 2 * MAX_SERIES);
}

fn nps_rows(scores: &[(i64, i64, &'static str)]) -> Vec<SurveyRow<&'static str, &'static str>> {
    scores
        .iter()
        .map(|&(d, s, g)| SurveyRow::new(at(d), "email", g).nps(Nps::new(s).unwrap()))
        .collect()
}

#[test]
fn nps_trend_draws_series_and_intervals() {
    let rows = nps_rows(&[
        (0, 10, "eu"),
        (1, 3, "eu"),
        (2, 9, "eu"),
        (40, 9, "eu"),
        (41, 10, "eu"),
        (0, 2, "us"),
        (70, 8, "us"),
    ]);
    let report = survey_metrics(&rows, &SurveyParams::default(), at(100)).unwrap();
    let series: Vec<(String, _)> = report
        .series()
        .iter()
        .map(|s| (format!("market {}", s.group().copied().unwrap_or("?")), s))
        .collect();
    let svg = nps_trend(&series, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    for expected in ["market eu", "market us", "2026-01", "2026-02", "2026-03"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing: {texts:?}"
        );
    }
    // eu: a line, a legend sample and two intervals (January's three
    // answers and February's two); us: a line and a legend sample (single
    // answers have no interval).
    assert_eq!(lines_in(&svg, PALETTE[0]), 4);
    assert_eq!(lines_in(&svg, PALETTE[1]), 2);

    let none: [(&str, &SurveySeries<&str, &str>); 0] = [];
    assert_eq!(
        nps_trend(&none, &ChartParams::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientData
    );
    // A series with answers but no NPS.
    let csat_only =
        [SurveyRow::new(at(0), "email", "eu").csat(crate::model::Csat::new(5).unwrap())];
    let report = survey_metrics(&csat_only, &SurveyParams::default(), at(100)).unwrap();
    assert_eq!(
        nps_trend(&[("eu", &report.series()[0])], &ChartParams::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientData
    );
}

#[test]
fn nps_trend_caps_series_and_periods() {
    // 20 groups, 1,000 daily periods each.
    let groups: Vec<String> = (0..20).map(|g| format!("g{g}")).collect();
    let rows: Vec<SurveyRow<&str, &str>> = groups
        .iter()
        .flat_map(|g| {
            (0..1_000).map(move |d| {
                SurveyRow::new(at(d), "app", g.as_str()).nps(Nps::new(d % 11).unwrap())
            })
        })
        .collect();
    let params = SurveyParams::default()
        .granularity(Granularity::Day)
        .split(Split::Group);
    let report = survey_metrics(&rows, &params, at(2_000)).unwrap();
    let long = "n".repeat(100_000);
    let series: Vec<(&str, _)> = report.series().iter().map(|s| (long.as_str(), s)).collect();
    let svg = nps_trend(&series, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(svg.len() < 1_000_000, "{} bytes", svg.len());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("first 12 of 20 series, last 400 of 1000 periods")),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| t.chars().count() <= 120));
}

#[test]
fn segment_sizes_draws_one_bar_each() {
    let svg = segment_sizes(
        &[("champions", 3), ("a <b> & \"c\"", 5), ("lost", 0)],
        &ChartParams::default(),
    )
    .unwrap();
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "champions"));
    assert!(
        texts
            .iter()
            .any(|t| t == "a &lt;b&gt; &amp; &quot;c&quot;" || t == "a &lt;b&gt; &amp; \"c\""),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "5"));
    assert_eq!(
        segment_sizes::<&str>(&[], &ChartParams::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientData
    );
    // All empty segments still make a chart.
    assert!(segment_sizes(&[("a", 0), ("b", 0)], &ChartParams::default()).is_ok());
}

#[test]
fn segment_sizes_adds_up_past_the_cap() {
    let long = "s".repeat(100_000);
    let segments: Vec<(String, u64)> = (0..10_000).map(|i| (format!("{long}{i}"), 1)).collect();
    let svg = segment_sizes(&segments, &ChartParams::default()).unwrap();
    let texts = texts_of(&svg);
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
    let other = 10_000 - (MAX_BARS - 1);
    assert!(
        texts
            .iter()
            .any(|t| *t == format!("{other} other segments")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| *t == other.to_string()), "its count");
    // Counts near u64::MAX add up without overflow.
    let huge = vec![("x", u64::MAX); 100];
    assert!(segment_sizes(&huge, &ChartParams::default()).is_ok());
}

#[test]
fn sizes_are_checked() {
    for (w, h) in [(0, 480), (800, MIN_SIZE - 1), (MAX_SIZE + 1, 480)] {
        let params = ChartParams::default().size(w, h);
        assert_eq!(
            segment_sizes(&[("a", 1)], &params).unwrap_err().kind(),
            ErrorKind::InvalidParameter
        );
    }
    let small = ChartParams::default()
        .size(MIN_SIZE, MIN_SIZE)
        .title("t".repeat(1_000));
    let svg = segment_sizes(&[("a", 1)], &small).unwrap();
    texts_of(&svg);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn segment_sizes_never_panic(
        segments in prop::collection::vec((".{0,60}", any::<u64>()), 0..60),
        w in 150u32..900,
        h in 150u32..900,
    ) {
        let params = ChartParams::default().size(w, h);
        match segment_sizes(&segments, &params) {
            Ok(svg) => {
                let texts = texts_of(&svg);
                prop_assert!(!segments.is_empty());
                prop_assert!(texts.iter().all(|t| t.chars().count() <= 2 * MAX_LABEL_CHARS + 40));
            }
            Err(e) => prop_assert!(segments.is_empty() || w < MIN_SIZE || h < MIN_SIZE, "{}", e),
        }
    }

    #[test]
    fn waterfalls_never_panic(
        weights in prop::collection::vec(prop_oneof![
            -50.0f64..50.0,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(0.0),
        ], 0..60),
        total in -100.0f64..100.0,
    ) {
        let comparisons = weights.iter().map(|&w| comparison(Field::Email, "x", w, 0.0)).collect();
        let why = explanation(comparisons, total);
        match match_waterfall(&why, &ChartParams::default()) {
            Ok(svg) => {
                texts_of(&svg);
                prop_assert!(weights.iter().all(|w| w.is_finite()));
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                prop_assert!(weights.iter().any(|w| !w.is_finite()));
            }
        }
    }
}
