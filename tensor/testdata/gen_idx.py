# Writes the small IDX fixtures that tensor/idx_test.go reads, with Python's
# struct and gzip modules as an encoder independent of the Go code. Element
# (i, j, k) of each 2x3x4 array has value 12i + 4j + k before scaling. Run
# from tensor/testdata with Python 3.11 (no NumPy needed):
#
#     /usr/bin/python3 gen_idx.py
import gzip
import struct

values = list(range(24))


def idx(code, fmt, vals, shape=(2, 3, 4)):
    head = bytes([0, 0, code, len(shape)]) + struct.pack(">%dI" % len(shape), *shape)
    return head + struct.pack(">%d%s" % (len(vals), fmt), *vals)


with open("idx_u8_2x3x4.idx", "wb") as f:
    f.write(idx(0x08, "B", [v * 10 for v in values]))
with open("idx_i16_2x3x4.idx", "wb") as f:
    f.write(idx(0x0B, "h", [v * 1000 - 7000 for v in values]))
with open("idx_f64_2x3x4.idx", "wb") as f:
    f.write(idx(0x0E, "d", [v / 4 - 2.5 for v in values]))
with gzip.open("idx_f32_2x3x4.idx.gz", "wb") as f:
    f.write(idx(0x0D, "f", [v / 4 - 2.5 for v in values]))
