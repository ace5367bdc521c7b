//! Benchmarks of the `segment` module.

fn main() {}
