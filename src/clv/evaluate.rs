//! Measuring how well a churn score ranks customers.

use crate::error::{Error, ErrorKind, Result};

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
    use proptest::prelude::*;

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
