#!/usr/bin/env bash
# Fetches Debian 12's stock 32-bit ARM kernels (armmp and armmp-lpae) and
# a static busybox from Debian's archive and builds the guest images
# Lockstep's arm-virt machine boots: the kernels' zImages and a small
# busybox initramfs. See
# docs/guest-images.md for what is in them and how they boot on QEMU.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/fetch-guest.sh [--arch arm|i386] [--refresh] [--check [--save-logs DIR]]

Fetches Debian 12's armmp kernel (linux-image-6.1.0-<abi>-armmp:armhf),
its LPAE build (linux-image-6.1.0-<abi>-armmp-lpae:armhf), busybox-static:armhf (Thumb-2 and VFP code, as Debian's armhf userland is)
and busybox-static:armel (ARM code without floating point) with apt-get
download, verifies them against the package index, and builds in the
cache directory
    ${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockstep}/guest/arm/
  vmlinuz          the kernel's zImage
  vmlinuz-lpae     the LPAE kernel's zImage (long-descriptor page tables)
  initrd.gz        gzip'd newc initramfs: armhf busybox, /init, virtio modules
  initrd-armel.gz  the same with the armel busybox
  config           the kernel's build configuration
  manifest.txt     package versions and sha256 of every input and output
On success it prints one key=path line per file on stdout:
  kernel=, kernel_lpae=, initrd=, initrd_armel=, config=, manifest=
Progress and errors go to stderr. A run that finds everything already built
(checked against a stamp file) uses no network and returns at once.

With --arch i386 it fetches Debian 12's 686 kernel
(linux-image-6.1.0-<abi>-686:i386, a bzImage for the pc machine) and
busybox-static:i386 instead, and builds in .../guest/i386/:
  vmlinuz, initrd.gz, config, manifest.txt (printed as kernel=, initrd=,
  config=, manifest=); the initramfs holds no modules (the pc machine has
  no virtio devices yet).

The initramfs /init looks at the kernel command line:
  (default)        prints LOCKSTEP-BOOT-OK, then powers off
  lockstep.virtio  first loads virtio_mmio, virtio_blk, virtio-rng; prints
                   "LOCKSTEP-DISK <sha256> <bytes>" for /dev/vda and
                   "LOCKSTEP-RNG <32 hex digits>" from /dev/hwrng
  lockstep.shell   an interactive shell on the console instead of the
                   marker; powers off when the shell exits

Options:
  --arch A         the guest architecture: arm (default) or i386
  --refresh        run apt-get update, pick the newest kernel again and
                   rebuild, even if the cache is complete
  --check          afterwards boot the images on qemu-system-arm (installed
                   if missing): plain, shell, virtio and LPAE boots; check what they print
  --save-logs DIR  with --check: save the four console logs there as
                   qemu-arm-virt-{boot,shell,virtio,lpae-boot}.log
  -h, --help       this text

Environment:
  LOCKSTEP_CACHE        cache root (default ${XDG_CACHE_HOME:-~/.cache}/lockstep)
  LOCKSTEP_KERNEL_PKG   kernel package to use instead of the one the meta
                        package linux-image-armmp:armhf depends on, e.g.
                        linux-image-6.1.0-50-armmp:armhf
  LOCKSTEP_KERNEL_LPAE_PKG  the same for the LPAE kernel (default: the
                        -armmp-lpae build of the kernel above)
  LOCKSTEP_QEMU_TIMEOUT seconds a --check boot may take (default 180)

Needs root or sudo only to add the armhf/armel architectures to dpkg, to
run apt-get update and to install packages (python3, qemu-system-arm).
EOF
}

log() { echo "fetch-guest: $*" >&2; }
# Temporary directories, removed however the script ends.
tmpdirs=()
cleanup() { [ ${#tmpdirs[@]} -eq 0 ] || rm -rf "${tmpdirs[@]}"; }
trap cleanup EXIT
die() { echo "fetch-guest: error: $*" >&2; exit 1; }

refresh=0
check=0
log_dir=""
arch=arm
while [ $# -gt 0 ]; do
    case "$1" in
        --refresh) refresh=1 ;;
        --arch)
            [ $# -ge 2 ] || die "--arch needs arm or i386"
            arch="$2"
            shift
            ;;
        --arch=*) arch="${1#--arch=}" ;;
        --check) check=1 ;;
        --save-logs)
            [ $# -ge 2 ] || die "--save-logs needs a directory"
            log_dir="$2"
            shift
            ;;
        --save-logs=*) log_dir="${1#--save-logs=}" ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
    shift
done
case "$arch" in
    arm | i386) ;;
    *) die "--arch: '$arch' is not arm or i386" ;;
esac
[ "$arch" = arm ] || [ "$check" -eq 0 ] || die "--check boots the ARM images only"
if [ -n "$log_dir" ]; then
    [ -d "$log_dir" ] || die "--save-logs: $log_dir is not a directory"
    log_dir="$(cd "$log_dir" && pwd)"
