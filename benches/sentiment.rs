//! Benchmarks of the `sentiment` module.

fn main() {}
