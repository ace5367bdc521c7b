//! Integration tests: one binary, one submodule per area, public API only.

// Test helpers unwrap and print freely: a failing unwrap is a failing test.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod architecture;
mod autotraits;
mod clv;
mod consent;
mod identity;
mod ingest;
mod insights;
mod merge;
mod model;
mod persona;
mod pipeline;
mod rfm;
mod segment;
mod sentiment;
