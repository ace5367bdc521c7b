//! CLV integration tests: reference values on CDNOW and the donations data
//! (copies in `testdata/clv/`), the CDNOW holdout, and property tests.

// Test helpers read fixed files that are part of the crate: a failing unwrap
// is a failing test.
#![allow(clippy::unwrap_used)]

use custodia::clv::{
    prediction_interval, roc_auc, BgBb, BgNbd, ChurnEstimator, Clv, ClvEstimator, DiscountRate,
    Fit, FitWarning, GammaGamma, MbgNbd, ParetoNbd, Periods, RfmSummary, Sbg, SbgCohort,
    SpendModel, Summaries, SummaryCsv, TransactionModel,
};
use custodia::error::ErrorKind;
use proptest::prelude::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/clv/");

/// Reads a CSV with a header into rows of named columns.
fn read_csv(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(format!("{DATA}{name}")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap()
}

fn cdnow(monetary: bool) -> Summaries {
    let file = if monetary {
        "cdnow_summary_monetary.csv"
    } else {
        "cdnow_summary.csv"
    };
    read_csv(file)
        .iter()
        .map(|r| {
            let s = RfmSummary::new(num(r, "frequency") as u32, num(r, "recency"), num(r, "T"))
                .unwrap();
            if monetary {
                s.with_monetary(num(r, "monetary_value")).unwrap()
            } else {
                s
            }
        })
        .collect()
}

fn donations() -> Summaries {
    let mut data = Summaries::new();
    for r in read_csv("donations_rf.csv") {
        let s = RfmSummary::new(
            num(&r, "frequency") as u32,
            num(&r, "recency"),
            num(&r, "periods"),
        )
        .unwrap();
        data.push_weighted(s, num(&r, "weights") as u64).unwrap();
    }
    data
}

/// Asserts `actual` rounds to `expected` at the expected value's last digit.
#[track_caller]
fn assert_digits(name: &str, actual: f64, expected: f64, decimals: i32) {
    let tol = 0.5 * 10f64.powi(-decimals) + 1e-12;
    assert!(
        (actual - expected).abs() <= tol,
        "{name}: {actual} is not {expected} to {decimals} decimals"
    );
}

#[test]
fn bg_nbd_on_cdnow_matches_the_reference() {
    let data = cdnow(false);
    let m = BgNbd::params().fit(&data).unwrap();
    assert_digits("r", m.r(), 0.2426, 4);
    assert_digits("alpha", m.alpha(), 4.4135, 4);
    assert_digits("a", m.a(), 0.7929, 4);
    assert_digits("b", m.b(), 2.4258, 4);
    assert!(
        (m.log_likelihood(&data) - -9582.426).abs() <= 0.01,
        "{}",
        m.log_likelihood(&data)
    );
    let report = m.report().unwrap();
    assert!((report.log_likelihood() - m.log_likelihood(&data)).abs() < 1e-6);
    assert_eq!(report.customers(), 2357.0);
    assert!(report.rows() < 2357, "identical summaries are grouped");
}

#[test]
fn mbg_nbd_on_cdnow_matches_the_reference() {
    let data = cdnow(false);
    let m = MbgNbd::params().fit(&data).unwrap();
    assert!(
        (m.log_likelihood(&data) - -9582.133).abs() <= 0.01,
        "{}",
        m.log_likelihood(&data)
    );
    assert_digits("r", m.r(), 0.5248, 3);
    assert_digits("alpha", m.alpha(), 6.183, 2);
    assert_digits("a", m.a(), 0.8914, 3);
    assert_digits("b", m.b(), 1.614, 2);
}

#[test]
fn pareto_nbd_on_cdnow_matches_the_reference() {
    let data = cdnow(false);
    let m = ParetoNbd::params().fit(&data).unwrap();
    assert!(
        (m.log_likelihood(&data) - -9594.974).abs() <= 0.01,
        "{}",
        m.log_likelihood(&data)
    );
    assert_digits("r", m.r(), 0.5533, 3);
    assert_digits("alpha", m.alpha(), 10.578, 2);
    assert_digits("s", m.s(), 0.6062, 3);
    assert_digits("beta", m.beta(), 11.667, 2);
}

#[test]
fn gamma_gamma_on_cdnow_repeaters_matches_the_reference() {
    let data = cdnow(true);
    let m = GammaGamma::params().fit(&data).unwrap();
    assert_digits("p", m.p(), 6.2488, 4);
    assert_digits("q", m.q(), 3.7446, 4);
    assert_digits("gamma", m.gamma(), 15.4477, 4);
    assert!(
        (m.log_likelihood(&data) - -4055.923).abs() <= 0.01,
        "{}",
        m.log_likelihood(&data)
    );
    assert_eq!(m.report().unwrap().customers(), 946.0);
}

#[test]
fn bg_bb_on_donations_matches_the_reference() {
    let data = donations();
    assert_eq!(data.customers(), 11_104);
    let m = BgBb::params().fit(&data).unwrap();
    assert_digits("alpha", m.alpha(), 1.2035, 4);
    assert_digits("beta", m.beta(), 0.7497, 4);
    assert_digits("gamma", m.gamma(), 0.6567, 4);
    assert_digits("delta", m.delta(), 2.7834, 4);
    assert!(
        (m.log_likelihood(&data) - -33225.581).abs() <= 0.01,
        "{}",
        m.log_likelihood(&data)
    );
}

struct Holdout {
    calibration: Vec<RfmSummary>,
    bought: Vec<bool>,
    actual: f64,
    duration: Periods,
}

fn cdnow_holdout() -> Holdout {
    let rows = read_csv("cdnow_cal_holdout.csv");
    let calibration = rows
        .iter()
        .map(|r| {
            RfmSummary::new(
                num(r, "frequency_cal") as u32,
                num(r, "recency_cal"),
                num(r, "T_cal"),
            )
            .unwrap()
        })
        .collect();
    let bought = rows
        .iter()
        .map(|r| num(r, "frequency_holdout") > 0.0)
        .collect();
    let actual = rows.iter().map(|r| num(r, "frequency_holdout")).sum();
    Holdout {
        calibration,
        bought,
        actual,
        duration: Periods::new(num(&rows[0], "duration_holdout")).unwrap(),
    }
}

/// Returns (expected total holdout purchases, AUC of P(buy within holdout), AUC of P(alive)).
fn holdout_figures(model: &dyn TransactionModel, h: &Holdout) -> (f64, f64, f64) {
    let expected: f64 = h
        .calibration
        .iter()
        .map(|s| model.conditional_expected_purchases(s, h.duration))
        .sum();
    let within: Vec<f64> = h
        .calibration
        .iter()
        .map(|s| model.probability_of_purchase_within(s, h.duration).value())
        .collect();
    let alive: Vec<f64> = h
        .calibration
        .iter()
        .map(|s| model.probability_alive(s).value())
        .collect();
    (
        expected,
        roc_auc(&within, &h.bought).unwrap(),
        roc_auc(&alive, &h.bought).unwrap(),
    )
}

#[test]
fn cdnow_holdout_expected_purchases_and_churn_auc() {
    let data = cdnow(false);
    let h = cdnow_holdout();
    assert_eq!(h.actual, 1882.0);
    assert_eq!(h.duration.value(), 39.0);
    // Reference expectations and churn-score AUCs (REFERENCE.md; the MBG/NBD
    // AUC has no published reference).
    let models: Vec<(Box<dyn TransactionModel>, f64, Option<f64>)> = vec![
        (
            Box::new(BgNbd::params().fit(&data).unwrap()),
            1653.4,
            Some(0.757),
        ),
        (Box::new(MbgNbd::params().fit(&data).unwrap()), 1576.7, None),
        (
            Box::new(ParetoNbd::params().fit(&data).unwrap()),
            1665.6,
            Some(0.771),
        ),
    ];
    for (model, reference, reference_auc) in &models {
        let (expected, within_auc, alive_auc) = holdout_figures(model.as_ref(), &h);
        println!(
            "{}: expected {expected:.1} (actual {}), AUC P(buy) {within_auc:.3}, AUC P(alive) {alive_auc:.3}",
            model.name(),
            h.actual
        );
        // Published to one decimal, from parameters published to four or five
        // significant digits (which move the Pareto/NBD total by about 0.05).
        assert!(
            (expected - reference).abs() < 0.1,
            "{}: expected {expected}",
            model.name()
        );
        if let Some(reference_auc) = reference_auc {
            // The published AUCs have three decimals.
            assert!(
                (within_auc - reference_auc).abs() < 0.0005,
                "{}: AUC {within_auc}",
                model.name()
            );
        }
        assert!(within_auc > alive_auc, "{}", model.name());
    }
    // The issue's target, AUC >= 0.757, is met by the Pareto/NBD churn score
    // (0.7712); the BG/NBD one is 0.75692, the reference's 0.757 to its three
    // published decimals.
    let (_, pareto_auc, _) = holdout_figures(models[2].0.as_ref(), &h);
    assert!(pareto_auc >= 0.757, "{pareto_auc}");
    // BG/NBD's P(alive) is exactly 1 for every one-time buyer, which ranks
    // worse than chance.
    let (_, _, bg_alive_auc) = holdout_figures(models[0].0.as_ref(), &h);
    assert!(bg_alive_auc < 0.5, "{bg_alive_auc}");
}

#[test]
fn clv_combines_purchases_spend_and_discounting() {
    let bg = BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258).unwrap();
    let gg = GammaGamma::from_parameters(6.2488, 3.7446, 15.4477).unwrap();
    let clv = Clv::new(bg.clone(), gg.clone());
    let c = RfmSummary::new(2, 30.43, 38.86)
        .unwrap()
        .with_monetary(22.35)
        .unwrap();
    let h = Periods::new(52.0).unwrap();
    let undiscounted = clv.clv(&c, h, DiscountRate::new(0.0).unwrap());
    let expected = bg.conditional_expected_purchases(&c, h) * gg.expected_average_spend(&c);
    assert!(
        (undiscounted - expected).abs() < 1e-9 * expected,
        "{undiscounted} vs {expected}"
    );
    let discounted = clv.clv(&c, h, DiscountRate::new(0.01).unwrap());
    assert!(discounted < undiscounted && discounted > 0.5 * undiscounted);
    // Churn is the complement of buying within the horizon.
    let churn = bg.churn_probability(&c, h).value();
    let buy = bg.probability_of_purchase_within(&c, h).value();
    assert!((churn + buy - 1.0).abs() < 1e-12);
}

