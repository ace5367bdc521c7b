//! Sentiment scoring of customer feedback.
