#!/usr/bin/env bash
# Lockstep's main job: record a Debian Linux boot and replay it, then
# compare the two runs. By default on arm-virt (Debian's armmp kernel);
# with --arch i386 on pc (Debian's 686 kernel).
#
# Installs what it needs (cross tools, QEMU), fetches Debian's kernel and
# busybox into the cache (scripts/fetch-guest.sh), builds Lockstep, then:
#   lockstep record  -> a boot to the busybox marker and a power-off
#                       (PSCI on arm-virt, ACPI on pc)
#   lockstep replay  -> the same boot from the log, every digest checked
# Other arguments go to both (e.g. --exec interp).
set -euo pipefail
cd "$(dirname "$0")/.."

arch=arm
if [ "${1:-}" = "--arch" ]; then
    arch="${2:?--arch needs arm or i386}"
    shift 2
fi
case "$arch" in
    arm) machine=(-M virt -m 512M) console=ttyAMA0 board=arm-virt ;;
    i386) machine=(-M pc -m 256M) console=ttyS0 board=pc ;;
    *) echo "main-job: --arch is arm or i386, not '$arch'" >&2; exit 1 ;;
esac

scripts/setup-tools.sh
eval "$(scripts/fetch-guest.sh --arch "$arch")"   # sets kernel=... initrd=... config=... manifest=...
cargo build --release
bin=target/release/lockstep

cache="${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockstep}"
mkdir -p "$cache/runs"
log="$cache/runs/linux-boot-$arch.lsr"
rec_out="$cache/runs/record-$arch.console"
rep_out="$cache/runs/replay-$arch.console"

echo "== recording a Linux boot on $board -> $log" >&2
"$bin" record -o "$log" "${machine[@]}" -kernel "$kernel" -initrd "$initrd" \
    -append "console=$console" --no-input "$@" >"$rec_out" 2>"$rec_out.err" || {
    cat "$rec_out" "$rec_out.err" >&2; echo "main-job: the recording failed" >&2; exit 1; }
grep -q '^LOCKSTEP-BOOT-OK' "$rec_out" || { echo "main-job: the boot did not reach its marker" >&2; exit 1; }
echo "== replaying it" >&2
"$bin" replay "$log" "$@" >"$rep_out" 2>"$rep_out.err" || {
    cat "$rep_out.err" >&2; echo "main-job: the replay failed" >&2; exit 1; }

cmp -s "$rec_out" "$rep_out" && same=yes || same=NO
rec=$(grep -o 'recorded [0-9]* instructions in [0-9.]* s' "$rec_out.err")
rep=$(grep -o 'replay complete: .*' "$rep_out.err")
insns=$(echo "$rec" | awk '{print $2}')
rec_s=$(echo "$rec" | awk '{print $5}')
rep_s=$(echo "$rep" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
matched=$(echo "$rep" | sed -E 's/.*s; (.*) matched/\1/')
size=$(stat -c %s "$log")
echo
echo "Linux boot on $board ($(sed -n 's/^package \(linux-image-[^ ]*\) .*/\1/p' "$manifest" | head -n1), busybox initramfs), recorded and replayed"
printf '  %-28s %s\n' "guest instructions" "$insns"
printf '  %-28s %s s (%s MIPS)\n' "record wall time" "$rec_s" "$(awk "BEGIN{printf \"%.0f\", $insns/$rec_s/1e6}")"
printf '  %-28s %s s (%s MIPS)\n' "replay wall time" "$rep_s" "$(awk "BEGIN{printf \"%.0f\", $insns/$rep_s/1e6}")"
printf '  %-28s %s bytes (%s per 1000 instructions)\n' "log size" "$size" "$(awk "BEGIN{printf \"%.4f\", $size*1000/$insns}")"
printf '  %-28s %s\n' "console output identical" "$same"
printf '  %-28s %s matched\n' "digests and checkpoints" "$matched"
[ "$same" = yes ]
