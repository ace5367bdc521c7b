//! Sentiment integration tests.