fi

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
helper="$script_dir/initramfs.py"
[ -f "$helper" ] || die "helper $helper is missing"

home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
cache_root="${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$home/.cache}/lockstep}"
out="$cache_root/guest/$arch"
stamp="$out/stamp"
busybox_pkg="busybox-static:armhf"
busybox_el_pkg="busybox-static:armel"
[ "$arch" = arm ] || busybox_pkg="busybox-static:i386"
kernel_req="${LOCKSTEP_KERNEL_PKG:-auto}"
lpae_req="${LOCKSTEP_KERNEL_LPAE_PKG:-auto}"
qemu_timeout="${LOCKSTEP_QEMU_TIMEOUT:-180}"

# What resolve_all finds out about the two packages.
kernel_pkg="" kernel_ver="" kernel_sha="" kernel_deb=""
lpae_pkg="" lpae_ver="" lpae_sha="" lpae_deb=""
busybox_ver="" busybox_sha="" busybox_deb="" missing=""
busyboxel_ver="" busyboxel_sha="" busyboxel_deb=""

# Outputs and the stdout lines naming them.
outputs=(vmlinuz vmlinuz-lpae initrd.gz initrd-armel.gz config manifest.txt)
[ "$arch" = arm ] || outputs=(vmlinuz initrd.gz config manifest.txt)
print_paths() {
    echo "kernel=$out/vmlinuz"
    [ "$arch" = i386 ] || echo "kernel_lpae=$out/vmlinuz-lpae"
    echo "initrd=$out/initrd.gz"
    [ "$arch" = i386 ] || echo "initrd_armel=$out/initrd-armel.gz"
    echo "config=$out/config"
    echo "manifest=$out/manifest.txt"
}
# What the cache was built for.
request="$kernel_req $lpae_req $busybox_pkg $busybox_el_pkg"
[ "$arch" = arm ] || request="i386 $kernel_req $busybox_pkg"

# What the build depends on besides the packages: this script and its
# helper. A change to either rebuilds the images.
recipe="$(cat "${BASH_SOURCE[0]}" "$helper" | sha256sum | cut -d' ' -f1)"

# The cache is complete when the stamp names this recipe and request and
# every output still has the hash the stamp recorded.
cache_ok() {
    [ -f "$stamp" ] || return 1
    grep -qxF "recipe=$recipe" "$stamp" || return 1
    grep -qxF "request=$request" "$stamp" || return 1
    local f want have
    for f in "${outputs[@]}"; do
        [ -f "$out/$f" ] || return 1
        want="$(sed -n "s/^out:$f=//p" "$stamp")"
        [ -n "$want" ] || return 1
        have="$(sha256sum "$out/$f" | cut -d' ' -f1)"
        [ "$want" = "$have" ] || return 1
    done
}

# ------------------------------------------------------------- privileges

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo -n)
fi
as_root() {
    if [ ${#sudo[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
        die "'$*' needs root: run as root or install sudo"
    fi
    "${sudo[@]}" "$@"
}

apt_updated=0
apt_update() {
    [ "$apt_updated" -eq 0 ] || return 0
    apt_updated=1
    log "apt-get update"
    # A mirror that is half-way through a sync can fail one index while the
    # others are fine: go on with what apt has and fail later, naming the
    # package, if something we need is still missing.
    if ! as_root apt-get update -q >&2; then
        log "warning: apt-get update reported errors (above); going on with the package indexes apt has"
    fi
}

apt_install() {
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "$@" >&2 ||
        { apt_update && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "$@" >&2; } ||
        die "apt-get install $* failed"
}

# ----------------------------------------------------------------- build

# Index entries of the candidate versions of the packages named (apt-cache
# show; each apt-cache call costs a second or more where apt keeps no
# binary cache, as in Debian's container images, so ask once for several).
pkg_records() {
    apt-cache show --no-all-versions "$@" 2>/dev/null
}

# Field $3 of package $2's entry in the records $1 (one field, first match).
record_field() {
    awk -v pkg="$2" -v field="$3" '
        /^Package: / { p = ($2 == pkg) }
        p && index($0, field ": ") == 1 { print substr($0, length(field) + 3); exit }
    ' <<<"$1"
}

resolve_kernel_i386() {
    if [ "$kernel_req" != auto ]; then
        kernel_pkg="$kernel_req"
        case "$kernel_pkg" in *:*) ;; *) kernel_pkg="$kernel_pkg:i386" ;; esac
        return 0
    fi
    local dep
    dep="$(record_field "$(pkg_records linux-image-686:i386)" linux-image-686 Depends)"
    [ -n "$dep" ] || return 1
    kernel_pkg="$(grep -oE 'linux-image-[0-9][^ ,()]*-686' <<<"$dep" | head -n1)"
    [ -n "$kernel_pkg" ] || die "cannot find the kernel package in linux-image-686:i386's Depends: $dep"
    kernel_pkg="$kernel_pkg:i386"
}

