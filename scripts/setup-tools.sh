#!/usr/bin/env bash
# Installs what building and testing Lockstep needs beyond the Rust
# toolchain: Debian's ARM cross toolchain (to build the guest programs),
# QEMU (the reference machine for differential tests) and make.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v make >/dev/null || need+=(make)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "setup-tools: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
