//! Segment integration tests.
