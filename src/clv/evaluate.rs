//! Measuring how well a churn score ranks customers, and how well a model's
//! expected purchases match what customers did in a holdout window.

use super::summary::CalibrationHoldout;
use super::{Periods, TransactionModel};
use crate::error::{Error, ErrorKind, Result};

/// The largest `max_frequency` [`holdout_calibration`] accepts: at most
/// this many plus one bins.
pub const MAX_CALIBRATION_FREQUENCY: u32 = 1_000;

/// One bin of [`holdout_calibration`]: the customers who made a given
/// number of repeat purchases in the calibration window, with the mean of
/// the purchases a model expected of them in the holdout window and the
/// mean they made.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CalibrationBin {
    frequency: u32,
    is_open: bool,
    customers: u64,
    expected: f64,
    actual: f64,
}

impl CalibrationBin {
    /// Returns the calibration-window frequency (repeat purchases) of the
    /// bin's customers; with [`is_open`](CalibrationBin::is_open), the
    /// smallest frequency of the bin.
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// Returns `true` for the last bin, which holds every customer with
    /// [`frequency`](CalibrationBin::frequency) repeat purchases *or more*.
    pub fn is_open(&self) -> bool {
        self.is_open
    }

    /// Returns the number of customers in the bin (at least 1).
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Returns the mean number of holdout purchases the model expected of
    /// the bin's customers, given their calibration summaries.
    pub fn expected(&self) -> f64 {
        self.expected
    }

    /// Returns the mean number of purchases the bin's customers made in the
    /// holdout window.
    pub fn actual(&self) -> f64 {
        self.actual
    }
}

/// Returns expected against actual holdout purchases, by calibration-window
/// frequency: the usual check of a fitted [`TransactionModel`] (Fader,
/// Hardie and Lee 2005, figure 3).
///
/// The model is fitted on the calibration summaries of `data` (from
/// [`calibration_holdout`](super::calibration_holdout)); for each customer
/// it expects
/// [`conditional_expected_purchases`](TransactionModel::conditional_expected_purchases)
/// over their holdout window. Customers are binned by calibration frequency
/// `0, 1, …, max_frequency − 1`, and the last bin holds every frequency
/// from `max_frequency` up, so no customer is left out. Bins without
/// customers are omitted; the rest come in order of frequency. Linear in
/// `data`.
///
/// # Errors
///
/// - [`ErrorKind::InvalidParameter`] when `max_frequency` exceeds
///   [`MAX_CALIBRATION_FREQUENCY`].
/// - [`ErrorKind::InsufficientData`] when `data` is empty.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
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
/// // bob made no repeat purchase by January's end, ann one.
/// assert_eq!(bins.iter().map(|b| b.frequency()).collect::<Vec<_>>(), [0, 1]);
/// assert_eq!((bins[0].actual(), bins[1].actual()), (0.0, 1.0));
/// assert!(bins[1].expected() > bins[0].expected());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn holdout_calibration<M: TransactionModel + ?Sized>(
    model: &M,
    data: &[CalibrationHoldout],
    max_frequency: u32,
) -> Result<Vec<CalibrationBin>> {
    if max_frequency > MAX_CALIBRATION_FREQUENCY {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format_args!("max_frequency {max_frequency} exceeds {MAX_CALIBRATION_FREQUENCY}"),
        ));
    }
    if data.is_empty() {
        return Err(Error::new(
            ErrorKind::InsufficientData,
            "a holdout calibration needs at least one customer",
        ));
    }
    // (customers, sum of expected, sum of actual) per frequency bin.
    let mut bins = vec![(0u64, 0.0f64, 0.0f64); max_frequency as usize + 1];
    for row in data {
        let calibration = row.calibration();
        let bin = calibration.frequency().min(max_frequency) as usize;
        // A holdout duration is a non-negative whole number of periods by
        // construction; a value out of range would only weaken the bin, so
        // it expects nothing rather than failing the whole table.
        let expected = Periods::new(row.holdout_duration())
            .map(|t| model.conditional_expected_purchases(calibration, t))
            .unwrap_or(0.0);
        let (n, e, a) = &mut bins[bin];
        *n += 1;
        *e += expected;
        *a += f64::from(row.holdout_frequency());
    }
    Ok(bins
        .into_iter()
        .enumerate()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(i, (n, e, a))| CalibrationBin {
            frequency: i as u32,
            is_open: i == max_frequency as usize,
            customers: n,
            expected: e / n as f64,
            actual: a / n as f64,
        })
        .collect())
}

