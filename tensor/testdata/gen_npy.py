# Writes the small NumPy fixtures that tensor/npy_test.go reads. The test
# recomputes each array's values from the same formula, so a regenerated
# file must keep them. Run from tensor/testdata with NumPy 1.24:
#
#     /usr/bin/python3 gen_npy.py
import numpy as np

base = np.arange(24).reshape(2, 3, 4)  # value of element (i, j, k) is 12i + 4j + k


def save(name, arr, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


save("np_f4_2x3x4.npy", (base / 4 - 2.5).astype("<f4"))
save("np_f8_2x3x4.npy", (base / 4 - 2.5).astype("<f8"))
save("np_f8_be_2x3x4.npy", (base / 4 - 2.5).astype(">f8"))
save("np_i8_fortran_2x3x4.npy", np.asfortranarray((base - 10).astype("<i8")))
save("np_f4_fortran_be_2x3x4.npy", np.asfortranarray((base / 4 - 2.5).astype(">f4")))
save("np_u1_2x3x4.npy", (base * 10).astype("|u1"))
save("np_i4_be_2x3x4.npy", (base * 1000 - 7000).astype(">i4"))
save("np_f2_2x3x4.npy", (base / 4 - 2.5).astype("<f2"))
save("np_b1_2x3x4.npy", (base % 3 == 0))
save("np_f4_v2_2x3x4.npy", (base / 4 - 2.5).astype("<f4"), version=(2, 0))
save("np_f4_v3_2x3x4.npy", (base / 4 - 2.5).astype("<f4"), version=(3, 0))
save("np_f4_scalar.npy", np.array(3.25, dtype="<f4"))
save("np_f8_empty_0x3.npy", np.zeros((0, 3), dtype="<f8"))
save("np_c8_complex.npy", np.zeros(2, dtype="<c8"))
