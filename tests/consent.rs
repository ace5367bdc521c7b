//! Consent integration tests.
