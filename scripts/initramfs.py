#!/usr/bin/env python3
"""Host-side helpers for scripts/fetch-guest.sh (Python 3 standard library only).

  initramfs.py applets BUSYBOX
      Print the applet names compiled into a busybox binary, one per line.
      The binary is never run, so this works for a foreign architecture.

  initramfs.py modules MODDIR OUTDIR NAME...
      Resolve kernel modules by name (dashes and underscores are equivalent)
      in an unpacked /lib/modules/<release> tree, follow their `depends=`
      entries in .modinfo (Debian kernel packages ship no modules.dep: depmod
      writes it at install time), skip modules listed in modules.builtin,
      copy the rest into OUTDIR (decompressed if they are .ko.xz/.gz/.zst)
      under their path relative to MODDIR, write OUTDIR/modules.dep for
      them, and print their paths in load order (dependencies first).

  initramfs.py cpio LIST OUT
      Write a gzip-compressed "newc" cpio archive from a list in the format
      of the kernel's usr/gen_init_cpio (the subset below), one entry a line:
          dir   <name> <mode> <uid> <gid>
          file  <name> <source> <mode> <uid> <gid>
          slink <name> <target> <mode> <uid> <gid>
          nod   <name> <mode> <uid> <gid> <c|b> <major> <minor>
      Blank lines and lines starting with '#' are ignored. Entries are
      written sorted by path (so every directory precedes its contents), with
      inode numbers given in that order, every mtime set to SOURCE_DATE_EPOCH
      (0 when unset) and a gzip header without a name or time, so the same
      inputs give the same bytes. Device nodes are written into the archive
      directly; nothing is created on the host.
"""

import gzip
import io
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys


class Error(Exception):
    pass


# ---------------------------------------------------------------- applets


def busybox_applets(path):
    """Applet names from busybox's applet_names table: NUL-separated names in
    sorted order, which starts with "[" and "[[" in every usual configuration."""
    data = open(path, "rb").read()
    start = data.find(b"[\0[[\0")
    if start < 0:
        raise Error(f"{path}: no applet name table found (not a busybox binary?)")
    end = data.find(b"\0\0", start)
    names = [n.decode("ascii", "replace") for n in data[start:end].split(b"\0")]
    if len(names) < 10 or names != sorted(names):
        raise Error(f"{path}: applet name table at offset {start:#x} does not look sorted")
    return names


# ---------------------------------------------------------------- modules


def elf_section(data, want, path):
    """Contents of the section named `want` of an ELF file, or None."""
    if data[:4] != b"\x7fELF":
        raise Error(f"{path}: not an ELF file")
    cls, enc = data[4], data[5]
    if cls not in (1, 2) or enc not in (1, 2):
        raise Error(f"{path}: unsupported ELF class/encoding {cls}/{enc}")
    e = "<" if enc == 1 else ">"
    if cls == 1:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2E)
        shfmt = e + "IIIIIIIIII"
    else:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)
        shfmt = e + "IIQQQQIIQQ"
    try:
        shdrs = [struct.unpack_from(shfmt, data, shoff + i * shentsize) for i in range(shnum)]
        strtab = shdrs[shstrndx]
    except (struct.error, IndexError):
        raise Error(f"{path}: section header table out of bounds")
    names = data[strtab[4]:strtab[4] + strtab[5]]
    for sh in shdrs:
        end = names.find(b"\0", sh[0])
        if names[sh[0]:end].decode("ascii", "replace") == want:
            return data[sh[4]:sh[4] + sh[5]]
    return None


def module_name(filename):
    base = os.path.basename(filename)
    base = re.sub(r"\.ko(\.(xz|gz|zst))?$", "", base)
    return base.replace("-", "_")


def read_module(path):
    if path.endswith(".ko"):
        return open(path, "rb").read()
    if path.endswith(".ko.xz"):
        return lzma.decompress(open(path, "rb").read())
    if path.endswith(".ko.gz"):
        return gzip.decompress(open(path, "rb").read())
    if path.endswith(".ko.zst"):
        if not shutil.which("zstd"):
            raise Error(f"{path}: zstd-compressed module but no zstd on PATH (apt-get install zstd)")
        return subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    raise Error(f"{path}: not a kernel module file name")


def modinfo(data, path):
    sec = elf_section(data, ".modinfo", path)
    if sec is None:
        raise Error(f"{path}: no .modinfo section")
    info = {}
    for item in sec.split(b"\0"):
        if b"=" in item:
            k, v = item.decode("utf-8", "replace").split("=", 1)
            info.setdefault(k, v)
    return info


