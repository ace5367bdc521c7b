//! Benchmarks of profile derivation.
#![allow(missing_docs)]

fn main() {}
