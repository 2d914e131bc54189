#!/usr/bin/env bash
# Lockstep's main job on the default machine (arm-virt).
#
# Today: build Lockstep and the guest workloads, then run every workload on
# the interpreter, the JIT and QEMU side by side (`lockstep bench`). When
# the Linux boot and record/replay land, this records and replays a Debian
# Linux boot instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-tools.sh
cargo build --release
make -s -C tests/guest
echo "== hello, on the JIT =="
./target/release/lockstep -M virt -m 128M -semihosting -kernel target/guest/tests/hello.elf || true
echo
echo "== lockstep bench =="
./target/release/lockstep bench "$@"
