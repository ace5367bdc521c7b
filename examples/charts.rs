//! Pictures of the insights report: five SVG charts of the quickstart's
//! customers and the months before them.
//!
//! The persons, profiles and purchases are those of `examples/insights.rs`
//! (both start from `support/sample.rs`); from them come
//!
//! - `match_waterfall.svg`: why two records of one person were linked, bar
//!   by bar from the prior to the final match weight;
//! - `clv_calibration.svg`: a BG/NBD model fitted on the purchases up to
//!   January, its expected purchases in February and March against those
//!   made, by January's frequency;
//! - `retention.svg`: retention of each monthly acquisition cohort;
//! - `nps_trend.svg`: NPS per month and market, with 95% intervals;
//! - `segment_sizes.svg`: customers per RFM segment.
//!
//! Run it with `cargo run --release --features charts --example charts [FOLDER]`;
//! the charts go to FOLDER (default `target/charts`).

// An example's job is to print what it did.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use custodia::chart::{
    clv_calibration, match_waterfall, nps_trend, retention_curves, segment_sizes, ChartParams,
};
use custodia::clv::{calibration_holdout, holdout_calibration, BgNbd, Fit, Period, Summaries};
use custodia::identity::{MatchExplanation, Matcher};
use custodia::insights::cohort::{cohorts, transaction_activity, Acquisition, CohortParams};
use custodia::insights::rfm;
use custodia::insights::survey::{survey_metrics, SurveyParams, SurveyRow};
use custodia::insights::Granularity;
use custodia::model::EventKind;

#[path = "support/sample.rs"]
mod sample;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/charts".to_owned()),
    );
    std::fs::create_dir_all(&folder)?;
    let write = |name: &str, svg: String| -> std::io::Result<()> {
        let path = folder.join(name);
        std::fs::write(&path, &svg)?;
        println!("  {} ({} bytes)", path.display(), svg.len());
        Ok(())
    };
    let as_of = sample::as_of();
    let pipeline = sample::pipeline()?;
    let profiles = sample::profiles(&pipeline, as_of)?;
    let purchases = sample::purchases_in_eur(
        &pipeline,
        profiles.keys().copied(),
        as_of,
        |person, code| {
            println!("  {person}: no rate for {code}, its purchases are left out");
        },
    )?;
    let params = ChartParams::default();
    println!("Writing charts to {}", folder.display());

    // 1. The link with the most comparisons that agree: the person with the
    //    most records, and the two of them the model weighs highest.
    let index = pipeline.index();
    let mut best = None;
    for person in pipeline.persons() {
        let members = pipeline.members(person)?;
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                if let (Some(ra), Some(rb)) = (index.record(a), index.record(b)) {
                    let why = pipeline.model().explain(ra, rb);
                    if best
                        .as_ref()
                        .is_none_or(|w: &MatchExplanation| why.weight > w.weight)
                    {
                        best = Some(why);
                    }
                }
            }
        }
    }
    if let Some(why) = best {
        write("match_waterfall.svg", match_waterfall(&why, &params)?)?;
    }

    // 2. CLV calibration: weekly summaries up to 31 January, a BG/NBD fitted
    //    on them, and its expected purchases over February and March
    //    against those made.
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("a valid date");
    let split = calibration_holdout(&purchases, Period::Week, day(1, 31), day(3, 31))?;
    let mut summaries = Summaries::new();
    for row in &split {
        summaries.push(*row.calibration());
    }
    let model = BgNbd::params().fit(&summaries)?;
    let bins = holdout_calibration(&model, &split, 4)?;
    write(
        "clv_calibration.svg",
        clv_calibration(
            &bins,
            &params
                .clone()
                .title("BG/NBD: purchases Feb-Mar 2026, expected and actual"),
        )?,
    )?;

    // 3. Retention of the monthly acquisition cohorts, as in the report.
    let report = cohorts(
        &transaction_activity(&purchases),
        Acquisition::FirstActivity,
        &CohortParams::default().granularity(Granularity::Month),
        as_of,
    )?;
    write("retention.svg", retention_curves(&report, &params)?)?;

    // 4. NPS per month and market, with intervals.
    let mut answers: Vec<SurveyRow<&str, &str>> = Vec::new();
    for profile in profiles.values() {
        let market = sample::market(profile)?;
        for merged in profile.events() {
            if let EventKind::Survey(answer) = merged.event().kind() {
                answers.push(SurveyRow::from_answer(
                    merged.event().at(),
                    answer,
                    "all",
                    market,
                ));
            }
        }
    }
    let monthly = SurveyParams::default().granularity(Granularity::Month);
    let by_market = survey_metrics(&answers, &monthly, as_of)?;
    let series: Vec<(&str, _)> = by_market
        .series()
        .iter()
        .map(|s| (s.group().copied().unwrap_or("?"), s))
        .collect();
    write("nps_trend.svg", nps_trend(&series, &params)?)?;

    // 5. Customers per RFM segment, as of 31 March, largest first.
    let last_day = as_of.date_naive().pred_opt().expect("a valid date");
    let values = rfm::values_from_transactions(&purchases, last_day)?;
    let population: Vec<_> = values.iter().map(|(_, v)| *v).collect();
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for score in rfm::score(&population)? {
        *sizes.entry(score.segment().to_string()).or_default() += 1;
    }
    let mut sizes: Vec<(String, u64)> = sizes.into_iter().collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    write(
        "segment_sizes.svg",
        segment_sizes(&sizes, &params.clone().title("Customers per RFM segment"))?,
    )?;
    Ok(())
}
