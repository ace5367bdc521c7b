//! Survey metrics, cohorts and alerts through the public API.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::error::ErrorKind;
use custodia::insights::alert::{
    nps_alerts, segment_nps_alerts, segment_sentiment_alerts, sentiment_alerts, AlertParams, Reason,
};
use custodia::insights::cohort::{cohorts, Acquisition, CohortParams};
use custodia::insights::survey::{survey_metrics, Metric, Split, SurveyParams, SurveyRow};
use custodia::insights::Granularity;
use custodia::model::{Csat, EffortScore, Nps, SurveyAnswer};

fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

#[test]
fn survey_answers_from_the_model_feed_quarterly_metrics() {
    // Q1: NPS 10, 3 → 1 promoter, 1 detractor of 2 → 0; CSAT 5, 2 → 50%.
    // Q2: NPS 9, 9 → 100; CSAT 4, 4 → 100%. Change of CSAT: +50.
    let answer = |nps, csat| {
        SurveyAnswer::builder("pulse")
            .nps(Nps::new(nps).unwrap())
            .csat(Csat::new(csat).unwrap())
            .build()
            .unwrap()
    };
    let rows = [
        SurveyRow::from_answer(t(2026, 1, 5), &answer(10, 5), "app", "all"),
        SurveyRow::from_answer(t(2026, 3, 31), &answer(3, 2), "app", "all"),
        SurveyRow::from_answer(t(2026, 4, 1), &answer(9, 4), "web", "all"),
        SurveyRow::from_answer(t(2026, 6, 30), &answer(9, 4), "web", "all"),
    ];
    let params = SurveyParams::default().granularity(Granularity::Quarter);
    let report = survey_metrics(&rows, &params, t(2026, 7, 15)).unwrap();
    let s = &report.series()[0];
    let shown: Vec<_> = s.periods().iter().map(|m| m.period().to_string()).collect();
    assert_eq!(shown, ["2026-Q1", "2026-Q2"]);
    assert_eq!(s.periods()[0].nps().unwrap().value(), 0.0);
    assert_eq!(s.periods()[1].nps().unwrap().value(), 100.0);
    assert_eq!(s.periods()[0].csat().unwrap().value(), 50.0);
    assert!(s.periods().iter().all(|m| m.is_complete()));
    let change = s.latest_change(Metric::Csat).unwrap();
    assert_eq!(change.difference(), 50.0);
    assert_eq!(s.trend(Metric::Nps).unwrap().slope(), 100.0);
    let by_source = survey_metrics(&rows, &params.split(Split::Source), t(2026, 7, 15)).unwrap();
    assert_eq!(by_source.series().len(), 2);
}

#[test]
fn a_hundred_kilobytes_of_rows_are_analysed_in_one_call() {
    // 5,000 rows (over 100 KB of row data) spread over a year of days.
    let rows: Vec<SurveyRow<u8, u32>> = (0..5_000u32)
        .map(|i| {
            SurveyRow::new(
                t(2025, 1, 1) + Duration::hours(i64::from(i) * 7 / 4),
                (i % 3) as u8,
                i % 7,
            )
            .nps(Nps::new(i64::from(i % 11)).unwrap())
            .effort(EffortScore::new(i64::from(1 + i % 7)).unwrap())
            .csat(Csat::new(i64::from(1 + i % 5)).unwrap())
        })
        .collect();
    assert!(std::mem::size_of_val(rows.as_slice()) >= 100_000);
    let params = SurveyParams::default()
        .granularity(Granularity::Day)
        .split(Split::GroupAndSource);
    let report = survey_metrics(&rows, &params, t(2026, 1, 1)).unwrap();
    let total: u64 = report
        .series()
        .iter()
        .flat_map(|s| s.periods())
        .map(|m| m.rows())
        .sum();
    assert_eq!(total, 5_000);
    let activity: Vec<(u32, DateTime<Utc>)> = rows.iter().map(|r| (*r.group(), r.at())).collect();
    let params = CohortParams::default().granularity(Granularity::IsoWeek);
    let report = cohorts(
        &activity,
        Acquisition::FirstActivity,
        &params,
        t(2026, 1, 1),
    )
    .unwrap();
    assert_eq!(report.cohorts().iter().map(|c| c.size()).sum::<u64>(), 7);
}

#[test]
fn cohorts_never_count_the_open_period_as_churn() {
    // As of mid-February, January is the only complete month: a customer
    // acquired in January who has not yet come back in February is not lost.
    let rows = [("a", t(2026, 1, 10)), ("a", t(2026, 2, 14))];
    let report = cohorts(
        &rows,
        Acquisition::FirstActivity,
        &CohortParams::default(),
        t(2026, 2, 15),
    )
    .unwrap();
    assert_eq!(report.cohorts()[0].retention_curve(), [1.0]);
    assert_eq!(report.cohorts()[0].churn(), None);
    assert_eq!(report.rows_in_open_period(), 1);
}

