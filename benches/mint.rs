//! Minting benchmarks (placeholder until the benches are written).

fn main() {}
