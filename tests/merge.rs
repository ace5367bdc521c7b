//! Merge integration tests.
