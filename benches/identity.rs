//! Benchmarks of the `identity` module.

fn main() {}
