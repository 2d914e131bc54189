//! `lockstep bench`: placeholder replaced below.
use crate::cli::BenchArgs;
/// Runs the benchmarks.
pub fn run(_a: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