#[test]
fn invalid_input_is_a_typed_error() {
    let kind = |r: custodia::Result<RfmSummary>| r.unwrap_err().kind();
    assert_eq!(kind(RfmSummary::new(1, 5.0, 4.0)), ErrorKind::InvalidInput);
    assert_eq!(kind(RfmSummary::new(1, -1.0, 4.0)), ErrorKind::InvalidInput);
    assert_eq!(
        kind(RfmSummary::new(1, f64::NAN, 4.0)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(RfmSummary::new(1, 1.0, f64::INFINITY)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(RfmSummary::new(1, 1.0, 4.0).unwrap().with_monetary(-3.0)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        RfmSummary::new(1, 5.0, 4.0).unwrap_err().to_string(),
        "recency 5 exceeds customer age 4"
    );
    let mut data = Summaries::new();
    assert_eq!(
        data.push_weighted(RfmSummary::new(0, 0.0, 1.0).unwrap(), 0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        BgNbd::from_parameters(-1.0, 1.0, 1.0, 1.0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        ParetoNbd::from_parameters(1.0, f64::NAN, 1.0, 1.0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        Periods::new(-1.0).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        DiscountRate::new(f64::NAN).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    // No repeat purchases cannot identify the model.
    data.push(RfmSummary::new(0, 0.0, 10.0).unwrap());
    assert_eq!(
        BgNbd::params().fit(&data).unwrap_err().kind(),
        ErrorKind::InsufficientData
    );
    assert_eq!(
        ParetoNbd::params().fit(&data).unwrap_err().kind(),
        ErrorKind::InsufficientData
    );
    // Bad settings.
    let err = BgNbd::params()
        .penalizer(-1.0)
        .fit(&cdnow(false))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    // BG/BB needs whole opportunities.
    let frac: Summaries = [RfmSummary::new(1, 1.5, 6.0).unwrap()]
        .into_iter()
        .collect();
    assert_eq!(
        BgBb::params().fit(&frac).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let too_many: Summaries = [RfmSummary::new(3, 2.0, 6.0).unwrap()]
        .into_iter()
        .collect();
    assert_eq!(
        BgBb::params().fit(&too_many).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Gamma-Gamma needs positive spend for repeat buyers.
    let zero: Summaries = [RfmSummary::new(3, 2.0, 6.0).unwrap()]
        .into_iter()
        .collect();
    assert_eq!(
        GammaGamma::params().fit(&zero).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
}

#[cfg(feature = "serde")]
#[test]
fn fitted_parameters_round_trip_through_json() {
    let m = BgNbd::params().fit(&cdnow(false)).unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.starts_with("{\"r\":"), "{json}");
    let back: BgNbd = serde_json::from_str(&json).unwrap();
    assert_eq!(back.parameters(), m.parameters());
    assert!(back.report().is_none());
    let bad = serde_json::from_str::<BgNbd>(r#"{"r":-1,"alpha":1,"a":1,"b":1}"#);
    assert!(bad.is_err());
    let p: ParetoNbd =
        serde_json::from_str(r#"{"r":0.55,"alpha":10.6,"s":0.61,"beta":11.7}"#).unwrap();
    assert_eq!(p.s(), 0.61);
    let g: GammaGamma = serde_json::from_str(r#"{"p":6.0,"q":3.0,"gamma":15.0}"#).unwrap();
    assert_eq!(g.q(), 3.0);
    let b: BgBb =
        serde_json::from_str(r#"{"alpha":1.2,"beta":0.75,"gamma":0.66,"delta":2.8}"#).unwrap();
    assert_eq!(b.delta(), 2.8);
    let t: custodia::clv::Transaction =
        serde_json::from_str(r#"{"customer":"c-1","at":"1997-01-01","amount":29.33}"#).unwrap();
    assert_eq!(t.amount(), 29.33);
    assert_eq!(
        serde_json::to_string(&Periods::new(39.0).unwrap()).unwrap(),
        "39.0"
    );
    assert!(serde_json::from_str::<Periods>("-1.0").is_err());
    assert!(serde_json::from_str::<custodia::clv::Probability>("1.5").is_err());
    assert_eq!(
        serde_json::from_str::<DiscountRate>("0.01")
            .unwrap()
            .value(),
        0.01
    );
    let s: RfmSummary = serde_json::from_str(r#"{"frequency":1,"recency":2.0,"age":3.0}"#).unwrap();
    assert_eq!(s.age(), 3.0);
    assert!(
        serde_json::from_str::<RfmSummary>(r#"{"frequency":1,"recency":4.0,"age":3.0}"#).is_err()
    );
}

#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<BgNbd>();
    check::<MbgNbd>();
    check::<ParetoNbd>();
    check::<BgBb>();
    check::<GammaGamma>();
    check::<Summaries>();
    check::<RfmSummary>();
    check::<Clv<BgNbd, GammaGamma>>();
    check::<Box<dyn TransactionModel>>();
}

fn models(p: [f64; 4]) -> Vec<Box<dyn TransactionModel>> {
    vec![
        Box::new(BgNbd::from_parameters(p[0], p[1], p[2], p[3]).unwrap()),
        Box::new(MbgNbd::from_parameters(p[0], p[1], p[2], p[3]).unwrap()),
        Box::new(ParetoNbd::from_parameters(p[0], p[1], p[2], p[3]).unwrap()),
        Box::new(BgBb::from_parameters(p[0], p[1], p[2], p[3]).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random valid summaries and parameters give finite predictions and
    /// probabilities in 0..=1.
    #[test]
    fn predictions_are_finite(
        logs in prop::array::uniform4(-3.0f64..4.0),
        x in 0u32..200,
        recency_share in 0.0f64..=1.0,
        age in 0.0f64..500.0,
        horizon in 0.0f64..200.0,
        n in 0u32..30,
    ) {
        let p = logs.map(f64::exp);
        let recency = if x == 0 { 0.0 } else { recency_share * age };
        let s = RfmSummary::new(x, recency, age).unwrap();
        let t = Periods::new(horizon).unwrap();
        for m in models(p) {
            let ll = m.customer_log_likelihood(&s);
            prop_assert!(!ll.is_nan() && ll < f64::INFINITY, "{} ll {ll} {p:?}", m.name());
            let e = m.conditional_expected_purchases(&s, t);
            prop_assert!(e.is_finite() && e >= 0.0, "{} conditional {e} {p:?}", m.name());
            let alive = m.probability_alive(&s).value();
            prop_assert!((0.0..=1.0).contains(&alive));
            let within = m.probability_of_purchase_within(&s, t).value();
            prop_assert!((0.0..=1.0).contains(&within));
            let pn = m.probability_of_purchases(n, t).value();
            prop_assert!((0.0..=1.0).contains(&pn));
            let e0 = m.expected_purchases(t);
            prop_assert!(e0.is_finite() && e0 >= 0.0, "{} expected {e0} {p:?}", m.name());
        }
    }

    /// Expected purchases grow with the horizon.
    #[test]
    fn expectations_grow_with_the_horizon(
        logs in prop::array::uniform4(-2.0f64..3.0),
        x in 0u32..50,
        age in 1.0f64..100.0,
        h in 0.0f64..100.0,
    ) {
        let p = logs.map(f64::exp);
        let s = RfmSummary::new(x, if x == 0 { 0.0 } else { age / 2.0 }, age).unwrap();
        for m in models(p) {
            let a = m.conditional_expected_purchases(&s, Periods::new(h).unwrap());
            let b = m.conditional_expected_purchases(&s, Periods::new(h + 5.0).unwrap());
            prop_assert!(b >= a - 1e-9 * (1.0 + a), "{}: {a} then {b}", m.name());
        }
    }

    /// Arbitrary numbers either make a summary or a typed invalid-input error.
    #[test]
    fn summaries_never_panic(x in any::<u32>(), r in any::<f64>(), t in any::<f64>(), m in any::<f64>()) {
        match RfmSummary::new(x, r, t).and_then(|s| s.with_monetary(m)) {
            Ok(s) => prop_assert!(s.recency() <= s.age() && s.monetary() >= 0.0),
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Fitting on small random data returns a model or a typed error, never panics.
    #[test]
    fn fitting_random_data_never_panics(rows in prop::collection::vec((0u32..8, 0.0f64..=1.0, 1.0f64..40.0, 1.0f64..50.0), 1..30)) {
        let data: Summaries = rows
            .iter()
            .map(|&(x, share, t, m)| {
                let r = if x == 0 { 0.0 } else { share * t };
                RfmSummary::new(x, r, t).unwrap().with_monetary(if x == 0 { 0.0 } else { m }).unwrap()
            })
            .collect();
        let _ = BgNbd::params().fit(&data);
        let _ = MbgNbd::params().fit(&data);
        let _ = ParetoNbd::params().max_iterations(30).fit(&data);
        let _ = GammaGamma::params().fit(&data);
    }
}

#[test]
fn summaries_from_the_cdnow_event_log_match_the_published_ones() {
    use chrono::NaiveDate;
    use custodia::clv::{calibration_holdout, summarize, Period, Transaction};
    let log: Vec<Transaction> = read_csv("cdnow_sample_elog.csv")
        .iter()
        .map(|r| {
            let date = NaiveDate::parse_from_str(&r["date"], "%Y-%m-%d").unwrap();
            Transaction::new(r["id"].clone(), date, num(r, "sales")).unwrap()
        })
        .collect();
    let cal_end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let obs_end = NaiveDate::from_ymd_opt(1998, 6, 30).unwrap();
    let expected: std::collections::HashMap<String, (f64, f64, f64, f64)> =
        read_csv("cdnow_cal_holdout.csv")
            .iter()
            .map(|r| {
                (
                    r["id"].clone(),
                    (
                        num(r, "frequency_cal"),
                        num(r, "recency_cal"),
                        num(r, "T_cal"),
                        num(r, "frequency_holdout"),
                    ),
                )
            })
            .collect();
    // Calibration summaries in days: same-day records merge, recency and age
    // in weeks are days / 7.
    let summaries = summarize(&log, Period::Day, cal_end).unwrap();
    assert_eq!(summaries.len(), 2357);
    for c in &summaries {
        let (f, r, t, _) = expected[c.customer()];
        let s = c.summary();
        assert_eq!(f64::from(s.frequency()), f, "customer {}", c.customer());
        assert!(
            (s.recency() / 7.0 - r).abs() < 1e-6,
            "customer {}",
            c.customer()
        );
        assert!(
            (s.age() / 7.0 - t).abs() < 1e-6,
            "customer {}",
            c.customer()
        );
    }
    let total: u64 = summaries
        .iter()
        .map(|c| u64::from(c.summary().frequency()))
        .sum();
    assert_eq!(total, 2457);
    // The holdout split counts 1882 repeat purchases.
    let split = calibration_holdout(&log, Period::Day, cal_end, obs_end).unwrap();
    assert_eq!(split.len(), 2357);
    let holdout: u64 = split.iter().map(|c| u64::from(c.holdout_frequency())).sum();
    assert_eq!(holdout, 1882);
    for c in &split {
        assert_eq!(f64::from(c.holdout_frequency()), expected[c.customer()].3);
        assert_eq!(c.holdout_duration(), 273.0);
    }
    // Weekly periods merge purchases in the same week: never more repeats.
    let weekly = summarize(&log, Period::Week, cal_end).unwrap();
    let weekly_total: u64 = weekly
        .iter()
        .map(|c| u64::from(c.summary().frequency()))
        .sum();
    assert!(weekly_total < total);
}

#[cfg(feature = "serde")]
#[test]
fn json_shapes_are_frozen() {
    let m = BgBb::from_parameters(1.5, 0.75, 0.5, 2.0).unwrap();
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"alpha":1.5,"beta":0.75,"gamma":0.5,"delta":2.0}"#
    );
    let g = GammaGamma::from_parameters(6.0, 3.5, 15.0).unwrap();
    assert_eq!(
        serde_json::to_string(&g).unwrap(),
        r#"{"p":6.0,"q":3.5,"gamma":15.0}"#
    );
    let s = RfmSummary::new(2, 30.5, 38.5)
        .unwrap()
        .with_monetary(22.25)
        .unwrap();
    assert_eq!(
        serde_json::to_string(&s).unwrap(),
        r#"{"frequency":2,"recency":30.5,"age":38.5,"monetary":22.25}"#
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Gamma-Gamma spend and its likelihood stay finite on valid data with a finite mean (q > 1).
    #[test]
    fn spend_is_finite(
        p in 0.05f64..50.0,
        q in 1.01f64..50.0,
        gamma in 0.01f64..1000.0,
        x in 0u32..500,
        m in 0.01f64..1e6,
    ) {
        let g = GammaGamma::from_parameters(p, q, gamma).unwrap();
        let s = RfmSummary::new(x, if x == 0 { 0.0 } else { 1.0 }, 2.0).unwrap()
            .with_monetary(if x == 0 { 0.0 } else { m }).unwrap();
        let spend = g.expected_average_spend(&s);
        prop_assert!(spend.is_finite() && spend > 0.0, "{spend}");
        let data: Summaries = [s].into_iter().collect();
        let ll = g.log_likelihood(&data);
        prop_assert!(ll.is_finite(), "{ll}");
    }
}

/// Asserts that `actual` is within `rel` of `expected`, relatively.
fn assert_close(what: &str, actual: f64, expected: f64, rel: f64) {
    assert!(
        actual.is_finite() && (actual - expected).abs() <= rel * expected.abs().max(1e-300),
        "{what}: {actual} vs {expected} (relative tolerance {rel})"
    );
}

/// Issue #13: `a = 1` is a removable singularity of the BG/NBD and MBG/NBD
/// expectations; it used to recurse without end there. With `r = b = 1` the
/// limits have closed forms: BG/NBD `E[X(t)] = ln(1 + t/α)` and, for a
/// customer without repeat purchases, `ln((α+T+t)/(α+T))`; MBG/NBD
/// `E[X(t)] = (α+t)/t · ln(1 + t/α) − 1` and, with `z = t/(α+T+t)`,
/// `α/(2α+T) · 2(−ln(1−z)/z − 1)`.
#[test]
fn expectations_are_continuous_through_a_equal_one() {
    let (alpha, age, t) = (4.0, 30.0, 39.0);
    let fresh = RfmSummary::new(0, 0.0, age).unwrap();
    let horizon = Periods::new(t).unwrap();
    let z: f64 = t / (alpha + age + t);
    let bg_expected = (t / alpha).ln_1p();
    let bg_conditional = (t / (alpha + age)).ln_1p();
    let mbg_expected = (alpha + t) / t * (t / alpha).ln_1p() - 1.0;
    let mbg_conditional = alpha / (2.0 * alpha + age) * 2.0 * (-(-z).ln_1p() / z - 1.0);
    for a in [1.0, 1.0 + 1e-7, 1.0 - 1e-7, 1.0 + 1e-3, 1.0 - 1e-3] {
        // Within 1e-3 of a = 1 the expectations move by about 1e-3 relative.
        let tol = if (a - 1.0f64).abs() > 1e-6 {
            2e-3
        } else {
            1e-6
        };
        let bg = BgNbd::from_parameters(1.0, alpha, a, 1.0).unwrap();
        assert_close(
            "bg expected",
            bg.expected_purchases(horizon),
            bg_expected,
            tol,
        );
        assert_close(
            "bg conditional",
            bg.conditional_expected_purchases(&fresh, horizon),
            bg_conditional,
            tol,
        );
        let mbg = MbgNbd::from_parameters(1.0, alpha, a, 1.0).unwrap();
        assert_close(
            "mbg expected",
            mbg.expected_purchases(horizon),
            mbg_expected,
            tol,
        );
        assert_close(
            "mbg conditional",
            mbg.conditional_expected_purchases(&fresh, horizon),
            mbg_conditional,
            tol,
        );
    }
    // A repeat buyer under CDNOW-like parameters: the values either side of
    // a = 1 and at it agree closely, and match the general formula's
    // Richardson extrapolation from a = 1 ± 0.01 and 1 ± 0.02.
    let buyer = RfmSummary::new(5, 30.0, 38.0).unwrap();
    for family in 0..2 {
        let model = |a: f64| -> Box<dyn TransactionModel> {
            if family == 0 {
                Box::new(BgNbd::from_parameters(0.2426, 4.4135, a, 2.4258).unwrap())
            } else {
                Box::new(MbgNbd::from_parameters(0.2426, 4.4135, a, 2.4258).unwrap())
            }
        };
        let cond = |a: f64| model(a).conditional_expected_purchases(&buyer, horizon);
        let uncond = |a: f64| model(a).expected_purchases(horizon);
        for f in [&cond as &dyn Fn(f64) -> f64, &uncond] {
            let mid = |h: f64| 0.5 * (f(1.0 - h) + f(1.0 + h));
            let reference = (4.0 * mid(0.01) - mid(0.02)) / 3.0;
            assert_close("at a = 1", f(1.0), reference, 1e-6);
            for a in [1.0 + 1e-7, 1.0 - 1e-7] {
                assert_close("a = 1 ± 1e-7", f(a), f(1.0), 1e-6);
            }
            for a in [1.0 + 1e-3, 1.0 - 1e-3] {
                assert_close("a = 1 ± 1e-3", f(a), f(1.0), 5e-3);
            }
        }
    }
}

/// Issue #13: three purchases of 1e308 used to give an infinite monetary
/// mean; two on the same day cannot be merged into a finite amount and are
/// a typed error naming the customer.
#[test]
fn huge_amounts_give_finite_summaries_or_typed_errors() {
    use chrono::NaiveDate;
    use custodia::clv::{calibration_holdout, summarize, Period, Transaction};
    let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
    let log: Vec<Transaction> = (1..=3)
        .map(|day| Transaction::new("big", d(day), 1e308).unwrap())
        .chain((1..=3).map(|day| {
            Transaction::new("mixed", d(day), if day == 1 { -1e308 } else { 1.7e308 }).unwrap()
        }))
        .collect();
    let out = summarize(&log, Period::Day, d(10)).unwrap();
    assert_eq!(out[0].customer(), "big");
    assert_eq!(out[0].summary().monetary(), 1e308);
    assert_eq!(out[1].summary().monetary(), 1.7e308);
    let split = calibration_holdout(&log, Period::Day, d(1), d(10)).unwrap();
    assert!(split.iter().all(|c| c.holdout_monetary().is_finite()));
    assert_eq!(split[0].holdout_monetary(), 1e308);
    // Found by the CLV campaign: the fallback's sum of amount / count
    // rounded past f64::MAX for some counts.
    for repeats in 2..=12u32 {
        let log: Vec<Transaction> = (1..=repeats + 1)
            .map(|day| Transaction::new("max", d(day), f64::MAX).unwrap())
            .collect();
        let out = summarize(&log, Period::Day, d(20)).unwrap();
        assert_eq!(out[0].summary().monetary(), f64::MAX, "{repeats} repeats");
    }
    let same_day = [
        Transaction::new("twice", d(1), 1e308).unwrap(),
        Transaction::new("twice", d(1), 1e308).unwrap(),
    ];
    let err = summarize(&same_day, Period::Day, d(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("\"twice\""), "{err}");
    let err = calibration_holdout(&same_day, Period::Day, d(1), d(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// Issue #13: the BG/BB likelihood and predictions summed one term per
/// opportunity, so 1e7 opportunities took minutes and a horizon of 1e15
/// never finished. The work is now bounded whatever the count.
#[test]
fn pareto_nbd_likelihood_stays_finite_when_one_scale_dwarfs_the_other() {
    // Found by the CLV campaign: with α = 2.6e-50 beside β = 1, z = (β − α)/β
    // rounded to 1 and ln(1 − z) to −∞, so the log-likelihood was +∞.
    let m =
        ParetoNbd::from_parameters(3.7073347021875485, 2.5835690394012604e-50, 1.0, 1.0).unwrap();
    for (x, t_x, age) in [(0, 0.0, 1e308), (0, 0.0, 10.0), (2, 3.0, 10.0)] {
        let ll = m.customer_log_likelihood(&RfmSummary::new(x, t_x, age).unwrap());
        assert!(ll.is_finite() && ll <= 1e-9, "{x} {t_x} {age}: {ll}");
    }
}

#[test]
fn bg_bb_likelihood_stays_finite_next_to_the_largest_age() {
    // Found by the prediction fuzzer: the tail integral read its terms a
    // rounding step past the last opportunity, where the Beta arguments
    // overflowed to infinity and the likelihood became NaN.
    let m = BgBb::from_parameters(1.0, 1.0, 1.0, 1.0).unwrap();
    for recency in [6.040560589179654e307, 6.0e307, 1e308, 1.79e308] {
        let s = RfmSummary::new(1, recency, f64::MAX).unwrap();
        let ll = m.customer_log_likelihood(&s);
        assert!(ll.is_finite() && ll < 0.0, "recency {recency:e}: {ll}");
    }
}

#[test]
fn bg_bb_work_does_not_grow_with_opportunities() {
    let start = std::time::Instant::now();
    let mut data = Summaries::new();
    for (x, t_x, n, w) in [
        (0, 0.0, 1e7, 50),
        (3, 40.0, 1e7, 20),
        (5, 5e6, 1e7, 10),
        (20, 9e6, 1e7, 5),
        (2, 2.0, 6.0, 30),
        (6, 6.0, 6.0, 30),
    ] {
        data.push_weighted(RfmSummary::new(x, t_x, n).unwrap(), w)
            .unwrap();
    }
    match BgBb::params().fit(&data) {
        Ok(m) => assert!(m.report().unwrap().log_likelihood().is_finite()),
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::NotConverged | ErrorKind::InsufficientData
            ),
            "{e}"
        ),
    }
    let m = BgBb::from_parameters(1.2035, 0.7497, 0.6567, 2.7834).unwrap();
    let c = RfmSummary::new(4, 1e6, 1e7).unwrap();
    for h in [1e7, 1e15, 1e308] {
        let h = Periods::new(h).unwrap();
        let e = m.expected_purchases(h);
        let ce = m.conditional_expected_purchases(&c, h);
        assert!(
            e.is_finite() && e > 0.0 && ce.is_finite() && ce >= 0.0,
            "{e} {ce}"
        );
        let p = m.probability_of_purchases(3, h).value();
        assert!((0.0..=1.0).contains(&p));
    }
    assert!(m
        .customer_log_likelihood(&RfmSummary::new(4, 1.0, 1e308).unwrap())
        .is_finite());
    // A generous guard against per-opportunity work in a debug build.
    assert!(start.elapsed().as_secs() < 120, "{:?}", start.elapsed());
}

/// The bounded sums agree with term-by-term sums where those are cheap:
/// probabilities of 0..=n purchases over 2,000 opportunities still add up
/// to 1 and their mean is the expected number of purchases.
#[test]
fn bg_bb_long_horizons_stay_consistent() {
    let m = BgBb::from_parameters(1.2035, 0.7497, 0.6567, 2.7834).unwrap();
    let n = Periods::new(2000.0).unwrap();
    let ps: Vec<f64> = (0..=2000)
        .map(|x| m.probability_of_purchases(x, n).value())
        .collect();
    let total: f64 = ps.iter().sum();
    let mean: f64 = ps.iter().enumerate().map(|(x, p)| x as f64 * p).sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    let e = m.expected_purchases(n);
    assert!((mean - e).abs() < 1e-6 * e, "{mean} vs {e}");
}

/// Issue #13: horizons far beyond the customer's age made `z = t/(α+T+t)`
/// round to 1, outside the hypergeometric series' domain (a debug-build
/// panic). The expectations stay finite, non-negative and non-decreasing.
#[test]
fn bg_nbd_expectations_take_enormous_horizons() {
    let c = RfmSummary::new(5, 30.0, 38.0).unwrap();
    for m in [
        Box::new(BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258).unwrap())
            as Box<dyn TransactionModel>,
        Box::new(MbgNbd::from_parameters(0.5248, 6.183, 0.8914, 1.614).unwrap()),
        Box::new(BgNbd::from_parameters(0.2426, 4.4135, 1.0, 2.4258).unwrap()),
    ] {
        let mut last = 0.0;
        for h in [39.0, 1e6, 1e13, 1e17, 1e100, f64::MAX] {
            let h = Periods::new(h).unwrap();
            let e = m.conditional_expected_purchases(&c, h);
            let e0 = m.expected_purchases(h);
            assert!(e.is_finite() && e0.is_finite(), "{} {e} {e0}", m.name());
            assert!(e >= last * (1.0 - 1e-9), "{} {e} after {last}", m.name());
            last = e;
        }
    }
}

/// Issue #13: the discounted sum behind CLV stepped one period at a time
/// (and never ended past 2^53 periods, where adding 1 no longer counts);
/// huge rates and horizons gave infinite values. Now the work is bounded,
/// the value finite, and the long sum agrees with the exact one.
#[test]
fn clv_takes_any_horizon_with_bounded_work() {
    use custodia::clv::{HistoricalClv, HistoricalSpend};
    let start = std::time::Instant::now();
    let bg = BgNbd::from_parameters(0.2426, 4.4135, 0.7929, 2.4258).unwrap();
    let gg = GammaGamma::from_parameters(6.2488, 3.7446, 15.4477).unwrap();
    let clv = Clv::new(bg, gg);
    let c = RfmSummary::new(2, 30.43, 38.86)
        .unwrap()
        .with_monetary(22.35)
        .unwrap();
    let data: Summaries = [c].into_iter().collect();
    let hist = HistoricalClv::new(HistoricalSpend::from_summaries(&data).unwrap());
    let tiny_age = RfmSummary::new(u32::MAX, 1e-300, 1e-300)
        .unwrap()
        .with_monetary(1e308)
        .unwrap();
    for h in [1e4, 1e17, f64::MAX] {
        let h = Periods::new(h).unwrap();
        for d in [0.0, 1e-17, 1e-6, 0.002, 10.0] {
            let d = DiscountRate::new(d).unwrap();
            let v = clv.clv(&c, h, d);
            assert!(v.is_finite() && v > 0.0, "{v}");
            assert!(hist.clv(&c, h, d).is_finite());
            assert!(hist.clv(&tiny_age, h, d).is_finite());
        }
    }
    // Beyond the first 1000 periods the blocks stay within 2e-5 of the
    // period-by-period sum (computed here with the model directly).
    let h = 5000.0;
    let d = 0.0005f64;
    let e = |t: f64| {
        clv.transactions()
            .conditional_expected_purchases(&c, Periods::new(t).unwrap())
    };
    let exact: f64 = (1..=5000)
        .map(|i| (e(i as f64) - e(i as f64 - 1.0)) / (1.0 + d).powi(i))
        .sum::<f64>()
        * clv.spend().expected_average_spend(&c);
    let v = clv.clv(&c, Periods::new(h).unwrap(), DiscountRate::new(d).unwrap());
    assert!((v - exact).abs() <= 2e-5 * exact, "{v} vs {exact}");
    assert!(start.elapsed().as_secs() < 120, "{:?}", start.elapsed());
}

/// Issue #13: `β + n − x` and `b + x − 1` lost a tiny `β` or `b` to rounding
/// (a NaN or infinite log-likelihood), and the Pareto/NBD's `t/α`
/// overflowed into an infinite expectation.
#[test]
fn tiny_and_huge_parameters_keep_likelihoods_and_expectations_finite() {
    let c = RfmSummary::new(u32::MAX, 1.0, 1.0).unwrap();
    let bb = BgBb::from_parameters(0.5, 1e-100, 0.5, 0.5).unwrap();
    assert!(bb.customer_log_likelihood(&c).is_finite());
    let one = RfmSummary::new(1, 1.0, 2.0).unwrap();
    for m in [
        Box::new(BgNbd::from_parameters(0.5, 1.0, 0.5, 1e-20).unwrap())
            as Box<dyn TransactionModel>,
        Box::new(MbgNbd::from_parameters(0.5, 1.0, 0.5, 1e-20).unwrap()),
    ] {
        assert!(m.customer_log_likelihood(&one).is_finite(), "{}", m.name());
        let p = m.probability_alive(&one).value();
        assert!(p > 0.0 && p < 1.0, "{} {p}", m.name());
    }
    let pareto = ParetoNbd::from_parameters(0.5, 1e-100, 0.5, 0.5).unwrap();
    let e = pareto.expected_purchases(Periods::new(1e308).unwrap());
    assert!(e.is_finite() && e > 1e200, "{e}");
}

// Stable-toolchain fuzzing of the CLV API (#13): long, structured and
// extreme-but-valid inputs. Each property runs a modest number of cases;
// `fuzz_clv_campaign` runs the same checks with many more (`--ignored`).
mod fuzz {
    use super::*;
    use chrono::NaiveDate;
    use custodia::clv::{
        calibration_holdout, summarize, HistoricalClv, HistoricalSpend, Period, Transaction,
    };
    use proptest::test_runner::{Config, TestRunner};
    use std::time::{Duration, Instant};

    /// A generous bound for one case in a debug build; real cases take
    /// milliseconds, the bugs this guards against took minutes or forever.
    const CASE_LIMIT: Duration = Duration::from_secs(60);

    /// Numbers across the whole range, with the edges over-represented.
    fn extreme() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(1e-308),
            Just(f64::MIN_POSITIVE),
            Just(1e308),
            Just(f64::MAX),
            (-300.0f64..308.0).prop_map(|e| 10f64.powf(e)),
            0.0f64..100.0,
        ]
    }

    /// Positive model parameters from 1e-100 to 1e100, and 1 exactly.
    fn parameter() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(1.0),
            Just(1.0 + 1e-9),
            (-100.0f64..100.0).prop_map(|e| 10f64.powf(e)),
            0.01f64..20.0,
        ]
    }

    fn frequency() -> impl Strategy<Value = u32> {
        prop_oneof![0u32..20, Just(u32::MAX), any::<u32>()]
    }

    /// A valid summary with extreme times and monetary value.
    fn summary() -> impl Strategy<Value = RfmSummary> {
        (frequency(), 0.0f64..=1.0, extreme(), extreme()).prop_map(|(x, share, age, m)| {
            let recency = if x == 0 { 0.0 } else { share * age };
            RfmSummary::new(x, recency, age)
                .unwrap()
                .with_monetary(m)
                .unwrap()
        })
    }

    /// A discrete (BG/BB-valid) summary: whole numbers, x <= t_x <= n.
    fn discrete_summary() -> impl Strategy<Value = RfmSummary> {
        (
            prop_oneof![0.0f64..50.0, 0.0f64..1e9, Just(1e15)],
            0.0f64..=1.0,
            0.0f64..=1.0,
        )
            .prop_map(|(n, r, f)| {
                let n = n.floor();
                let t_x = (r * n).floor();
                let x = (f * t_x).floor().min(1e9) as u32;
                let t_x = if x == 0 { 0.0 } else { t_x };
                RfmSummary::new(x, t_x, n).unwrap()
            })
    }

    fn check_prediction(
        m: &dyn TransactionModel,
        s: &RfmSummary,
        h: Periods,
        n: u32,
    ) -> std::result::Result<(), TestCaseError> {
        let name = m.name();
        let ll = m.customer_log_likelihood(s);
        prop_assert!(!ll.is_nan() && ll < f64::INFINITY, "{name} ll {ll}");
        let e = m.conditional_expected_purchases(s, h);
        prop_assert!(e.is_finite() && e >= 0.0, "{name} conditional {e}");
        let e0 = m.expected_purchases(h);
        prop_assert!(e0.is_finite() && e0 >= 0.0, "{name} expected {e0}");
        for p in [
            m.probability_alive(s),
            m.probability_of_purchase_within(s, h),
            m.probability_of_purchases(n, h),
        ] {
            prop_assert!((0.0..=1.0).contains(&p.value()), "{name} probability {p:?}");
        }
        Ok(())
    }

    fn predictions_case(
        p: [f64; 4],
        s: RfmSummary,
        h: f64,
        n: u32,
        d: f64,
    ) -> std::result::Result<(), TestCaseError> {
        let start = Instant::now();
        let h = Periods::new(h).unwrap();
        let d = DiscountRate::new(d).unwrap();
        for m in models(p) {
            check_prediction(m.as_ref(), &s, h, n)?;
        }
        let spend = GammaGamma::from_parameters(p[0], p[1].max(1.0 + 1e-9), p[2]).unwrap();
        let a = spend.expected_average_spend(&s);
        prop_assert!(a.is_finite() && a >= 0.0, "spend {a}");
        let clv = Clv::new(
            BgNbd::from_parameters(p[0], p[1], p[2], p[3]).unwrap(),
            spend,
        );
        let v = clv.clv(&s, h, d);
        prop_assert!(v.is_finite(), "clv {v}");
        prop_assert!(start.elapsed() < CASE_LIMIT, "{:?}", start.elapsed());
        Ok(())
    }

    fn prediction_strategy() -> impl Strategy<Value = ([f64; 4], RfmSummary, f64, u32, f64)> {
        (
            prop::array::uniform4(parameter()),
            summary(),
            extreme(),
            prop_oneof![0u32..50, any::<u32>()],
            prop_oneof![Just(0.0), 1e-12f64..1.0, extreme()],
        )
    }

    fn fits_case(
        rows: Vec<(RfmSummary, u64)>,
        discrete: Vec<RfmSummary>,
    ) -> std::result::Result<(), TestCaseError> {
        let start = Instant::now();
        let mut data = Summaries::new();
        for (s, w) in &rows {
            data.push_weighted(*s, *w).unwrap();
        }
        let allowed = [
            ErrorKind::InvalidInput,
            ErrorKind::InvalidParameter,
            ErrorKind::InsufficientData,
            ErrorKind::NotConverged,
        ];
        let mut fitted: Vec<Box<dyn TransactionModel>> = Vec::new();
        let mut check = |r: custodia::Result<Box<dyn TransactionModel>>| match r {
            Ok(m) => {
                prop_assert!(m
                    .parameters()
                    .iter()
                    .all(|(_, v)| v.is_finite() && *v > 0.0));
                fitted.push(m);
                Ok(())
            }
            Err(e) => {
                prop_assert!(allowed.contains(&e.kind()), "{e}");
                Ok(())
            }
        };
        let box_it = |m| Box::new(m) as Box<dyn TransactionModel>;
        check(BgNbd::params().max_iterations(40).fit(&data).map(box_it))?;
        check(
            MbgNbd::params()
                .max_iterations(40)
                .fit(&data)
                .map(|m| Box::new(m) as _),
        )?;
        check(
            ParetoNbd::params()
                .max_iterations(20)
                .fit(&data)
                .map(|m| Box::new(m) as _),
        )?;
        let discrete: Summaries = discrete.into_iter().collect();
        check(
            BgBb::params()
                .max_iterations(20)
                .fit(&discrete)
                .map(|m| Box::new(m) as _),
        )?;
        match GammaGamma::params().max_iterations(40).fit(&data) {
            Ok(g) => prop_assert!([g.p(), g.q(), g.gamma()].iter().all(|v| v.is_finite())),
            Err(e) => prop_assert!(allowed.contains(&e.kind()), "{e}"),
        }
        match HistoricalSpend::from_summaries(&data) {
            Ok(h) => {
                let v = HistoricalClv::new(h).clv(
                    &rows[0].0,
                    Periods::new(1e300).unwrap(),
                    DiscountRate::new(0.0).unwrap(),
                );
                prop_assert!(v.is_finite());
            }
            Err(e) => prop_assert!(allowed.contains(&e.kind()), "{e}"),
        }
        for m in &fitted {
            let ll = m.log_likelihood(&data);
            prop_assert!(!ll.is_nan(), "{} {ll}", m.name());
        }
        prop_assert!(start.elapsed() < CASE_LIMIT, "{:?}", start.elapsed());
        Ok(())
    }

    fn fit_strategy() -> impl Strategy<Value = (Vec<(RfmSummary, u64)>, Vec<RfmSummary>)> {
        (
            prop::collection::vec((summary(), prop_oneof![1u64..5, Just(u64::MAX / 4)]), 1..40),
            prop::collection::vec(discrete_summary(), 1..12),
        )
    }

    /// Thousands of transactions with extreme amounts and dates.
    fn summaries_case(
        log: Vec<(u16, i32, f64)>,
        end: i32,
        split: i32,
    ) -> std::result::Result<(), TestCaseError> {
        let start = Instant::now();
        let base = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let day = |offset: i32| base + chrono::Duration::days(i64::from(offset));
        let log: Vec<Transaction> = log
            .iter()
            .map(|&(c, at, amount)| Transaction::new(format!("c{c}"), day(at), amount).unwrap())
            .collect();
        for period in [Period::Day, Period::Week, Period::Month] {
            match summarize(&log, period, day(end)) {
                Ok(out) => {
                    for c in &out {
                        let s = c.summary();
                        prop_assert!(s.monetary().is_finite() && s.recency() <= s.age());
                    }
                }
                Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
            }
            match calibration_holdout(&log, period, day(split.min(end)), day(end)) {
                Ok(out) => {
                    for c in &out {
                        prop_assert!(c.holdout_monetary().is_finite());
                        prop_assert!(c.calibration().monetary().is_finite());
                    }
                }
                Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
            }
        }
        prop_assert!(start.elapsed() < CASE_LIMIT, "{:?}", start.elapsed());
        Ok(())
    }

    fn summaries_strategy() -> impl Strategy<Value = (Vec<(u16, i32, f64)>, i32, i32)> {
        let amount = prop_oneof![extreme(), extreme().prop_map(|v| -v), -1e6f64..1e6,];
        (
            prop::collection::vec((0u16..200, 0i32..4000, amount), 1..3000),
            0i32..4000,
            0i32..4000,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn fuzz_predictions((p, s, h, n, d) in prediction_strategy()) {
            predictions_case(p, s, h, n, d)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        #[test]
        fn fuzz_fits((rows, discrete) in fit_strategy()) {
            fits_case(rows, discrete)?;
        }

        #[test]
        fn fuzz_summaries((log, end, split) in summaries_strategy()) {
            summaries_case(log, end, split)?;
        }
    }

    #[cfg(feature = "serde")]
    /// JSON-ish text built from the fields of the CLV types, with random and
    /// extreme values, some keys missing or misspelt, and random tails.
    fn json_text() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "r",
            "alpha",
            "a",
            "b",
            "s",
            "beta",
            "p",
            "q",
            "gamma",
            "delta",
            "frequency",
            "recency",
            "age",
            "monetary",
            "x",
        ]);
        let value = prop_oneof![
            extreme().prop_map(|v| format!("{v:e}")),
            extreme().prop_map(|v| format!("-{v:e}")),
            Just("1e999".to_owned()),
            Just("null".to_owned()),
            Just("\"1\"".to_owned()),
            any::<u32>().prop_map(|v| v.to_string()),
            "[ -~]{0,6}",
        ];
        (prop::collection::vec((key, value), 0..8), "[ -~]{0,3}").prop_map(|(fields, tail)| {
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}{tail}", body.join(","))
        })
    }

    #[cfg(feature = "serde")]
    /// Whatever deserialises validates (re-built through the checked
    /// constructor it is equal) and round-trips to equal JSON; what is
    /// refused by our validation says which rule it broke.
    fn json_case(text: &str) -> std::result::Result<(), TestCaseError> {
        fn round_trip<T>(
            text: &str,
            rebuild: impl Fn(&T) -> custodia::Result<T>,
        ) -> std::result::Result<(), TestCaseError>
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            match serde_json::from_str::<T>(text) {
                Ok(v) => {
                    let again = rebuild(&v);
                    prop_assert!(again.is_ok(), "{text} -> {v:?} does not validate");
                    prop_assert_eq!(&again.unwrap(), &v);
                    let json = serde_json::to_string(&v).unwrap();
                    let back: T = serde_json::from_str(&json).unwrap();
                    prop_assert_eq!(&back, &v);
                    prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
                }
                Err(e) => {
                    let msg = e.to_string();
                    // A syntax or shape error from serde_json, or one of
                    // ours, which names the rule.
                    prop_assert!(!msg.is_empty());
                    if e.is_data() && msg.contains("invalid:") {
                        prop_assert!(msg.contains("must be"), "{msg}");
                    }
                }
            }
            Ok(())
        }
        round_trip::<BgNbd>(text, |m| {
            BgNbd::from_parameters(m.r(), m.alpha(), m.a(), m.b())
        })?;
        round_trip::<MbgNbd>(text, |m| {
            MbgNbd::from_parameters(m.r(), m.alpha(), m.a(), m.b())
        })?;
        round_trip::<ParetoNbd>(text, |m| {
            ParetoNbd::from_parameters(m.r(), m.alpha(), m.s(), m.beta())
        })?;
        round_trip::<BgBb>(text, |m| {
            BgBb::from_parameters(m.alpha(), m.beta(), m.gamma(), m.delta())
        })?;
        round_trip::<GammaGamma>(text, |m| {
            GammaGamma::from_parameters(m.p(), m.q(), m.gamma())
        })?;
        // Summaries: whatever loads is a valid summary; an invalid one is a
        // typed InvalidInput from the checked constructor.
        if let Ok(s) = serde_json::from_str::<RfmSummary>(text) {
            let again = RfmSummary::new(s.frequency(), s.recency(), s.age())
                .and_then(|r| r.with_monetary(s.monetary()));
            prop_assert_eq!(again.unwrap(), s);
            let back: RfmSummary =
                serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
            prop_assert_eq!(back, s);
        } else if let Ok(raw) = serde_json::from_str::<serde_json::Value>(text) {
            let num = |k: &str| raw.get(k).and_then(serde_json::Value::as_f64);
            let freq = raw.get("frequency").and_then(serde_json::Value::as_u64);
            if let (Some(x), Some(r), Some(t)) = (freq, num("recency"), num("age")) {
                if let Ok(x) = u32::try_from(x) {
                    let m = num("monetary").unwrap_or(0.0);
                    if raw.get("monetary").is_none_or(serde_json::Value::is_number) {
                        // Refused by our checks (InvalidInput) or by the
                        // shape (a duplicate key): never silently accepted.
                        if let Err(e) = RfmSummary::new(x, r, t).and_then(|s| s.with_monetary(m)) {
                            prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Random JSON-ish text reaches our validation, never panics, and
        /// every accepted value is valid and round-trips.
        #[cfg(feature = "serde")]
        #[test]
        fn fuzz_json(text in json_text()) {
            json_case(&text)?;
        }
    }

    /// The long campaign: the same properties with many more cases, for a CI
    /// step (`cargo test --release -- --ignored fuzz_clv_campaign`).
    #[test]
    #[ignore]
    fn fuzz_clv_campaign() {
        let run = |cases: u32| TestRunner::new(Config::with_cases(cases));
        run(5000)
            .run(&prediction_strategy(), |(p, s, h, n, d)| {
                predictions_case(p, s, h, n, d)
            })
            .unwrap();
        run(300)
            .run(&fit_strategy(), |(rows, discrete)| {
                fits_case(rows, discrete)
            })
            .unwrap();
        #[cfg(feature = "serde")]
        run(20_000)
            .run(&json_text(), |text| json_case(&text))
            .unwrap();
        run(300)
            .run(&summaries_strategy(), |(log, end, split)| {
                summaries_case(log, end, split)
            })
            .unwrap();
    }
}

/// Reads a file of `testdata/clv/` with [`SummaryCsv`].
fn read_summary_csv(name: &str) -> custodia::Result<Summaries> {
    let file = std::fs::File::open(format!("{DATA}{name}")).unwrap();
    SummaryCsv::new(std::io::BufReader::new(file))?.read_all()
}

#[test]
fn summary_csv_reads_the_published_files_exactly() {
    assert_eq!(read_summary_csv("cdnow_summary.csv").unwrap(), cdnow(false));
    assert_eq!(
        read_summary_csv("cdnow_summary_monetary.csv").unwrap(),
        cdnow(true)
    );
    assert_eq!(read_summary_csv("donations_rf.csv").unwrap(), donations());
}

#[test]
fn summary_csv_errors_name_the_line_and_column() {
    let cases = [
        ("", "line 0: no header line"),
        ("id,recency,T\n", "line 1: missing column frequency"),
        ("frequency,recency,T,T\n1,1,2,2\n", "line 1, column T: column named twice"),
        ("frequency,recency,T\n1,1\n", "line 2: 2 fields where the header has 3"),
        ("frequency,recency,T\n1,1,2,3\n", "line 2: 4 fields where the header has 3"),
        (
            "frequency,recency,T\n\n1.5,1,2\n",
            "line 3, column frequency: \"1.5\" is not a whole number",
        ),
        (
            "frequency,recency,T\n-1,1,2\n",
            "line 2, column frequency: \"-1\" is not a whole non-negative number",
        ),
        (
            "frequency,recency,T\n4294967296,1,2\n",
            "line 2, column frequency: \"4294967296\" exceeds the largest allowed value 4294967295",
        ),
        (
            "frequency,recency,T\n1,1e999,2\n",
            "line 2, column recency: \"1e999\" is not a finite number (it overflows or names infinity or NaN)",
        ),
        (
            "frequency,recency,T\n1,1,NaN\n",
            "line 2, column T: \"NaN\" is not a finite number (it overflows or names infinity or NaN)",
        ),
        (
            "frequency,recency,T\n1,1,inf\n",
            "line 2, column T: \"inf\" is not a finite number (it overflows or names infinity or NaN)",
        ),
        ("frequency,recency,T\n1,x,2\n", "line 2, column recency: \"x\" is not a number"),
        ("frequency,recency,T\n1,-1,2\n", "line 2: recency -1 is negative"),
        (
            "frequency,recency,T\n1,3,2\n",
            "line 2: recency 3 exceeds customer age 2",
        ),
        (
            "frequency,recency,T,weights\n1,1,2,0\n",
            "line 2: weight 0 is invalid: weights count customers and must be at least 1",
        ),
        (
            "frequency,recency,T,monetary_value\n1,1,2,-5\n",
            "line 2: monetary value -5 is negative",
        ),
    ];
    for (text, expected) in cases {
        let err = SummaryCsv::new(text.as_bytes()).and_then(|r| r.read_all());
        let err = err.expect_err(text);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{text}");
        assert_eq!(err.to_string(), expected, "{text}");
    }
    let bytes: &[u8] = b"frequency,recency,T\n1,\xff,2\n";
    let err = SummaryCsv::new(bytes)
        .and_then(|r| r.read_all())
        .unwrap_err();
    assert_eq!(err.to_string(), "line 2: not UTF-8 at byte 3");
}

#[test]
fn summary_csv_takes_quotes_blank_lines_crlf_and_a_byte_order_mark() {
    let text =
        "\u{feff}\"id\",\"frequency\",recency,T,weights\r\n\r\n\"a\",\"2.0\", 30.43 ,38.86,3\r\n";
    let reader = SummaryCsv::new(text.as_bytes()).unwrap();
    assert!(reader.has_weights() && !reader.has_monetary());
    let data = reader.read_all().unwrap();
    let rows: Vec<_> = data.iter().map(|(s, w)| (*s, w)).collect();
    assert_eq!(rows, vec![(RfmSummary::new(2, 30.43, 38.86).unwrap(), 3)]);
}

#[test]
fn summary_csv_reads_100_kb_rows_and_lines() {
    // Many rows.
    let mut text = String::from("frequency,recency,T\n");
    while text.len() < 100_000 {
        text.push_str("3,12.25,38.5\n");
    }
    let rows = text.lines().count() as u64 - 1;
    let data = SummaryCsv::new(text.as_bytes())
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(data.customers(), rows);
    // One 100 KB line: refused for its field count, not slowly.
    let long = format!("frequency,recency,T\n1,1,{}\n", ",".repeat(100_000));
    let err = SummaryCsv::new(long.as_bytes())
        .unwrap()
        .read_all()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: 100003 fields where the header has 3"
    );
    // A 100 KB number: exact digits, then refused as out of range.
    let big = format!("frequency,recency,T\n{},1,2\n", "9".repeat(100_000));
    assert!(SummaryCsv::new(big.as_bytes()).unwrap().read_all().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Summaries written with Rust's shortest round-trip formatting read back
    /// bit for bit, with their weights.
    #[test]
    fn summary_csv_round_trips_exactly(
        rows in prop::collection::vec(
            (any::<u32>(), 0.0f64..1e6, 0.0f64..1.0, 0.0f64..1e9, 1u64..u64::MAX),
            0..60,
        )
    ) {
        let mut text = String::from("id,frequency,recency,T,monetary_value,weights\n");
        let mut expected = Summaries::new();
        for (i, (x, age, share, m, w)) in rows.iter().enumerate() {
            let recency = age * share;
            let s = RfmSummary::new(*x, recency, *age).unwrap().with_monetary(*m).unwrap();
            text.push_str(&format!("{i},{x},{recency},{age},{m},{w}\n"));
            expected.push_weighted(s, *w).unwrap();
        }
        let read = SummaryCsv::new(text.as_bytes()).unwrap().read_all().unwrap();
        prop_assert_eq!(read, expected);
    }

    /// Arbitrary text gives rows or a typed error, never a panic.
    #[test]
    fn summary_csv_never_panics(body in "[0-9a-zA-Z.,\"\\- \r\n]{0,400}") {
        let text = format!("frequency,recency,T\n{body}");
        match SummaryCsv::new(text.as_bytes()).and_then(|r| r.read_all()) {
            Ok(data) => prop_assert!(data.len() <= body.lines().count()),
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
        }
    }
}

/// The first `n` customers of CDNOW, a small data set of real histories.
fn cdnow_head(n: usize) -> Summaries {
    cdnow(true).iter().take(n).map(|(s, _)| *s).collect()
}

#[test]
fn bg_nbd_on_ten_customers_warns_and_advises() {
    let m = BgNbd::params().fit(&cdnow_head(10)).unwrap();
    let w = m.report().unwrap().warnings();
    assert!(
        w.contains(&FitWarning::FewCustomers {
            customers: 10.0,
            recommended: 100.0
        }),
        "{w:?}"
    );
    assert!(
        w.contains(&FitWarning::FewRepeaters {
            repeaters: 5.0,
            recommended: 30.0
        }),
        "{w:?}"
    );
    // The dropout parameters run off, so they cannot be trusted.
    assert!(
        w.iter()
            .any(|w| matches!(w, FitWarning::ParameterAtExtreme { .. })),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| matches!(
            w,
            FitWarning::SingularHessian | FitWarning::WeaklyIdentified { .. }
        )),
        "{w:?}"
    );
    for warning in w {
        let text = warning.to_string();
        assert!(text.ends_with(warning.advice()), "{text}");
        assert!(warning.advice().contains("Historical"), "{text}");
    }
}

#[test]
fn gamma_gamma_on_five_repeaters_explains_itself() {
    let repeaters: Summaries = cdnow(true)
        .iter()
        .filter(|(s, _)| s.frequency() > 0)
        .take(5)
        .map(|(s, _)| *s)
        .collect();
    match GammaGamma::params().fit(&repeaters) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::NotConverged);
            let text = e.to_string();
            assert!(
                text.contains("on 5 customers") && text.contains("HistoricalSpend"),
                "{text}"
            );
        }
        Ok(m) => {
            let w = m.report().unwrap().warnings();
            assert!(
                w.iter().any(
                    |w| matches!(w, FitWarning::FewCustomers { customers, .. } if *customers == 5.0)
                ),
                "{w:?}"
            );
        }
    }
}

#[test]
fn fits_on_the_public_data_have_no_warnings() {
    let data = cdnow(true);
    let reports = [
        BgNbd::params().fit(&data).unwrap().report().cloned(),
        MbgNbd::params().fit(&data).unwrap().report().cloned(),
        ParetoNbd::params().fit(&data).unwrap().report().cloned(),
        GammaGamma::params().fit(&data).unwrap().report().cloned(),
        BgBb::params().fit(&donations()).unwrap().report().cloned(),
    ];
    for report in reports {
        let report = report.unwrap();
        assert!(report.warnings().is_empty(), "{:?}", report.warnings());
        assert!(report.standard_errors().is_some());
    }
}

#[cfg(feature = "serde")]
#[test]
fn fit_warning_json_shape_is_frozen() {
    let cases = [
        (
            FitWarning::FewCustomers {
                customers: 10.0,
                recommended: 100.0,
            },
            r#"{"kind":"few_customers","customers":10.0,"recommended":100.0}"#,
        ),
        (
            FitWarning::FewRepeaters {
                repeaters: 5.0,
                recommended: 30.0,
            },
            r#"{"kind":"few_repeaters","repeaters":5.0,"recommended":30.0}"#,
        ),
        (
            FitWarning::ParameterAtExtreme {
                parameter: "a".to_owned(),
                value: 692527.0,
            },
            r#"{"kind":"parameter_at_extreme","parameter":"a","value":692527.0}"#,
        ),
        (
            FitWarning::WeaklyIdentified {
                parameter: "b".to_owned(),
                log_standard_error: 2.5,
            },
            r#"{"kind":"weakly_identified","parameter":"b","log_standard_error":2.5}"#,
        ),
        (
            FitWarning::SingularHessian,
            r#"{"kind":"singular_hessian"}"#,
        ),
    ];
    for (warning, json) in cases {
        assert_eq!(serde_json::to_string(&warning).unwrap(), json);
        assert_eq!(serde_json::from_str::<FitWarning>(json).unwrap(), warning);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A fit on fewer than 100 customers either fails with a typed error or
    /// says that the data are few.
    #[test]
    fn small_fits_warn_or_fail(
        rows in prop::collection::vec((0u32..6, 0.0f64..1.0, 10.0f64..40.0), 2..40)
    ) {
        let data: Summaries = rows
            .iter()
            .map(|&(x, share, t)| RfmSummary::new(x, if x == 0 { 0.0 } else { share * t }, t).unwrap())
            .collect();
        match BgNbd::params().fit(&data) {
            Ok(m) => {
                let w = m.report().unwrap().warnings();
                let few = w.iter().any(|w| matches!(w, FitWarning::FewCustomers { .. }));
                prop_assert!(few, "{:?}", w);
            }
            Err(e) => prop_assert!(matches!(
                e.kind(),
                ErrorKind::InsufficientData | ErrorKind::NotConverged
            )),
        }
    }
}

#[test]
fn bg_nbd_standard_errors_on_cdnow_match_lifetimes() {
    let m = BgNbd::params().fit(&cdnow(false)).unwrap();
    let se = m.report().unwrap().standard_errors().unwrap();
    // `lifetimes` 0.11.3, BetaGeoFitter(penalizer_coef=0).fit on
    // cdnow_summary.csv, `standard_errors_` (autograd Hessian, inverted).
    let reference = [0.012_557_32, 0.378_221_46, 0.185_719_07, 0.705_345_34];
    for (name, (ours, theirs)) in ["r", "alpha", "a", "b"]
        .iter()
        .zip(se.iter().zip(reference))
    {
        assert_close(name, *ours, theirs, 1e-5);
    }
}

#[test]
fn every_model_has_consistent_standard_errors_and_intervals() {
    let data = cdnow(true);
    let reports = [
        BgNbd::params()
            .fit(&data)
            .unwrap()
            .report()
            .cloned()
            .unwrap(),
        MbgNbd::params()
            .fit(&data)
            .unwrap()
            .report()
            .cloned()
            .unwrap(),
        ParetoNbd::params()
            .fit(&data)
            .unwrap()
            .report()
            .cloned()
            .unwrap(),
        GammaGamma::params()
            .fit(&data)
            .unwrap()
            .report()
            .cloned()
            .unwrap(),
        BgBb::params()
            .fit(&donations())
            .unwrap()
            .report()
            .cloned()
            .unwrap(),
    ];
    for report in reports {
        let cov = report.log_covariance().unwrap();
        let se = report.standard_errors().unwrap();
        let n = report.estimates().len();
        assert_eq!(cov.len(), n);
        let narrow = report.confidence_intervals(0.5).unwrap();
        let wide = report.confidence_intervals(0.99).unwrap();
        for i in 0..n {
            assert_eq!(cov[i].len(), n);
            assert!(cov[i][i] > 0.0);
            for j in 0..n {
                assert!((cov[i][j] - cov[j][i]).abs() <= 1e-9 * cov[i][i].max(cov[j][j]));
            }
            let theta = report.estimates()[i];
            assert_close("se", se[i], theta * cov[i][i].sqrt(), 1e-12);
            assert_eq!(wide[i].estimate(), theta);
            assert!(0.0 < wide[i].lower() && wide[i].lower() < narrow[i].lower());
            assert!(narrow[i].lower() < theta && theta < narrow[i].upper());
            assert!(narrow[i].upper() < wide[i].upper());
            // The log-scale interval is symmetric in ln θ.
            assert_close(
                "log symmetry",
                (wide[i].upper() / theta).ln(),
                (theta / wide[i].lower()).ln(),
                1e-9,
            );
        }
        for bad in [0.0, 1.0, 1.5, f64::NAN] {
            let err = report.confidence_intervals(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        }
    }
}

#[test]
fn delta_method_intervals_agree_with_the_parameter_intervals() {
    let m = BgNbd::params().fit(&cdnow(false)).unwrap();
    let report = m.report().unwrap();
    // A parameter as a "prediction": the delta method must give its own interval.
    let r = prediction_interval(&m, 0.95, BgNbd::r).unwrap();
    let expected = report.confidence_intervals(0.95).unwrap()[0];
    assert_close("r se", r.standard_error(), expected.standard_error(), 1e-6);
    assert_close("r lower", r.lower(), expected.lower(), 1e-6);
    // A customer's expected purchases: a positive interval around the estimate.
    let c = RfmSummary::new(2, 30.43, 38.86).unwrap();
    let h = Periods::new(39.0).unwrap();
    let e = prediction_interval(&m, 0.95, |m| m.conditional_expected_purchases(&c, h)).unwrap();
    assert_eq!(e.estimate(), m.conditional_expected_purchases(&c, h));
    assert!(0.0 < e.lower() && e.lower() < e.estimate() && e.estimate() < e.upper());
    assert!(e.standard_error() > 0.0 && e.standard_error() < 0.2 * e.estimate());
    // Saved parameters carry no uncertainty.
    let saved = BgNbd::from_parameters(m.r(), m.alpha(), m.a(), m.b()).unwrap();
    let err = prediction_interval(&saved, 0.95, BgNbd::r).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientData);
}

#[test]
fn clv_interval_adds_spend_uncertainty_to_purchase_uncertainty() {
    let data = cdnow(true);
    let purchases = BgNbd::params().fit(&data).unwrap();
    let spend = GammaGamma::params().fit(&data).unwrap();
    let clv = Clv::new(purchases.clone(), spend.clone());
    let c = RfmSummary::new(2, 30.43, 38.86)
        .unwrap()
        .with_monetary(22.35)
        .unwrap();
    let (h, d) = (
        Periods::new(52.0).unwrap(),
        DiscountRate::new(0.002).unwrap(),
    );
    let i = clv.clv_interval(&c, h, d, 0.95).unwrap();
    assert_eq!(i.estimate(), clv.clv(&c, h, d));
    assert!(0.0 < i.lower() && i.lower() < i.estimate() && i.estimate() < i.upper());
    // Holding spend fixed leaves only the purchase model's share.
    let only_purchases = prediction_interval(&purchases, 0.95, |m| {
        Clv::new(m.clone(), spend.clone()).clv(&c, h, d)
    })
    .unwrap();
    assert!(i.standard_error() > only_purchases.standard_error());
    assert!(clv.clv_interval(&c, h, d, 1.0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any level in (0, 1) gives ordered bounds around the estimate, wider for higher levels.
    #[test]
    fn intervals_are_ordered_and_nested(level in 0.01f64..0.99, x in 0u32..20, t in 1.0f64..60.0) {
        let m = GammaGamma::params().fit(&cdnow(true)).unwrap();
        let c = RfmSummary::new(x, if x == 0 { 0.0 } else { t / 2.0 }, t).unwrap()
            .with_monetary(if x == 0 { 0.0 } else { 30.0 }).unwrap();
        let i = prediction_interval(&m, level, |m| m.expected_average_spend(&c)).unwrap();
        let wider = prediction_interval(&m, (level + 1.0) / 2.0, |m| m.expected_average_spend(&c)).unwrap();
        prop_assert!(i.lower() <= i.estimate() && i.estimate() <= i.upper());
        prop_assert!(wider.lower() <= i.lower() && i.upper() <= wider.upper());
    }
}

/// Customers alive at the start of years 0–7 in the two segments of Fader &
/// Hardie (2007), "How to project customer retention", table 1.
const SBG_REGULAR: [u64; 8] = [1000, 631, 468, 382, 326, 289, 262, 241];
const SBG_HIGH_END: [u64; 8] = [1000, 869, 743, 653, 593, 551, 517, 491];

/// The sBG log-likelihood written out by hand from the paper's recursion
/// (eqs. 2–4): `P(T=1) = α/(α+β)`, `P(T=t) = (β+t−2)/(α+β+t−1) P(T=t−1)`,
/// `S(t) = S(t−1) − P(T=t)`, and LL = Σ lost_t ln P(T=t) + survivors ln S(n).
fn sbg_ll_by_hand(alpha: f64, beta: f64, alive: &[u64]) -> f64 {
    let mut p = alpha / (alpha + beta);
    let mut s = 1.0 - p;
    let mut ll = (alive[0] - alive[1]) as f64 * p.ln();
    for t in 2..alive.len() {
        p *= (beta + t as f64 - 2.0) / (alpha + beta + t as f64 - 1.0);
        s -= p;
        ll += (alive[t - 1] - alive[t]) as f64 * p.ln();
    }
    ll + alive[alive.len() - 1] as f64 * s.ln()
}

#[test]
fn sbg_on_the_fader_hardie_segments_matches_the_paper() {
    for (alive, alpha, beta, ll) in [
        (SBG_REGULAR, 0.704, 1.182, -1680.27),
        (SBG_HIGH_END, 0.668, 3.806, -1611.16),
    ] {
        let cohort = SbgCohort::new(alive.to_vec()).unwrap();
        let m = Sbg::params().fit(std::slice::from_ref(&cohort)).unwrap();
        assert_digits("alpha", m.alpha(), alpha, 3);
        assert_digits("beta", m.beta(), beta, 3);
        let report = m.report().unwrap();
        assert_digits("LL", report.log_likelihood(), ll, 2);
        // The hand-written recursion agrees with the model's beta-function form.
        let by_hand = sbg_ll_by_hand(m.alpha(), m.beta(), &alive);
        assert_close("LL by hand", m.log_likelihood(&cohort), by_hand, 1e-12);
        assert_digits(
            "LL by hand at the paper's values",
            sbg_ll_by_hand(alpha, beta, &alive),
            ll,
            2,
        );
        assert!(report.warnings().is_empty(), "{:?}", report.warnings());
        let se = report.standard_errors().unwrap();
        assert!(se.iter().all(|v| *v > 0.0 && v.is_finite()));
        // Parameter uncertainty reaches the residual lifetime.
        let d = DiscountRate::new(0.1).unwrap();
        let derl = prediction_interval(&m, 0.95, |m| m.discounted_expected_residual_lifetime(d, 3))
            .unwrap();
        assert!(derl.lower() < derl.estimate() && derl.estimate() < derl.upper());
        // Two cohorts of the same segment give the same estimates.
        let twice = Sbg::params().fit(&[cohort.clone(), cohort]).unwrap();
        assert_close("alpha twice", twice.alpha(), m.alpha(), 1e-5);
    }
}

#[test]
fn sbg_curves_agree_with_each_other() {
    let m = Sbg::from_parameters(0.704, 1.182).unwrap();
    let curve = m.survival_curve(12);
    assert_eq!(curve.len(), 13);
    for t in 1..=12u64 {
        let s = m.survival(t).value();
        assert_close("curve", curve[t as usize].value(), s, 1e-12);
        let drop = m.survival(t - 1).value() - s;
        assert_close("churn", m.churn_probability_at(t).value(), drop, 1e-10);
        assert_close(
            "retention",
            m.retention_rate(t).value(),
            s / m.survival(t - 1).value(),
            1e-12,
        );
        assert!(m.retention_rate(t + 1).value() > m.retention_rate(t).value());
    }
    assert_eq!(m.survival(0).value(), 1.0);
    assert_eq!(m.churn_probability_at(0).value(), 0.0);
    // α ≤ 1: no finite mean lifetime. α > 1: (α+β−1)/(α−1), the sum of S(t).
    assert_eq!(m.mean_lifetime(), None);
    let m = Sbg::from_parameters(2.5, 3.0).unwrap();
    let sum: f64 = (0..200_000u64).map(|t| m.survival(t).value()).sum();
    assert_close(
        "mean lifetime",
        m.mean_lifetime().unwrap(),
        4.5 / 1.5,
        1e-12,
    );
    assert_close("sum of survival", sum, 3.0, 1e-6);
}

/// DERL as the long direct sum `Σ_{k≥1} S(n−1+k)/S(n−1) δ^(k−1)`, terms by recursion.
fn derl_direct(alpha: f64, beta: f64, renewals: u64, d: f64) -> f64 {
    let b = beta + renewals as f64;
    let delta = 1.0 / (1.0 + d);
    let mut term = b / (alpha + b); // k = 1
    let mut sum = 0.0;
    for k in 1..5_000_000u64 {
        sum += term;
        term *= (b + k as f64) / (alpha + b + k as f64) * delta;
        if term < 1e-18 * sum {
            break;
        }
    }
    sum
}

#[test]
fn sbg_derl_matches_a_long_direct_sum() {
    for (alpha, beta) in [(0.704, 1.182), (0.668, 3.806), (2.5, 3.0)] {
        let m = Sbg::from_parameters(alpha, beta).unwrap();
        for d in [0.5, 0.1, 0.01, 0.001] {
            for renewals in [0, 1, 4, 50, 1000] {
                let ours = m
                    .discounted_expected_residual_lifetime(DiscountRate::new(d).unwrap(), renewals);
                assert_close(
                    &format!("DERL α {alpha} β {beta} d {d} n−1 {renewals}"),
                    ours,
                    derl_direct(alpha, beta, renewals, d),
                    1e-7,
                );
            }
        }
    }
    // No discounting and α > 1: the expected residual lifetime b/(α − 1).
    let m = Sbg::from_parameters(2.5, 3.0).unwrap();
    let ours = m.discounted_expected_residual_lifetime(DiscountRate::new(0.0).unwrap(), 2);
    assert_close("residual lifetime", ours, 5.0 / 1.5, 1e-6);
    // α ≤ 1 without discounting: infinite, saturating.
    let m = Sbg::from_parameters(0.704, 1.182).unwrap();
    let ours = m.discounted_expected_residual_lifetime(DiscountRate::new(0.0).unwrap(), 2);
    assert!(ours > 1e6 && ours.is_finite(), "{ours}");
}

#[test]
fn sbg_cohorts_and_fits_refuse_bad_data() {
    let cases: [(Vec<u64>, &str); 3] = [
        (vec![100], "invalid cohort: a cohort needs its size (greater than 0) and at least one later count"),
        (vec![0, 0], "invalid cohort: a cohort needs its size (greater than 0) and at least one later count"),
        (vec![100, 80, 90], "invalid cohort: 90 customers are active at period 2 but only 80 at period 1; counts cannot rise"),
    ];
    for (alive, message) in cases {
        let err = SbgCohort::new(alive).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), message);
    }
    for alive in [vec![100, 100, 100], vec![100, 0]] {
        let err = Sbg::params()
            .fit(&[SbgCohort::new(alive).unwrap()])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsufficientData);
    }
    let err = Sbg::params().fit(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientData);
    assert_eq!(err.to_string(), "cannot fit sBG: no cohort");
    assert!(Sbg::from_parameters(0.0, 1.0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Survival falls, retention rises, and DERL falls with the discount
    /// rate, for any parameters and tenures (constant work for any `t`).
    #[test]
    fn sbg_predictions_are_monotone_and_finite(
        alpha in 0.01f64..50.0,
        beta in 0.01f64..50.0,
        t in 0u64..1_000_000_000_000,
        d in 0.001f64..1.0,
    ) {
        let m = Sbg::from_parameters(alpha, beta).unwrap();
        prop_assert!(m.survival(t + 1).value() <= m.survival(t).value());
        prop_assert!(m.retention_rate(t + 1).value() >= m.retention_rate(t).value());
        let near = m.discounted_expected_residual_lifetime(DiscountRate::new(d).unwrap(), t);
        let far = m.discounted_expected_residual_lifetime(DiscountRate::new(2.0 * d).unwrap(), t);
        prop_assert!(near.is_finite() && far.is_finite() && far <= near * (1.0 + 1e-9), "{near} {far}");
        prop_assert!(near <= 1.0 + 1.0 / d + 1e-9, "{near}");
    }

    /// Fitting takes any valid cohort: a model or a typed error.
    #[test]
    fn sbg_fits_any_cohort(drops in prop::collection::vec(0u64..200, 1..12)) {
        let mut alive = vec![2000u64];
        for d in drops {
            let last = *alive.last().unwrap();
            alive.push(last.saturating_sub(d));
        }
        match Sbg::params().fit(&[SbgCohort::new(alive).unwrap()]) {
            Ok(m) => prop_assert!(m.alpha() > 0.0 && m.beta() > 0.0),
            Err(e) => prop_assert!(matches!(e.kind(), ErrorKind::InsufficientData | ErrorKind::NotConverged)),
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn fit_report_json_leaves_out_what_is_absent() {
    let m = BgNbd::params().fit(&cdnow_head(10)).unwrap();
    let report = m.report().unwrap();
    let json = serde_json::to_value(report).unwrap();
    // Ten customers: a singular Hessian, so no covariance and no standard errors.
    assert!(json.get("log_covariance").is_none() && json.get("standard_errors").is_none());
    assert_eq!(json["warnings"][0]["kind"], "few_customers");
    let back: custodia::clv::FitReport = serde_json::from_value(json).unwrap();
    assert_eq!(&back, report);
    let m = BgNbd::params().fit(&cdnow(false)).unwrap();
    let json = serde_json::to_value(m.report().unwrap()).unwrap();
    assert!(json.get("warnings").is_none());
    assert_eq!(json["standard_errors"].as_array().unwrap().len(), 4);
}
