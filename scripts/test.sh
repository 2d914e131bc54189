#!/usr/bin/env bash
# The whole test suite: installs the tools it needs, builds the guest
# programs, then runs every test of every crate (unit tests, the
# interpreter-versus-JIT and QEMU differential tests, the random-instruction
# tester). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-tools.sh
make -s -C tests/guest
cargo test --workspace "$@"
