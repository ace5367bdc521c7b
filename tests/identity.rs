//! Identity resolution integration tests.