resolve_kernel() {
    if [ "$kernel_req" != auto ]; then
        kernel_pkg="$kernel_req"
        case "$kernel_pkg" in *:*) ;; *) kernel_pkg="$kernel_pkg:armhf" ;; esac
        return 0
    fi
    local dep
    dep="$(record_field "$(pkg_records linux-image-armmp:armhf)" linux-image-armmp Depends)"
    [ -n "$dep" ] || return 1
    kernel_pkg="$(grep -oE 'linux-image-[0-9][^ ,()]*-armmp' <<<"$dep" | head -n1)"
    [ -n "$kernel_pkg" ] || die "cannot find the kernel package in linux-image-armmp:armhf's Depends: $dep"
    kernel_pkg="$kernel_pkg:armhf"
    case "$kernel_pkg" in
        linux-image-6.1.0-*-armmp:armhf) ;;
        *) log "warning: $kernel_pkg is not a Debian 12 (6.1.0) kernel" ;;
    esac
}

# The LPAE kernel: the -armmp-lpae build of the same release as the armmp
# kernel, unless LOCKSTEP_KERNEL_LPAE_PKG names one.
resolve_lpae() {
    if [ "$lpae_req" != auto ]; then
        lpae_pkg="$lpae_req"
        case "$lpae_pkg" in *:*) ;; *) lpae_pkg="$lpae_pkg:armhf" ;; esac
        return 0
    fi
    case "$kernel_pkg" in
        *-armmp:armhf) lpae_pkg="${kernel_pkg%:armhf}-lpae:armhf" ;;
        *) die "cannot derive the LPAE kernel from $kernel_pkg: set LOCKSTEP_KERNEL_LPAE_PKG" ;;
    esac
}

# Sets <prefix>_ver, _sha, _deb (the cached path) for a package's candidate
# from the records $3.
resolve_pkg() {
    local prefix="$1" pkg="$2" records="$3" name ver sha file
    name="${pkg%%:*}"
    ver="$(record_field "$records" "$name" Version)"
    sha="$(record_field "$records" "$name" SHA256)"
    file="$(record_field "$records" "$name" Filename)"
    [ -n "$ver" ] && [ -n "$sha" ] && [ -n "$file" ] || return 1
    printf -v "${prefix}_ver" '%s' "$ver"
    printf -v "${prefix}_sha" '%s' "$sha"
    printf -v "${prefix}_deb" '%s' "$out/debs/$(basename "$file")"
}

# Resolves the packages; on failure `missing` names what apt does not have.
resolve_all() {
    if [ "$arch" = i386 ]; then
        missing="linux-image-686:i386"
        resolve_kernel_i386 || return 1
        missing="$kernel_pkg"
        resolve_pkg kernel "$kernel_pkg" "$(pkg_records "$kernel_pkg")" || return 1
        missing="$busybox_pkg"
        resolve_pkg busybox "$busybox_pkg" "$(pkg_records "$busybox_pkg")" || return 1
        missing=""
        return 0
    fi
    local records
    missing="linux-image-armmp:armhf"
    resolve_kernel || return 1
    missing="$kernel_pkg"
    resolve_pkg kernel "$kernel_pkg" "$(pkg_records "$kernel_pkg")" || return 1
    resolve_lpae
    missing="$lpae_pkg"
    resolve_pkg lpae "$lpae_pkg" "$(pkg_records "$lpae_pkg")" || return 1
    missing="$busybox_pkg"
    resolve_pkg busybox "$busybox_pkg" "$(pkg_records "$busybox_pkg")" || return 1
    missing="$busybox_el_pkg"
    resolve_pkg busyboxel "$busybox_el_pkg" "$(pkg_records "$busybox_el_pkg")" || return 1
    missing=""
}