def copy_modules(moddir, outdir, wanted):
    index = {}
    for root, dirs, files in os.walk(moddir):
        dirs.sort()
        for f in sorted(files):
            if re.search(r"\.ko(\.(xz|gz|zst))?$", f):
                rel = os.path.relpath(os.path.join(root, f), moddir)
                index.setdefault(module_name(f), rel)
    if not index:
        raise Error(f"{moddir}: no kernel modules found")
    builtin = set()
    bpath = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bpath):
        builtin = {module_name(l.strip()) for l in open(bpath) if l.strip()}

    order, deps, state = [], {}, {}

    def visit(name, chain):
        name = name.replace("-", "_")
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise Error("module dependency cycle: " + " -> ".join(chain + [name]))
        if name not in index:
            if name in builtin:
                print(f"initramfs.py: {name} is built into the kernel", file=sys.stderr)
                state[name] = "done"
                return
            raise Error(f"{moddir}: module {name} not found" +
                        (f" (needed by {chain[-1]})" if chain else ""))
        state[name] = "visiting"
        src = os.path.join(moddir, index[name])
        data = read_module(src)
        info = modinfo(data, src)
        names = [d for d in info.get("depends", "").split(",") if d]
        for d in names:
            visit(d, chain + [name])
        rel = re.sub(r"\.(xz|gz|zst)$", "", index[name])
        dst = os.path.join(outdir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(data)
        deps[rel] = [d.replace("-", "_") for d in names]
        state[name] = "done"
        order.append(rel)

    for w in wanted:
        visit(w, [])
    byname = {module_name(r): r for r in order}

    def closure(rel, acc):
        for d in deps[rel]:
            if d in byname and byname[d] not in acc:
                closure(byname[d], acc)
                acc.append(byname[d])
        return acc

    with open(os.path.join(outdir, "modules.dep"), "w") as f:
        for rel in order:
            # depmod's format: the module, then all it needs, nearest first.
            f.write(rel + ":" + "".join(" " + d for d in reversed(closure(rel, []))) + "\n")
    return order


# ---------------------------------------------------------------- cpio


def parse_mode(s, where):
    try:
        return int(s, 8)
    except ValueError:
        raise Error(f"{where}: bad mode {s!r}")


def read_list(path):
    entries = {}
    for lineno, line in enumerate(open(path), 1):
        where = f"{path}:{lineno}"
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        kind = f[0]
        arity = {"dir": 5, "file": 6, "slink": 6, "nod": 8}.get(kind)
        if arity is None or len(f) != arity:
            raise Error(f"{where}: cannot parse {line.strip()!r}")
        name = "/" + f[1].strip("/")
        if name == "/" or "//" in name or "/../" in name + "/" or "/./" in name + "/":
            raise Error(f"{where}: bad path {f[1]!r}")
        if name in entries:
            raise Error(f"{where}: {name} listed twice")
        if kind == "dir":
            mode, uid, gid, data, rdev = stat.S_IFDIR | parse_mode(f[2], where), f[3], f[4], b"", (0, 0)
        elif kind == "file":
            try:
                data = open(f[2], "rb").read()
            except OSError as e:
                raise Error(f"{where}: cannot read {f[2]}: {e.strerror}")
            mode, uid, gid, rdev = stat.S_IFREG | parse_mode(f[3], where), f[4], f[5], (0, 0)
        elif kind == "slink":
            mode, uid, gid, data, rdev = stat.S_IFLNK | parse_mode(f[3], where), f[4], f[5], f[2].encode(), (0, 0)
        else:
            if f[5] not in ("c", "b"):
                raise Error(f"{where}: device type must be c or b")
            t = stat.S_IFCHR if f[5] == "c" else stat.S_IFBLK
            mode, uid, gid, data, rdev = t | parse_mode(f[2], where), f[3], f[4], b"", (int(f[6]), int(f[7]))
        entries[name] = (mode, int(uid), int(gid), data, rdev)
    for name in entries:
        parent = os.path.dirname(name)
        if parent != "/" and not (parent in entries and stat.S_ISDIR(entries[parent][0])):
            raise Error(f"{path}: {name}: parent directory {parent} is not listed")
    return entries


def newc_entry(ino, name, mode, uid, gid, nlink, mtime, data, rdev):
    name_b = name.encode() + b"\0"
    fields = (ino, mode, uid, gid, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
    hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def write_cpio(listfile, out):
    entries = read_list(listfile)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    buf = io.BytesIO()
    for ino, name in enumerate(sorted(entries, key=lambda n: n.split("/")), 1):
        mode, uid, gid, data, rdev = entries[name]
        nlink = 2 if stat.S_ISDIR(mode) else 1
        buf.write(newc_entry(ino, name.lstrip("/"), mode, uid, gid, nlink, mtime, data, rdev))
    buf.write(newc_entry(0, "TRAILER!!!", 0, 0, 0, 1, 0, b"", (0, 0)))
    raw = buf.getvalue()
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as z:
            z.write(raw)
    os.replace(tmp, out)
    print(f"initramfs.py: {out}: {len(entries)} entries, {len(raw)} bytes uncompressed",
          file=sys.stderr)


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        if len(argv) == 3 and argv[1] == "applets":
            print("\n".join(busybox_applets(argv[2])))
        elif len(argv) >= 5 and argv[1] == "modules":
            print("\n".join(copy_modules(argv[2], argv[3], argv[4:])))
        elif len(argv) == 4 and argv[1] == "cpio":
            write_cpio(argv[2], argv[3])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (Error, OSError, lzma.LZMAError, subprocess.CalledProcessError) as e:
        print(f"initramfs.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
