//! Customer lifetime value and churn estimators.
