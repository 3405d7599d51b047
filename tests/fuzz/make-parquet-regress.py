#!/usr/bin/env python3
"""make-parquet-regress.py DIR - write the damaged Parquet files that
tests/fuzz/regress/parquet holds (make check replays them through
replay_parquet, under ASan in the sanitizer build): each is a small valid
file built here from the specification, then broken in one way.  Kept so
the corpus can be rebuilt and extended; the files themselves are
committed."""
import os, struct, sys

def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7f) | 0x80]); n >>= 7
    return out + bytes([n])

def zz(n): return varint((n << 1) ^ (n >> 63))

class S:   # a thrift compact struct: fields in id order
    def __init__(self): self.b = b""; self.last = 0
    def f(self, fid, t):
        d = fid - self.last
        self.b += bytes([(d << 4) | t]) if 0 < d <= 15 else bytes([t]) + zz(fid)
        self.last = fid; return self
    def i32(self, fid, v): self.f(fid, 5); self.b += zz(v); return self
    def i64(self, fid, v): self.f(fid, 6); self.b += zz(v); return self
    def bin(self, fid, v): self.f(fid, 8); self.b += varint(len(v)) + v; return self
    def st(self, fid, s): self.f(fid, 12); self.b += s.end(); return self
    def lst(self, fid, t, items, count=None):
        self.f(fid, 9); n = len(items) if count is None else count
        self.b += bytes([(n << 4) | t]) if n < 15 else bytes([0xf0 | t]) + varint(n)
        for it in items: self.b += it
        return self
    def end(self): return self.b + b"\x00"

def page(values, num=None, usize=None, csize=None, enc=0):
    """A DATA_PAGE of an OPTIONAL column: levels (RLE run of 1s), values."""
    n = len(values) // 4 if num is None else num
    levels = varint(n << 1) + b"\x01"
    body = struct.pack("<I", len(levels)) + levels + values
    dph = S().i32(1, n).i32(2, enc).i32(3, 3).i32(4, 3)
    h = S().i32(1, 0).i32(2, len(body) if usize is None else usize) \
        .i32(3, len(body) if csize is None else csize).st(5, dph).end()
    return h + body

def build(rows=3, data_off=None, size=None, codec=0, pg=None, schema=None, nrows=None,
          footer=None, extra=b""):
    vals = b"".join(struct.pack("<i", k * 7) for k in range(rows))
    pg = page(vals) if pg is None else pg
    body = b"PAR1" + pg + extra
    cmd = S().i32(1, 1).lst(2, 5, [zz(0), zz(3)]).lst(3, 8, [varint(1) + b"n"]).i32(4, codec) \
        .i64(5, rows).i64(6, len(pg)).i64(7, len(pg) if size is None else size) \
        .i64(9, 4 if data_off is None else data_off)
    cc = S().i64(2, 4).st(3, cmd).end()
    rg = S().lst(1, 12, [cc]).i64(2, len(pg)).i64(3, rows if nrows is None else nrows).end()
    root = S().bin(4, b"schema").i32(5, 1).end()
    leaf = S().i32(1, 1).i32(3, 1).bin(4, b"n").end() if schema is None else schema
    fm = S().i32(1, 1).lst(2, 12, [root, leaf]).i64(3, rows).lst(4, 12, [rg]).end() \
        if footer is None else footer
    return body + fm + struct.pack("<I", len(fm)) + b"PAR1"

def main(d):
    good = build()
    cases = {
        "good-int32": good,
        "empty": b"",
        "magic-only": b"PAR1PAR1",
        "truncated-footer": good[:len(good) - 20],
        "truncated-half": good[:len(good) // 2],
        "wrong-magic-head": b"PAR0" + good[4:],
        "wrong-magic-tail": good[:-4] + b"PAR0",
        "footer-length-huge": good[:-8] + struct.pack("<I", 0xfffffff0) + b"PAR1",
        "footer-length-zero": good[:-8] + struct.pack("<I", 0) + b"PAR1",
        "data-offset-past-end": build(data_off=1 << 40),
        "data-offset-negative": build(data_off=-5),
        "data-offset-in-footer": build(data_off=len(good) - 30),
        "chunk-size-huge": build(size=1 << 62),
        "page-size-huge": build(pg=page(b"\x00" * 12, usize=0x7fffffff, csize=0x7fffffff)),
        "page-csize-past-chunk": build(pg=page(b"\x00" * 12, csize=5000)),
        "page-values-huge": build(pg=page(b"\x00" * 12, num=0x7fffffff)),
        "page-values-more-than-data": build(pg=page(b"\x00" * 12, num=1000), nrows=1000),
        "rows-more-than-values": build(nrows=1 << 40),
        "rows-negative": build(nrows=-1),
        "unknown-codec": build(codec=4),
        "unknown-encoding": build(pg=page(b"\x00" * 12, enc=5)),
        "dictionary-without-dictionary": build(pg=page(b"\x02\x06\x00", num=3, enc=8)),
        "nested-schema": build(schema=S().bin(4, b"n").i32(5, 2).end()),
        "repeated-column": build(schema=S().i32(1, 1).i32(3, 2).bin(4, b"n").end()),
        "unknown-type": build(schema=S().i32(1, 99).i32(3, 1).bin(4, b"n").end()),
        "thrift-list-huge": build(footer=S().i32(1, 1).lst(2, 12, [], count=1 << 31).end()),
        "thrift-bad-type": build(footer=b"\x1d\x00"),
        "thrift-deep": build(footer=b"\x1c" * 5000),
        "thrift-string-huge": build(footer=S().i32(1, 1).f(6, 8).b + varint(1 << 40) + b"x"),
        "thrift-varint-long": build(footer=b"\x15" + b"\xff" * 20),
        "gzip-corrupt": build(codec=2),
        "zstd-corrupt": build(codec=6),
        "snappy-corrupt": build(codec=1),
    }
    os.makedirs(d, exist_ok=True)
    for name, data in cases.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

main(sys.argv[1])