/// Returns the area under the ROC curve of `scores` for `outcomes`: the
/// probability that a customer who did buy (`true`) scores above one who did
/// not, with ties counting one half (the Mann–Whitney statistic).
///
/// Use it to check a churn score against a holdout period: 0.5 is chance,
/// 1.0 a perfect ranking.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] when the slices differ in length or a score
/// is NaN, and [`ErrorKind::InsufficientData`] when every outcome is the
/// same (the area is then undefined).
///
/// # Examples
///
/// ```
/// use custodia::clv::roc_auc;
/// assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &[true, false, true, false])?, 0.75);
/// assert!(roc_auc(&[0.5, 0.5], &[true, true]).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn roc_auc(scores: &[f64], outcomes: &[bool]) -> Result<f64> {
    if scores.len() != outcomes.len() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format_args!(
                "{} scores but {} outcomes: each customer needs one of each",
                scores.len(),
                outcomes.len()
            ),
        ));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format_args!("score {i} is NaN"),
        ));
    }
    let positives = outcomes.iter().filter(|o| **o).count() as f64;
    let negatives = outcomes.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Err(Error::new(
            ErrorKind::InsufficientData,
            "the area under the ROC curve needs customers with both outcomes",
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Rank sum of the positives, tied scores sharing their average rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let tied_positives = order[i..=j].iter().filter(|&&k| outcomes[k]).count();
        rank_sum += rank * tied_positives as f64;
        i = j + 1;
    }
    Ok((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::{calibration_holdout, Period, Probability, RfmSummary, Transaction};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    /// A model that expects `frequency + t` purchases in the next `t`
    /// periods, so that bin means can be computed by hand.
    #[derive(Debug)]
    struct Linear;

    impl TransactionModel for Linear {
        fn name(&self) -> &'static str {
            "linear"
        }
        fn parameters(&self) -> Vec<(&'static str, f64)> {
            Vec::new()
        }
        fn customer_log_likelihood(&self, _: &RfmSummary) -> f64 {
            0.0
        }
        fn expected_purchases(&self, horizon: Periods) -> f64 {
            horizon.value()
        }
        fn conditional_expected_purchases(&self, customer: &RfmSummary, horizon: Periods) -> f64 {
            f64::from(customer.frequency()) + horizon.value()
        }
        fn probability_of_purchases(&self, _: u32, _: Periods) -> Probability {
            Probability::clamped(0.0)
        }
        fn probability_alive(&self, _: &RfmSummary) -> Probability {
            Probability::clamped(1.0)
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, day).unwrap()
    }

    #[test]
    fn calibration_bins_by_hand() {
        // Days; calibration to 10 January, holdout 11–14 January (4 days).
        let t = |c: &str, day| Transaction::new(c, d(1, day), 1.0).unwrap();
        let log = [
            t("a", 1), // f = 0, holdout 0
            t("b", 1), // f = 0, holdout 2
            t("b", 12),
            t("b", 13),
            t("c", 1), // f = 2, holdout 1
            t("c", 2),
            t("c", 3),
            t("c", 14),
            t("d", 1), // f = 3, holdout 0
            t("d", 2),
            t("d", 3),
            t("d", 4),
            t("e", 11), // first bought in the holdout: not counted
        ];
        let data = calibration_holdout(&log, Period::Day, d(1, 10), d(1, 14)).unwrap();
        assert_eq!(data.len(), 4);
        let bins = holdout_calibration(&Linear, &data, 2).unwrap();
        let got: Vec<_> = bins
            .iter()
            .map(|b| {
                (
                    b.frequency(),
                    b.is_open(),
                    b.customers(),
                    b.expected(),
                    b.actual(),
                )
            })
            .collect();
        // Bin 0: a, b expect 0 + 4 each, made 0 and 2. Bin 1: empty, left
        // out. Bin "2 or more": c and d expect 2 + 4 and 3 + 4, made 1 and 0.
        assert_eq!(got, [(0, false, 2, 4.0, 1.0), (2, true, 2, 6.5, 0.5)]);
        // Every customer is in one bin.
        let wide = holdout_calibration(&Linear, &data, 10).unwrap();
        assert_eq!(wide.iter().map(|b| b.customers()).sum::<u64>(), 4);
        assert!(wide.iter().all(|b| !b.is_open()));
    }

    #[test]
    fn calibration_rejects_bad_input() {
        assert_eq!(
            holdout_calibration(&Linear, &[], 7).unwrap_err().kind(),
            ErrorKind::InsufficientData
        );
        let log = [Transaction::new("a", d(1, 1), 1.0).unwrap()];
        let data = calibration_holdout(&log, Period::Day, d(1, 10), d(1, 14)).unwrap();
        assert_eq!(
            holdout_calibration(&Linear, &data, MAX_CALIBRATION_FREQUENCY + 1)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidParameter
        );
        let bins = holdout_calibration(&Linear, &data, 0).unwrap();
        assert_eq!(bins.len(), 1);
        assert!(bins[0].is_open());
    }

    #[test]
    fn known_rankings() {
        let auc = |s: &[f64], o: &[bool]| roc_auc(s, o).unwrap();
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &[false, false, true, true]), 0.0);
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]), 0.5);
        assert_eq!(auc(&[-0.0, 0.0], &[true, false]), 0.5);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert_eq!(
            roc_auc(&[0.1], &[true, false]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            roc_auc(&[f64::NAN, 0.1], &[true, false])
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[false, false]).unwrap_err().kind(),
            ErrorKind::InsufficientData
        );
    }

    proptest! {
        #[test]
        fn equals_the_pairwise_count(pairs in prop::collection::vec((0u8..5, any::<bool>()), 2..40)) {
            let scores: Vec<f64> = pairs.iter().map(|p| f64::from(p.0)).collect();
            let outcomes: Vec<bool> = pairs.iter().map(|p| p.1).collect();
            let (mut wins, mut total) = (0.0, 0.0);
            for (sp, _) in pairs.iter().filter(|p| p.1) {
                for (sn, _) in pairs.iter().filter(|p| !p.1) {
                    total += 1.0;
                    wins += if sp > sn { 1.0 } else if sp == sn { 0.5 } else { 0.0 };
                }
            }
            match roc_auc(&scores, &outcomes) {
                Ok(auc) => prop_assert!((auc - wins / total).abs() < 1e-12),
                Err(_) => prop_assert_eq!(total, 0.0),
            }
        }
    }
}
