//! Benchmarks of the `clv` module.

fn main() {}
