#!/usr/bin/env bash
# Installs what building and testing Lockstep needs beyond the Rust
# toolchain: Debian's ARM and i686 cross toolchains (to build the guest
# programs), QEMU for both (the reference machines for differential
# tests) and make.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v make >/dev/null || need+=(make)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v i686-linux-gnu-gcc >/dev/null || need+=(gcc-i686-linux-gnu binutils-i686-linux-gnu)
command -v qemu-system-i386 >/dev/null || need+=(qemu-system-x86)

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
