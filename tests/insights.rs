//! Survey metrics and cohorts through the public API.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::error::ErrorKind;
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
