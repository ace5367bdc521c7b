//! Benchmarks of the `model` module.

fn main() {}