# Downloads $2 (pkg:arch) at version $3 into the cached path $4 unless a
# file with the indexed sha256 $5 is there already.
fetch_deb() {
    local what="$1" pkg="$2" ver="$3" dest="$4" sha="$5" tmp got
    if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$sha" ]; then
        log "$what: $pkg $ver (cached $(basename "$dest"))"
        return 0
    fi
    log "$what: downloading $pkg=$ver"
    tmp="$(mktemp -d "$out/debs/download.XXXXXX")" || die "cannot create a directory in $out/debs"
    tmpdirs+=("$tmp")
    # apt fetches as the unprivileged _apt user when it can write there.
    if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$tmp"
    fi
    if ! (cd "$tmp" && apt-get download -q "$pkg=$ver" >&2); then
        rm -rf "$tmp"
        return 1
    fi
    local debs=("$tmp"/*.deb)
    if [ ! -f "${debs[0]}" ] || [ ${#debs[@]} -ne 1 ]; then
        die "$what: apt-get download $pkg=$ver did not leave exactly one .deb"
    fi
    got="$(sha256sum "${debs[0]}" | cut -d' ' -f1)"
    if [ "$got" != "$sha" ]; then
        rm -rf "$tmp"
        die "$what: sha256 mismatch for $(basename "$dest"): the package index says $sha, the download is $got"
    fi
    mv -f "${debs[0]}" "$dest" || die "cannot move the download to $dest"
    rm -rf "$tmp"
    log "$what: $(basename "$dest") sha256 $got matches the index"
}

# The guest's /init: a busybox sh script.
write_init() {
    cat >"$1" <<'EOF'
#!/bin/sh
# Lockstep guest init, written by scripts/fetch-guest.sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
read -r cmdline </proc/cmdline
has() {
    for w in $cmdline; do
        case "$w" in "$1" | "$1"=*) return 0 ;; esac
    done
    return 1
}

if has lockstep.virtio; then
    kver=$(uname -r)
    while read -r m; do
        insmod "/lib/modules/$kver/$m" || echo "LOCKSTEP-ERROR insmod $m failed"
    done </lib/modules/$kver/lockstep.order
    if [ -b /dev/vda ]; then
        sum=$(sha256sum /dev/vda) && size=$(blockdev --getsize64 /dev/vda) &&
            echo "LOCKSTEP-DISK ${sum%% *} $size" || echo "LOCKSTEP-ERROR reading /dev/vda failed"
    fi
    # /dev/hwrng exists whenever the hw_random core is built in; it only
    # gives data once a backend (here virtio-rng) has registered.
    if [ -c /dev/hwrng ] && [ "$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)" != none ]; then
        hex=$(head -c 16 /dev/hwrng | od -An -v -tx1 | tr -d ' \n')
        if [ ${#hex} -eq 32 ]; then echo "LOCKSTEP-RNG $hex"; else echo "LOCKSTEP-ERROR reading /dev/hwrng failed"; fi
    fi
fi

if has lockstep.shell; then
    # cttyhack opens the real console device (ttyAMA0, ttyS0) so the shell gets a
    # controlling terminal and job control works.
    setsid cttyhack sh
else
    echo LOCKSTEP-BOOT-OK
fi
poweroff -f
echo "LOCKSTEP-ERROR poweroff failed"
exit 1
EOF
}

# Writes the initramfs $3 with the busybox of package file $1 ($2 names
# it in errors), the kernel modules in $root/modules (for release $kver)
# and /init.
make_initrd() {
    local deb="$1" what="$2" dest="$3" bdir busybox applets a
    bdir="$(mktemp -d "$work/busybox.XXXXXX")"
    log "unpacking $(basename "$deb")"
    dpkg -x "$deb" "$bdir" || die "dpkg -x $deb failed"
    busybox="$bdir/bin/busybox"
    [ -f "$busybox" ] || die "$deb: no bin/busybox"
    applets="$(python3 "$helper" applets "$busybox")" || die "listing the applets of $busybox failed"
    for a in sh mount uname insmod sha256sum blockdev head od tr cat setsid cttyhack poweroff; do
        grep -qxF "$a" <<<"$applets" || die "$what: busybox lacks the applet '$a' that /init needs"
    done

    # The archive's contents, in the kernel's gen_init_cpio list format.
    local list="$bdir.list" d rel
    {
        for d in bin dev etc lib lib/modules "lib/modules/$kver" mnt proc root run sbin sys tmp usr usr/bin usr/sbin var; do
            echo "dir /$d 0755 0 0"
        done
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "nod /dev/null 0666 0 0 c 1 3"
        echo "file /init $root/init 0755 0 0"
        echo "file /bin/busybox $busybox 0755 0 0"
        while read -r a; do
            case "$a" in busybox | init | linuxrc) continue ;; esac
            echo "slink /bin/$a busybox 0777 0 0"
        done <<<"$applets"
        (cd "$root/modules" && find . -mindepth 1 -type d | sed 's|^\./||' | sort) | while read -r d; do
            echo "dir /lib/modules/$kver/$d 0755 0 0"
        done
        (cd "$root/modules" && find . -type f | sed 's|^\./||' | sort) | while read -r rel; do
            echo "file /lib/modules/$kver/$rel $root/modules/$rel 0644 0 0"
        done
    } >"$list"
    python3 "$helper" cpio "$list" "$dest" || die "writing the initramfs from $list failed"
}

# The i386 images: the bzImage, an initramfs without modules, the config.
build_i386() {
    local work kdir kver
    work="$(mktemp -d "$out/build.XXXXXX")" || die "cannot create a build directory in $out"
    tmpdirs+=("$work")
    kdir="$work/kernel"
    log "unpacking $(basename "$kernel_deb")"
    dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$(mkdir -p "$kdir" && echo "$kdir")" ./boot ||
        die "extracting boot/ from $kernel_deb failed"
    local images=("$kdir"/boot/vmlinuz-*)
    if [ ! -f "${images[0]}" ] || [ ${#images[@]} -ne 1 ]; then
        die "$kernel_deb: expected one boot/vmlinuz-* in the package"
    fi
    kver="${images[0]##*/vmlinuz-}"
    [ -f "$kdir/boot/config-$kver" ] || die "$kernel_deb: no boot/config-$kver"
    log "kernel release $kver"
    local root="$work/root"
    mkdir -p "$root/modules"
    : >"$root/modules/lockstep.order"
    write_init "$root/init"
    make_initrd "$busybox_deb" "$busybox_pkg" "$work/initrd.gz"
    cp "${images[0]}" "$work/vmlinuz"
    cp "$kdir/boot/config-$kver" "$work/config"
    local f
    {
        echo "# Lockstep i386 guest images, built by scripts/fetch-guest.sh --arch i386"
        echo "package $kernel_pkg $kernel_ver $(basename "$kernel_deb") sha256=$kernel_sha"
        echo "package $busybox_pkg $busybox_ver $(basename "$busybox_deb") sha256=$busybox_sha"
        echo "kernel-release $kver"
        for f in vmlinuz initrd.gz config; do
            echo "file $f sha256=$(sha256sum "$work/$f" | cut -d' ' -f1) size=$(stat -c %s "$work/$f")"
        done
    } >"$work/manifest.txt"
    rm -f "$stamp"
    for f in "${outputs[@]}"; do
        mv -f "$work/$f" "$out/$f"
    done
    {
        echo "recipe=$recipe"
        echo "request=$request"
        echo "kernel=$kernel_pkg $kernel_ver"
        echo "busybox=$busybox_pkg $busybox_ver"
        for f in "${outputs[@]}"; do
            echo "out:$f=$(sha256sum "$out/$f" | cut -d' ' -f1)"
        done
    } >"$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"
    for f in "$out"/debs/*.deb; do
        [ -e "$f" ] || continue
        [ "$f" = "$kernel_deb" ] || [ "$f" = "$busybox_deb" ] || rm -f "$f"
    done
    rm -rf "$work"
    log "built $out/vmlinuz and $out/initrd.gz ($kernel_pkg $kernel_ver, $busybox_pkg $busybox_ver)"
}

build() {
    local work kdir moddir kver
    work="$(mktemp -d "$out/build.XXXXXX")" || die "cannot create a build directory in $out"
    tmpdirs+=("$work")
    kdir="$work/kernel"

    log "unpacking $(basename "$kernel_deb")"
    dpkg -x "$kernel_deb" "$kdir" || die "dpkg -x $kernel_deb failed"

    local zimages=("$kdir"/boot/vmlinuz-*)
    if [ ! -f "${zimages[0]}" ] || [ ${#zimages[@]} -ne 1 ]; then
        die "$kernel_deb: expected one boot/vmlinuz-* in the package"
    fi
    kver="${zimages[0]##*/vmlinuz-}"
    moddir="$kdir/lib/modules/$kver"
    [ -d "$moddir" ] || die "$kernel_deb: no lib/modules/$kver"
    [ -f "$kdir/boot/config-$kver" ] || die "$kernel_deb: no boot/config-$kver"
    log "kernel release $kver"

    # The modules virtio-mmio block and rng need; virtio and virtio_ring are
    # built into the armmp kernel and skipped by the helper.
    local root="$work/root" mods
    mkdir -p "$root/modules"
    mods="$(python3 "$helper" modules "$moddir" "$root/modules" virtio virtio_ring virtio_mmio virtio_blk virtio-rng)" ||
        die "resolving modules in $kernel_deb failed"
    printf '%s\n' "$mods" >"$root/modules/lockstep.order"
    write_init "$root/init"

    make_initrd "$busybox_deb" "$busybox_pkg" "$work/initrd.gz"
    make_initrd "$busyboxel_deb" "$busybox_el_pkg" "$work/initrd-armel.gz"

    cp "${zimages[0]}" "$work/vmlinuz"

    # Of the LPAE kernel only the zImage is used (the initramfs modules are
    # the armmp kernel's; the LPAE boots load none).
    local ldir="$work/lpae"
    mkdir -p "$ldir"
    log "unpacking boot/ of $(basename "$lpae_deb")"
    dpkg-deb --fsys-tarfile "$lpae_deb" | tar -x -C "$ldir" ./boot ||
        die "extracting boot/ from $lpae_deb failed"
    local lzimages=("$ldir"/boot/vmlinuz-*)
    if [ ! -f "${lzimages[0]}" ] || [ ${#lzimages[@]} -ne 1 ]; then
        die "$lpae_deb: expected one boot/vmlinuz-* in the package"
    fi
    cp "${lzimages[0]}" "$work/vmlinuz-lpae"
    cp "$kdir/boot/config-$kver" "$work/config"

    local f
    {
        echo "# Lockstep ARM guest images, built by scripts/fetch-guest.sh"
        echo "package $kernel_pkg $kernel_ver $(basename "$kernel_deb") sha256=$kernel_sha"
        echo "package $lpae_pkg $lpae_ver $(basename "$lpae_deb") sha256=$lpae_sha"
        echo "package $busybox_pkg $busybox_ver $(basename "$busybox_deb") sha256=$busybox_sha"
        echo "package $busybox_el_pkg $busyboxel_ver $(basename "$busyboxel_deb") sha256=$busyboxel_sha"
        echo "kernel-release $kver"
        echo "initramfs-modules $(tr '\n' ' ' <"$root/modules/lockstep.order" | sed 's/ $//')"
        for f in vmlinuz vmlinuz-lpae initrd.gz initrd-armel.gz config; do
            echo "file $f sha256=$(sha256sum "$work/$f" | cut -d' ' -f1) size=$(stat -c %s "$work/$f")"
        done
    } >"$work/manifest.txt"

    rm -f "$stamp"
    for f in "${outputs[@]}"; do
        mv -f "$work/$f" "$out/$f"
    done
    {
        echo "recipe=$recipe"
        echo "request=$request"
        echo "kernel=$kernel_pkg $kernel_ver, $lpae_pkg $lpae_ver"
        echo "busybox=$busybox_pkg $busybox_ver, $busybox_el_pkg $busyboxel_ver"
        for f in "${outputs[@]}"; do
            echo "out:$f=$(sha256sum "$out/$f" | cut -d' ' -f1)"
        done
    } >"$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"

    # Keep only the packages this build used.
    for f in "$out"/debs/*.deb; do
        [ -e "$f" ] || continue
        [ "$f" = "$kernel_deb" ] || [ "$f" = "$lpae_deb" ] || [ "$f" = "$busybox_deb" ] || [ "$f" = "$busyboxel_deb" ] || rm -f "$f"
    done
    rm -rf "$work"
    log "built $out/vmlinuz, $out/vmlinuz-lpae, $out/initrd.gz and $out/initrd-armel.gz ($kernel_pkg $kernel_ver, $lpae_pkg $lpae_ver, $busybox_pkg $busybox_ver, $busybox_el_pkg $busyboxel_ver)"
}

fetch_and_build() {
    if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
        die "this script needs a Debian system (apt-get and dpkg)"
    fi
    command -v python3 >/dev/null || apt_install python3

    # apt-get update runs only when needed: a new architecture (no package
    # lists for it yet), --refresh, a package apt does not know, or a
    # download that fails.
    local a need_update="$refresh" foreign=(armhf armel)
    [ "$arch" = arm ] || foreign=(i386)
    for a in "${foreign[@]}"; do
        if [ "$(dpkg --print-architecture)" != "$a" ] && ! dpkg --print-foreign-architectures | grep -qx "$a"; then
            log "dpkg --add-architecture $a"
            as_root dpkg --add-architecture "$a" || die "dpkg --add-architecture $a failed"
            need_update=1
        fi
    done
    if [ "$need_update" -eq 1 ]; then
        apt_update
    fi
    if ! resolve_all; then
        apt_update
        resolve_all || die "apt knows no version of $missing (see 'apt-cache policy $missing' and /etc/apt/sources.list)"
    fi
    if [ "$arch" = i386 ]; then
        log "kernel: $kernel_pkg $kernel_ver; busybox: $busybox_pkg $busybox_ver"
        mkdir -p "$out/debs"
        if ! fetch_deb kernel "$kernel_pkg" "$kernel_ver" "$kernel_deb" "$kernel_sha" ||
            ! fetch_deb busybox "$busybox_pkg" "$busybox_ver" "$busybox_deb" "$busybox_sha"; then
            [ "$apt_updated" -eq 0 ] || die "apt-get download failed (see above)"
            apt_update
            resolve_all || die "apt knows no version of $missing after apt-get update"
            fetch_deb kernel "$kernel_pkg" "$kernel_ver" "$kernel_deb" "$kernel_sha" || die "apt-get download $kernel_pkg=$kernel_ver failed"
            fetch_deb busybox "$busybox_pkg" "$busybox_ver" "$busybox_deb" "$busybox_sha" || die "apt-get download $busybox_pkg=$busybox_ver failed"
        fi
        build_i386
        return
    fi
    log "kernel: $kernel_pkg $kernel_ver ($([ "$kernel_req" = auto ] && echo "what linux-image-armmp:armhf depends on" || echo "LOCKSTEP_KERNEL_PKG"))"
    log "LPAE kernel: $lpae_pkg $lpae_ver"
    log "busybox: $busybox_pkg $busybox_ver, $busybox_el_pkg $busyboxel_ver"

    mkdir -p "$out/debs"
    # A failed download usually means an index older than the archive:
    # update once and resolve again.
    if ! fetch_deb kernel "$kernel_pkg" "$kernel_ver" "$kernel_deb" "$kernel_sha" ||
        ! fetch_deb kernel "$lpae_pkg" "$lpae_ver" "$lpae_deb" "$lpae_sha" ||
        ! fetch_deb busybox "$busybox_pkg" "$busybox_ver" "$busybox_deb" "$busybox_sha" ||
        ! fetch_deb busybox "$busybox_el_pkg" "$busyboxel_ver" "$busyboxel_deb" "$busyboxel_sha"; then
        [ "$apt_updated" -eq 0 ] || die "apt-get download failed (see above)"
        apt_update
        resolve_all || die "apt knows no version of $missing after apt-get update"
        fetch_deb kernel "$kernel_pkg" "$kernel_ver" "$kernel_deb" "$kernel_sha" || die "apt-get download $kernel_pkg=$kernel_ver failed"
        fetch_deb kernel "$lpae_pkg" "$lpae_ver" "$lpae_deb" "$lpae_sha" || die "apt-get download $lpae_pkg=$lpae_ver failed"
        fetch_deb busybox "$busybox_pkg" "$busybox_ver" "$busybox_deb" "$busybox_sha" || die "apt-get download $busybox_pkg=$busybox_ver failed"
        fetch_deb busybox "$busybox_el_pkg" "$busyboxel_ver" "$busyboxel_deb" "$busyboxel_sha" || die "apt-get download $busybox_el_pkg=$busyboxel_ver failed"
    fi
    build
}

# ------------------------------------------------------------------ check

# Boots the images on qemu-system-arm. $1: extra -append words, $2: log
# file; further arguments go to QEMU. Input comes from stdin.
qemu_boot() {
    local append="$1" logf="$2"
    shift 2
    local kernel="${QEMU_KERNEL:-$out/vmlinuz}"
    # -nic none: no default virtio-net-pci NIC, which the guest does not need
    # and which makes QEMU fail without the ipxe-qemu ROMs (efi-virtio.rom).
    timeout "$qemu_timeout" qemu-system-arm -M virt -cpu cortex-a15 -m 512M -nographic -nic none \
        -kernel "$kernel" -initrd "$out/initrd.gz" \
        -append "console=ttyAMA0${append:+ $append}" -no-reboot "$@" >"$logf" 2>&1
}

# Copies console log $1 to the --save-logs directory as $2, without the
# carriage returns and ash's cursor-position queries (ESC [ 6 n).
save_log() {
    [ -n "$log_dir" ] || return 0
    tr -d '\r' <"$1" | sed 's/\x1b\[6n//g' >"$log_dir/$2" || die "cannot write $log_dir/$2"
    log "saved $log_dir/$2"
}

run_checks() {
    command -v qemu-system-arm >/dev/null || apt_install qemu-system-arm
    local tmp rc t0 t1 secs
    tmp="$(mktemp -d)" || die "mktemp failed"
    tmpdirs+=("$tmp")
    log "QEMU: $(qemu-system-arm --version | head -n1)"

    # 1. The plain boot: marker, then QEMU exits by itself.
    log "check 1/4: plain boot"
    t0=$(date +%s.%N)
    rc=0
    qemu_boot "" "$tmp/boot.log" </dev/null || rc=$?
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    save_log "$tmp/boot.log" qemu-arm-virt-boot.log
    [ "$rc" -eq 0 ] || { tail -n 20 "$tmp/boot.log" >&2; die "check 1: QEMU exited with status $rc (124: timeout after ${qemu_timeout}s)"; }
    tr -d '\r' <"$tmp/boot.log" | grep -qx LOCKSTEP-BOOT-OK || { tail -n 20 "$tmp/boot.log" >&2; die "check 1: no LOCKSTEP-BOOT-OK line"; }
    log "check 1/4: LOCKSTEP-BOOT-OK, QEMU powered off after ${secs}s"

    # 2. Interactive shell: wait for the prompt, type, power off.
    log "check 2/4: lockstep.shell"
    mkfifo "$tmp/in"
    qemu_boot "lockstep.shell" "$tmp/shell.log" <"$tmp/in" &
    local qpid=$!
    exec 3>"$tmp/in"
    # The prompt ("/ # ", then ash's cursor-position query ESC[6n) follows
    # busybox's banner.
    for _ in $(seq 1 $((qemu_timeout * 5))); do
        tr -d '\r' <"$tmp/shell.log" | sed -n '/built-in shell/,$p' | grep -q '# ' && break
        kill -0 "$qpid" 2>/dev/null || break
        sleep 0.2
    done
    # Typing into a QEMU that has already gone must not kill this script.
    trap '' PIPE
    send() {
        if kill -0 "$qpid" 2>/dev/null; then printf '%s\n' "$1" >&3 2>/dev/null || true; fi
    }
    # shellcheck disable=SC2016 # the guest's shell does the arithmetic
    send 'echo answer=$((6*7))'
    sleep 1
    send 'cat /proc/interrupts'
    sleep 1
    send 'poweroff -f'
    rc=0
    wait "$qpid" || rc=$?
    exec 3>&-
    trap - PIPE
    save_log "$tmp/shell.log" qemu-arm-virt-shell.log
    [ "$rc" -eq 0 ] || { tail -n 20 "$tmp/shell.log" >&2; die "check 2: QEMU exited with status $rc"; }
    tr -d '\r' <"$tmp/shell.log" | grep -qx 'answer=42' || { tail -n 30 "$tmp/shell.log" >&2; die "check 2: the shell did not answer 42"; }
    tr -d '\r' <"$tmp/shell.log" | grep -q 'GIC' || { tail -n 30 "$tmp/shell.log" >&2; die "check 2: /proc/interrupts shows no GIC lines"; }
    if tr -d '\r' <"$tmp/shell.log" | grep -q "can't access tty"; then
        die "check 2: the shell has no controlling terminal"
    fi
    log "check 2/4: shell answered 42, /proc/interrupts listed, powered off"

    # 3. virtio: a disk whose hash we know, and an entropy source.
    log "check 3/4: lockstep.virtio"
    python3 -c 'import sys, hashlib
d = b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(65536))
open(sys.argv[1], "wb").write(d)' "$tmp/disk.img"
    local want size
    want="$(sha256sum "$tmp/disk.img" | cut -d' ' -f1)"
    size="$(stat -c %s "$tmp/disk.img")"
    rc=0
    qemu_boot "lockstep.virtio" "$tmp/virtio.log" </dev/null \
        -drive "if=none,file=$tmp/disk.img,format=raw,id=d0" -device virtio-blk-device,drive=d0 \
        -device virtio-rng-device || rc=$?
    save_log "$tmp/virtio.log" qemu-arm-virt-virtio.log
    [ "$rc" -eq 0 ] || { tail -n 20 "$tmp/virtio.log" >&2; die "check 3: QEMU exited with status $rc"; }
    tr -d '\r' <"$tmp/virtio.log" | grep -qx "LOCKSTEP-DISK $want $size" ||
        { grep -a LOCKSTEP "$tmp/virtio.log" >&2; die "check 3: expected 'LOCKSTEP-DISK $want $size'"; }
    tr -d '\r' <"$tmp/virtio.log" | grep -qxE 'LOCKSTEP-RNG [0-9a-f]{32}' ||
        { grep -a LOCKSTEP "$tmp/virtio.log" >&2; die "check 3: no LOCKSTEP-RNG line"; }
    tr -d '\r' <"$tmp/virtio.log" | grep -qx LOCKSTEP-BOOT-OK || die "check 3: no LOCKSTEP-BOOT-OK line"
    log "check 3/4: disk sha256 $want ($size bytes) matches, $(tr -d '\r' <"$tmp/virtio.log" | grep -a '^LOCKSTEP-RNG')"

    # 4. The LPAE kernel's plain boot.
    log "check 4/4: LPAE kernel, plain boot"
    rc=0
    QEMU_KERNEL="$out/vmlinuz-lpae" qemu_boot "" "$tmp/lpae.log" </dev/null || rc=$?
    save_log "$tmp/lpae.log" qemu-arm-virt-lpae-boot.log
    [ "$rc" -eq 0 ] || { tail -n 20 "$tmp/lpae.log" >&2; die "check 4: QEMU exited with status $rc (124: timeout after ${qemu_timeout}s)"; }
    tr -d '\r' <"$tmp/lpae.log" | grep -q 'Linux version [^ ]*-armmp-lpae' || die "check 4: the kernel is not an armmp-lpae build"
    tr -d '\r' <"$tmp/lpae.log" | grep -qx LOCKSTEP-BOOT-OK || { tail -n 20 "$tmp/lpae.log" >&2; die "check 4: no LOCKSTEP-BOOT-OK line"; }
    log "check 4/4: LOCKSTEP-BOOT-OK from the LPAE kernel"
}

# ------------------------------------------------------------------- main

if [ "$refresh" -eq 0 ] && cache_ok; then
    log "up to date in $out ($(sed -n 's/^kernel=//p' "$stamp"), $(sed -n 's/^busybox=//p' "$stamp"))"
else
    mkdir -p "$out" || die "cannot create the cache directory $out"
    command -v flock >/dev/null || die "flock (util-linux) is missing"
    exec 9>"$out/.lock"
    flock -w 900 9 || die "another fetch-guest.sh has held $out/.lock for 15 minutes"
    # Someone else may have finished the build while we waited.
    if [ "$refresh" -eq 1 ] || ! cache_ok; then
        fetch_and_build
    else
        log "up to date in $out (built by a concurrent run)"
    fi
    exec 9>&-
fi

[ "$check" -eq 0 ] || run_checks
print_paths
