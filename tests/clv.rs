//! CLV integration tests.
