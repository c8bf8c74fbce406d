#!/usr/bin/env python3
"""make-hostile.py SRC-ELF OUTDIR - write damaged copies of an ELF file.

Deterministic (seeded), so a failure can be reproduced from the file
name: truncations, section and program header tables pointing outside
the file or claiming huge counts, sections with huge sizes or offsets,
a string table index out of range, a compressed section claiming an
enormous size, a .gnu_debuglink naming the file itself, and byte flips
in the headers and in the debug sections.
"""
import os
import random
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
os.makedirs(out, exist_ok=True)


def put(name, b):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(b))


# ELF64 little-endian header fields
e_phoff, = struct.unpack_from("<Q", data, 0x20)
e_shoff, = struct.unpack_from("<Q", data, 0x28)
e_phnum, = struct.unpack_from("<H", data, 0x38)
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)


def shdr(i):
    return e_shoff + i * e_shentsize


def name_of(i):
    stroff, = struct.unpack_from("<Q", data, shdr(e_shstrndx) + 0x18)
    nameoff, = struct.unpack_from("<I", data, shdr(i))
    end = data.index(b"\0", stroff + nameoff)
    return data[stroff + nameoff:end].decode(errors="replace")


sections = {name_of(i): i for i in range(e_shnum)}

for n in (16, 64, 1000, len(data) // 2, len(data) - 1):
    put("trunc-%d" % n, data[:n])

for field, off, fmt, val in (("shoff-eof", 0x28, "<Q", len(data) + 4096),
                             ("shoff-huge", 0x28, "<Q", 1 << 62),
                             ("phoff-eof", 0x20, "<Q", len(data) + 4096),
                             ("shnum-max", 0x3C, "<H", 0xFFFF),
                             ("phnum-max", 0x38, "<H", 0xFFFF),
                             ("shstrndx-bad", 0x3E, "<H", 0xFFFE),
                             ("shentsize-0", 0x3A, "<H", 0)):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, val)
    put(field, b)

for name, i in sorted(sections.items()):
    if not name.startswith((".debug", ".symtab", ".strtab", ".eh_frame", ".dynsym",
                            ".gnu_debuglink", ".note", ".gopclntab", ".go.buildinfo",
                            ".data.rel.ro.gopclntab")):
        continue
    safe = name.strip(".").replace(".", "_")
    b = bytearray(data)
    struct.pack_into("<Q", b, shdr(i) + 0x20, 1 << 40)          # sh_size
    put("size-huge-" + safe, b)
    b = bytearray(data)
    struct.pack_into("<Q", b, shdr(i) + 0x18, len(data) + 1)    # sh_offset
    put("offset-eof-" + safe, b)
    b = bytearray(data)
    struct.pack_into("<Q", b, shdr(i) + 0x38, 1 << 40)          # sh_entsize
    put("entsize-huge-" + safe, b)

# a compressed section whose header claims a terabyte
if ".debug_info" in sections:
    i = sections[".debug_info"]
    off, = struct.unpack_from("<Q", data, shdr(i) + 0x18)
    b = bytearray(data)
    flags, = struct.unpack_from("<Q", b, shdr(i) + 0x08)
    struct.pack_into("<Q", b, shdr(i) + 0x08, flags | 0x800)     # SHF_COMPRESSED
    struct.pack_into("<IIQQ", b, off, 1, 0, 1 << 40, 1)          # Elf64_Chdr zlib
    put("compressed-huge-debug_info", b)

# a .gnu_debuglink that names the file itself
if ".gnu_debuglink" in sections:
    i = sections[".gnu_debuglink"]
    off, = struct.unpack_from("<Q", data, shdr(i) + 0x18)
    b = bytearray(data)
    b[off:off + 13] = b"debuglink-me\0"
    put("debuglink-me", b)

# a Go binary's pclntab: its header's counts and offsets made huge, one
# at a time, and its function table's entries flipped
for pcln in (".gopclntab", ".data.rel.ro.gopclntab"):
    if pcln not in sections:
        continue
    off, = struct.unpack_from("<Q", data, shdr(sections[pcln]) + 0x18)
    for w in range(8):
        b = bytearray(data)
        struct.pack_into("<Q", b, off + 8 + 8 * w, (1 << 62) + w)
        put("pclntab-word-%d" % w, b)
    for w in (1, 0x7fffffff, 0xffffffff):
        b = bytearray(data)
        ft, = struct.unpack_from("<Q", data, off + 8 + 8 * 7)     # pclnOffset
        for e in range(0, 4096, 8):
            if off + ft + e + 8 <= len(b):
                struct.pack_into("<I", b, off + ft + e + 4, w)  # funcoff
        put("pclntab-funcoff-%x" % w, b)
    rng0 = random.Random(20261202)
    size, = struct.unpack_from("<Q", data, shdr(sections[pcln]) + 0x20)
    for k in range(20):
        b = bytearray(data)
        for _ in range(rng0.randint(1, 64)):
            b[off + rng0.randrange(size)] = rng0.randrange(256)
        put("pclntab-flip-%02d" % k, b)

rng = random.Random(20261127)
for k in range(60):
    b = bytearray(data)
    if k % 2 == 0:      # the section header table
        lo, hi = e_shoff, min(len(b), e_shoff + e_shnum * e_shentsize)
    else:               # a debug section, or anywhere
        names = [n for n in sections if n.startswith(".debug")]
        if names:
            i = sections[rng.choice(names)]
            lo, = struct.unpack_from("<Q", b, shdr(i) + 0x18)
            size, = struct.unpack_from("<Q", b, shdr(i) + 0x20)
            hi = min(len(b), lo + size)
        else:
            lo, hi = 0, len(b)
    if hi <= lo:
        lo, hi = 0, len(b)
    for _ in range(rng.randint(1, 16)):
        b[rng.randrange(lo, hi)] = rng.randrange(256)
    put("flip-%02d" % k, b)
