//! Integration tests of custodia-datafusion, through its public API.

// Test helpers unwrap freely: a failing unwrap is a failing test.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/identity/synth.rs"]
mod synth;

mod aggregate;
mod common;
mod resolve;
mod scalar;
mod segment;