#[test]
fn bad_parameters_are_typed_errors() {
    let rows = [SurveyRow::new(t(2026, 1, 1), 0, 0).nps(Nps::new(5).unwrap())];
    let err =
        survey_metrics(&rows, &SurveyParams::default().level(1.5), t(2026, 2, 1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_eq!(
        err.to_string(),
        "confidence level 1.5 must be strictly between 0 and 1"
    );
    let activity = [(1, t(1990, 1, 1))];
    let params = CohortParams::default()
        .granularity(Granularity::Day)
        .max_cells(1_000);
    let err = cohorts(
        &activity,
        Acquisition::FirstActivity,
        &params,
        t(2026, 1, 1),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[cfg(feature = "serde")]
#[test]
fn granularity_json_shape() {
    insta::assert_json_snapshot!(
        [Granularity::Day, Granularity::IsoWeek, Granularity::Month, Granularity::Quarter],
        @r#"
    [
      "day",
      "iso_week",
      "month",
      "quarter"
    ]
    "#
    );
}

#[test]
fn a_hundred_kilobytes_of_scores_raise_one_alert_per_customer_that_turned() {
    // 5,000 scores (over 100 KB of rows) of 50 customers over a year: each
    // customer's scores are positive, and the even customers' last two
    // are negative.
    let mut rows: Vec<(u32, DateTime<Utc>, f64)> = Vec::new();
    for i in 0..5_000u32 {
        let customer = i % 50;
        let at = t(2025, 1, 1) + Duration::hours(i64::from(i) * 7 / 4);
        let turned = customer % 2 == 0 && i >= 4_900;
        rows.push((customer, at, if turned { -0.6 } else { 0.4 }));
    }
    assert!(std::mem::size_of_val(rows.as_slice()) >= 100_000);
    let params = AlertParams::default();
    let alerts = sentiment_alerts(&rows, &params, t(2026, 1, 1)).unwrap();
    let who: Vec<u32> = alerts.iter().map(|a| *a.subject()).collect();
    assert_eq!(who, (0..50).step_by(2).collect::<Vec<u32>>());
    for a in &alerts {
        let Reason::SentimentDrop {
            earlier, recent, ..
        } = a.reason()
        else {
            panic!("{a:?}");
        };
        assert_eq!(earlier.scores().len(), 98);
        assert!((recent.mean() + 0.6).abs() < 1e-12);
        assert!((earlier.mean() - 0.4).abs() < 1e-12);
    }
    // Per segment (even and odd customers), by month: December's mean
    // falls in the even segment only, from 0.4 in November.
    let segments: Vec<(u32, DateTime<Utc>, f64)> =
        rows.iter().map(|&(c, at, s)| (c % 2, at, s)).collect();
    let december: Vec<f64> = segments
        .iter()
        .filter(|r| r.0 == 0 && r.1 >= t(2025, 12, 1) - Duration::hours(12))
        .map(|r| r.2)
        .collect();
    let expected = december.iter().sum::<f64>() / december.len() as f64 - 0.4;
    assert!(expected < -0.2);
    let params = params.sentiment_change(0.2);
    let moved = segment_sentiment_alerts(&segments, &params, t(2026, 1, 1)).unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(*moved[0].subject(), 0);
    let Reason::SegmentSentiment { difference, .. } = moved[0].reason() else {
        panic!("{:?}", moved[0]);
    };
    assert!(
        (difference - expected).abs() < 1e-9,
        "{difference} vs {expected}"
    );
}

#[test]
fn alerts_read_nps_answers_and_survey_reports() {
    let nine = Nps::new(9).unwrap();
    let three = Nps::new(3).unwrap();
    let answers = [
        ("ana", t(2026, 1, 5), nine),
        ("ana", t(2026, 2, 5), three),
        ("bob", t(2026, 1, 5), nine),
    ];
    let alerts = nps_alerts(&answers, &AlertParams::default(), t(2026, 3, 1)).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].since(), t(2026, 2, 5));

    let mut rows = Vec::new();
    for d in 1..=25 {
        rows.push(SurveyRow::new(t(2026, 1, d), "email", "gold").nps(nine));
        rows.push(SurveyRow::new(t(2026, 2, d), "email", "gold").nps(three));
    }
    let report = survey_metrics(&rows, &SurveyParams::default(), t(2026, 3, 1)).unwrap();
    let alerts = segment_nps_alerts(&report, &AlertParams::default()).unwrap();
    assert_eq!(alerts[0].subject(), &(Some("gold"), None));
    let Reason::SegmentNps { change, .. } = alerts[0].reason() else {
        panic!("{:?}", alerts[0]);
    };
    assert_eq!(change.difference(), -200.0);
}

#[test]
fn bad_alert_thresholds_are_typed_errors() {
    let rows: [(u8, DateTime<Utc>, f64); 0] = [];
    let err =
        sentiment_alerts(&rows, &AlertParams::default().recent(0), t(2026, 1, 1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_eq!(err.to_string(), "recent 0 must be at least 1");
}
