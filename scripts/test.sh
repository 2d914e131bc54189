#!/usr/bin/env bash
# The whole test suite: installs the tools it needs (Debian's ARM and
# i686 cross toolchains, QEMU), fetches the Debian guest images (ARM and
# i386) into the cache, builds
# the guest programs, then runs every test of every crate in the release
# profile (unit tests, the interpreter-versus-JIT and QEMU differential
# tests, the random-instruction tester, the Linux boots and the
# record/replay round trips). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-tools.sh
scripts/fetch-guest.sh >/dev/null
scripts/fetch-guest.sh --arch i386 >/dev/null
make -s -C tests/guest
cargo test --workspace --release "$@"
