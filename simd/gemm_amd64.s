//go:build !purego

#include "textflag.h"

// The micro-kernels compute one MR x NR tile of C = alpha*A*B + beta*C from
// packed panels; see GemmKernel in level.go for the panel layout. Each keeps
// the whole tile in vector registers while it walks the k dimension four
// steps at a time, then scales by alpha and, unless beta is +0 or -0, adds
// beta times the old C. With beta == 0 the old C is never loaded. The k
// loops issue no prefetches: the panels are read in order and the hardware
// prefetchers keep up (explicit ones measured a few percent slower on an
// Intel Xeon with AVX-512 and 2 MiB of L2 per core). The Rows variants
// read A in place instead of from a packed panel.
//
// Register roles:
//	AX  packed A, advanced by MR floats per k step (R10..R12 in Rows variants)
//	BX  packed B, advanced by NR floats per k step
//	CX  k steps left
//	DI  current row of C
//	DX  ldc in bytes
//	R8  beta's bits, to test for zero without a float compare

// ---------------------------------------------------------------------------
// AVX2 + FMA3, 6 x 16 tile: Y0..Y11 accumulate (row i in Y(2i) and
// Y(2i+1)), Y12 and Y13 hold a row of B, Y14 and Y15 take turns holding a
// broadcast value of A.

#define AVX2_ROW(aoff, bcast, acc0, acc1) \
	VBROADCASTSS aoff(AX), bcast; \
	VFMADD231PS  Y12, bcast, acc0; \
	VFMADD231PS  Y13, bcast, acc1

// AVX2_STEP multiplies step p of the panels (p relative to AX and BX).
#define AVX2_STEP(p) \
	VMOVUPS (p*64)(BX), Y12; \
	VMOVUPS (p*64+32)(BX), Y13; \
	AVX2_ROW(p*24+0, Y14, Y0, Y1); \
	AVX2_ROW(p*24+4, Y15, Y2, Y3); \
	AVX2_ROW(p*24+8, Y14, Y4, Y5); \
	AVX2_ROW(p*24+12, Y15, Y6, Y7); \
	AVX2_ROW(p*24+16, Y14, Y8, Y9); \
	AVX2_ROW(p*24+20, Y15, Y10, Y11)

// AVX2_STORE writes one row of the tile to (DI).
#define AVX2_STORE(acc0, acc1) \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 32(DI); \
	ADDQ    DX, DI

// AVX2_UPDATE adds beta (in Y13) times one row of C to the tile, then
// writes the row.
#define AVX2_UPDATE(acc0, acc1) \
	VFMADD231PS (DI), Y13, acc0; \
	VFMADD231PS 32(DI), Y13, acc1; \
	AVX2_STORE(acc0, acc1)

// func gemm6x16AVX2(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)
// Requires: AVX, AVX2, FMA3
TEXT ·gemm6x16AVX2(SB), NOSPLIT, $0-104
	MOVQ k+0(FP), CX
	MOVQ a_base+16(FP), AX
	MOVQ b_base+40(FP), BX
	MOVQ c_base+72(FP), DI
	MOVQ ldc+96(FP), DX
	SHLQ $2, DX

	// Bring the C tile toward L1 while the k loop runs.
	MOVQ       DI, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	ADDQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	ADDQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	ADDQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	ADDQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	ADDQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JLT  avx2_tail

avx2_loop4:
	AVX2_STEP(0)
	AVX2_STEP(1)
	AVX2_STEP(2)
	AVX2_STEP(3)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  avx2_loop4

avx2_tail:
	TESTQ CX, CX
	JZ    avx2_scale

avx2_loop1:
	AVX2_STEP(0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  avx2_loop1

avx2_scale:
	VBROADCASTSS alpha+8(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7
	VMULPS       Y12, Y8, Y8
	VMULPS       Y12, Y9, Y9
	VMULPS       Y12, Y10, Y10
	VMULPS       Y12, Y11, Y11

	MOVL beta+64(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  avx2_update

	AVX2_STORE(Y0, Y1)
	AVX2_STORE(Y2, Y3)
	AVX2_STORE(Y4, Y5)
	AVX2_STORE(Y6, Y7)
	AVX2_STORE(Y8, Y9)
	AVX2_STORE(Y10, Y11)
	VZEROUPPER
	RET

avx2_update:
	VBROADCASTSS beta+64(FP), Y13
	AVX2_UPDATE(Y0, Y1)
	AVX2_UPDATE(Y2, Y3)
	AVX2_UPDATE(Y4, Y5)
	AVX2_UPDATE(Y6, Y7)
	AVX2_UPDATE(Y8, Y9)
	AVX2_UPDATE(Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX-512F, 12 x 32 tile: Z0..Z23 accumulate (row i in Z(2i) and Z(2i+1)),
// Z24 and Z25 hold a row of B, and each value of A comes in through the
// FMA's embedded broadcast, so no register holds it.

#define Z_ROW(aoff, bcast, acc0, acc1) \
	VBROADCASTSS aoff(AX), bcast; \
	VFMADD231PS  Z24, bcast, acc0; \
	VFMADD231PS  Z25, bcast, acc1

// Z_STEP multiplies step p of the panels (p relative to AX and BX).
#define Z_STEP(p) \
	VMOVUPS (p*128)(BX), Z24; \
	VMOVUPS (p*128+64)(BX), Z25; \
	Z_ROW(p*48+0, Z26, Z0, Z1); \
	Z_ROW(p*48+4, Z27, Z2, Z3); \
	Z_ROW(p*48+8, Z28, Z4, Z5); \
	Z_ROW(p*48+12, Z29, Z6, Z7); \
	Z_ROW(p*48+16, Z30, Z8, Z9); \
	Z_ROW(p*48+20, Z31, Z10, Z11); \
	Z_ROW(p*48+24, Z26, Z12, Z13); \
	Z_ROW(p*48+28, Z27, Z14, Z15); \
	Z_ROW(p*48+32, Z28, Z16, Z17); \
	Z_ROW(p*48+36, Z29, Z18, Z19); \
	Z_ROW(p*48+40, Z30, Z20, Z21); \
	Z_ROW(p*48+44, Z31, Z22, Z23)

#define Z_ZERO(acc0, acc1) \
	VPXORD acc0, acc0, acc0; \
	VPXORD acc1, acc1, acc1

#define Z_SCALE(acc0, acc1) \
	VMULPS Z24, acc0, acc0; \
	VMULPS Z24, acc1, acc1

// Z_STORE writes one row of the tile to (DI).
#define Z_STORE(acc0, acc1) \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	ADDQ    DX, DI

// Z_UPDATE adds beta (in Z25) times one row of C to the tile, then writes
// the row.
#define Z_UPDATE(acc0, acc1) \
	VFMADD231PS (DI), Z25, acc0; \
	VFMADD231PS 64(DI), Z25, acc1; \
	Z_STORE(acc0, acc1)

#define Z_PREFETCH_ROW \
	PREFETCHT0 (R9); \
	PREFETCHT0 64(R9); \
	PREFETCHT0 127(R9); \
	ADDQ       DX, R9

// func gemm12x32AVX512(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)
// Requires: AVX512F
TEXT ·gemm12x32AVX512(SB), NOSPLIT, $0-104
	MOVQ k+0(FP), CX
	MOVQ a_base+16(FP), AX
	MOVQ b_base+40(FP), BX
	MOVQ c_base+72(FP), DI
	MOVQ ldc+96(FP), DX
	SHLQ $2, DX

	// Bring the C tile toward L1 while the k loop runs. A row of 32
	// floats may straddle three cache lines.
	MOVQ DI, R9
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW

	Z_ZERO(Z0, Z1)
	Z_ZERO(Z2, Z3)
	Z_ZERO(Z4, Z5)
	Z_ZERO(Z6, Z7)
	Z_ZERO(Z8, Z9)
	Z_ZERO(Z10, Z11)
	Z_ZERO(Z12, Z13)
	Z_ZERO(Z14, Z15)
	Z_ZERO(Z16, Z17)
	Z_ZERO(Z18, Z19)
	Z_ZERO(Z20, Z21)
	Z_ZERO(Z22, Z23)

	CMPQ CX, $4
	JLT  z_tail

z_loop4:
	Z_STEP(0)
	Z_STEP(1)
	Z_STEP(2)
	Z_STEP(3)
	ADDQ $192, AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  z_loop4

z_tail:
	TESTQ CX, CX
	JZ    z_scale

z_loop1:
	Z_STEP(0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  z_loop1

z_scale:
	VBROADCASTSS alpha+8(FP), Z24
	Z_SCALE(Z0, Z1)
	Z_SCALE(Z2, Z3)
	Z_SCALE(Z4, Z5)
	Z_SCALE(Z6, Z7)
	Z_SCALE(Z8, Z9)
	Z_SCALE(Z10, Z11)
	Z_SCALE(Z12, Z13)
	Z_SCALE(Z14, Z15)
	Z_SCALE(Z16, Z17)
	Z_SCALE(Z18, Z19)
	Z_SCALE(Z20, Z21)
	Z_SCALE(Z22, Z23)

	MOVL beta+64(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  z_update

	Z_STORE(Z0, Z1)
	Z_STORE(Z2, Z3)
	Z_STORE(Z4, Z5)
	Z_STORE(Z6, Z7)
	Z_STORE(Z8, Z9)
	Z_STORE(Z10, Z11)
	Z_STORE(Z12, Z13)
	Z_STORE(Z14, Z15)
	Z_STORE(Z16, Z17)
	Z_STORE(Z18, Z19)
	Z_STORE(Z20, Z21)
	Z_STORE(Z22, Z23)
	VZEROUPPER
	RET

z_update:
	VBROADCASTSS beta+64(FP), Z25
	Z_UPDATE(Z0, Z1)
	Z_UPDATE(Z2, Z3)
	Z_UPDATE(Z4, Z5)
	Z_UPDATE(Z6, Z7)
	Z_UPDATE(Z8, Z9)
	Z_UPDATE(Z10, Z11)
	Z_UPDATE(Z12, Z13)
	Z_UPDATE(Z14, Z15)
	Z_UPDATE(Z16, Z17)
	Z_UPDATE(Z18, Z19)
	Z_UPDATE(Z20, Z21)
	Z_UPDATE(Z22, Z23)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// gemm12x32RowsAVX512 is gemm12x32AVX512 with A read in place: row i of
// the A panel is the k values at a + i*lda, so the driver need not pack A
// when it is stored row-major. Rows 0-3, 4-7 and 8-11 are addressed from
// R10, R11 and R12, plus 0, 1, 2 or 3 times lda (R13, R13*2, R14).

#define R_ROW(base, index, off, bcast, acc0, acc1) \
	VBROADCASTSS off(base)(index), bcast; \
	VFMADD231PS  Z24, bcast, acc0; \
	VFMADD231PS  Z25, bcast, acc1

#define R_ROW0(base, off, bcast, acc0, acc1) \
	VBROADCASTSS off(base), bcast; \
	VFMADD231PS  Z24, bcast, acc0; \
	VFMADD231PS  Z25, bcast, acc1

// R_STEP multiplies step p, counted from the current positions in A and B.
#define R_STEP(p) \
	VMOVUPS (p*128)(BX), Z24; \
	VMOVUPS (p*128+64)(BX), Z25; \
	R_ROW0(R10, p*4, Z26, Z0, Z1); \
	R_ROW(R10, R13*1, p*4, Z27, Z2, Z3); \
	R_ROW(R10, R13*2, p*4, Z28, Z4, Z5); \
	R_ROW(R10, R14*1, p*4, Z29, Z6, Z7); \
	R_ROW0(R11, p*4, Z30, Z8, Z9); \
	R_ROW(R11, R13*1, p*4, Z31, Z10, Z11); \
	R_ROW(R11, R13*2, p*4, Z26, Z12, Z13); \
	R_ROW(R11, R14*1, p*4, Z27, Z14, Z15); \
	R_ROW0(R12, p*4, Z28, Z16, Z17); \
	R_ROW(R12, R13*1, p*4, Z29, Z18, Z19); \
	R_ROW(R12, R13*2, p*4, Z30, Z20, Z21); \
	R_ROW(R12, R14*1, p*4, Z31, Z22, Z23)

// func gemm12x32RowsAVX512(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int)
// Requires: AVX512F
TEXT ·gemm12x32RowsAVX512(SB), NOSPLIT, $0-112
	MOVQ k+0(FP), CX
	MOVQ a_base+16(FP), R10
	MOVQ lda+40(FP), R13
	MOVQ b_base+48(FP), BX
	MOVQ c_base+80(FP), DI
	MOVQ ldc+104(FP), DX
	SHLQ $2, DX
	SHLQ $2, R13
	LEAQ (R13)(R13*2), R14 // 3 rows
	LEAQ (R10)(R13*4), R11 // row 4
	LEAQ (R11)(R13*4), R12 // row 8

	Z_ZERO(Z0, Z1)
	Z_ZERO(Z2, Z3)
	Z_ZERO(Z4, Z5)
	Z_ZERO(Z6, Z7)
	Z_ZERO(Z8, Z9)
	Z_ZERO(Z10, Z11)
	Z_ZERO(Z12, Z13)
	Z_ZERO(Z14, Z15)
	Z_ZERO(Z16, Z17)
	Z_ZERO(Z18, Z19)
	Z_ZERO(Z20, Z21)
	Z_ZERO(Z22, Z23)

	CMPQ CX, $4
	JLT  r_tail

r_loop4:
	R_STEP(0)
	R_STEP(1)
	R_STEP(2)
	R_STEP(3)
	ADDQ $16, R10
	ADDQ $16, R11
	ADDQ $16, R12
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  r_loop4

r_tail:
	TESTQ CX, CX
	JZ    r_scale

r_loop1:
	R_STEP(0)
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $128, BX
	DECQ CX
	JNZ  r_loop1

r_scale:
	VBROADCASTSS alpha+8(FP), Z24
	Z_SCALE(Z0, Z1)
	Z_SCALE(Z2, Z3)
	Z_SCALE(Z4, Z5)
	Z_SCALE(Z6, Z7)
	Z_SCALE(Z8, Z9)
	Z_SCALE(Z10, Z11)
	Z_SCALE(Z12, Z13)
	Z_SCALE(Z14, Z15)
	Z_SCALE(Z16, Z17)
	Z_SCALE(Z18, Z19)
	Z_SCALE(Z20, Z21)
	Z_SCALE(Z22, Z23)

	MOVL beta+72(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  r_update

	Z_STORE(Z0, Z1)
	Z_STORE(Z2, Z3)
	Z_STORE(Z4, Z5)
	Z_STORE(Z6, Z7)
	Z_STORE(Z8, Z9)
	Z_STORE(Z10, Z11)
	Z_STORE(Z12, Z13)
	Z_STORE(Z14, Z15)
	Z_STORE(Z16, Z17)
	Z_STORE(Z18, Z19)
	Z_STORE(Z20, Z21)
	Z_STORE(Z22, Z23)
	VZEROUPPER
	RET

r_update:
	VBROADCASTSS beta+72(FP), Z25
	Z_UPDATE(Z0, Z1)
	Z_UPDATE(Z2, Z3)
	Z_UPDATE(Z4, Z5)
	Z_UPDATE(Z6, Z7)
	Z_UPDATE(Z8, Z9)
	Z_UPDATE(Z10, Z11)
	Z_UPDATE(Z12, Z13)
	Z_UPDATE(Z14, Z15)
	Z_UPDATE(Z16, Z17)
	Z_UPDATE(Z18, Z19)
	Z_UPDATE(Z20, Z21)
	Z_UPDATE(Z22, Z23)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// gemm6x16RowsAVX2 is gemm6x16AVX2 with A read in place: row i of the A
// panel is the k values at a + i*lda. Rows 0-3 are addressed from R10 plus
// 0, 1, 2 or 3 times lda (R13, R13*2, R14), rows 4 and 5 from R11.

#define AVX2_RROW(addr, bcast, acc0, acc1) \
	VBROADCASTSS addr, bcast; \
	VFMADD231PS  Y12, bcast, acc0; \
	VFMADD231PS  Y13, bcast, acc1

#define AVX2_RSTEP(p) \
	VMOVUPS (p*64)(BX), Y12; \
	VMOVUPS (p*64+32)(BX), Y13; \
	AVX2_RROW(p*4(R10), Y14, Y0, Y1); \
	AVX2_RROW(p*4(R10)(R13*1), Y15, Y2, Y3); \
	AVX2_RROW(p*4(R10)(R13*2), Y14, Y4, Y5); \
	AVX2_RROW(p*4(R10)(R14*1), Y15, Y6, Y7); \
	AVX2_RROW(p*4(R11), Y14, Y8, Y9); \
	AVX2_RROW(p*4(R11)(R13*1), Y15, Y10, Y11)

// func gemm6x16RowsAVX2(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int)
// Requires: AVX, AVX2, FMA3
TEXT ·gemm6x16RowsAVX2(SB), NOSPLIT, $0-112
	MOVQ k+0(FP), CX
	MOVQ a_base+16(FP), R10
	MOVQ lda+40(FP), R13
	MOVQ b_base+48(FP), BX
	MOVQ c_base+80(FP), DI
	MOVQ ldc+104(FP), DX
	SHLQ $2, DX
	SHLQ $2, R13
	LEAQ (R13)(R13*2), R14 // 3 rows
	LEAQ (R10)(R13*4), R11 // row 4

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JLT  avx2r_tail

avx2r_loop4:
	AVX2_RSTEP(0)
	AVX2_RSTEP(1)
	AVX2_RSTEP(2)
	AVX2_RSTEP(3)
	ADDQ $16, R10
	ADDQ $16, R11
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  avx2r_loop4

avx2r_tail:
	TESTQ CX, CX
	JZ    avx2r_scale

avx2r_loop1:
	AVX2_RSTEP(0)
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $64, BX
	DECQ CX
	JNZ  avx2r_loop1

avx2r_scale:
	VBROADCASTSS alpha+8(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7
	VMULPS       Y12, Y8, Y8
	VMULPS       Y12, Y9, Y9
	VMULPS       Y12, Y10, Y10
	VMULPS       Y12, Y11, Y11

	MOVL beta+72(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  avx2r_update

	AVX2_STORE(Y0, Y1)
	AVX2_STORE(Y2, Y3)
	AVX2_STORE(Y4, Y5)
	AVX2_STORE(Y6, Y7)
	AVX2_STORE(Y8, Y9)
	AVX2_STORE(Y10, Y11)
	VZEROUPPER
	RET

avx2r_update:
	VBROADCASTSS beta+72(FP), Y13
	AVX2_UPDATE(Y0, Y1)
	AVX2_UPDATE(Y2, Y3)
	AVX2_UPDATE(Y4, Y5)
	AVX2_UPDATE(Y6, Y7)
	AVX2_UPDATE(Y8, Y9)
	AVX2_UPDATE(Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// gemm12x32ColsAVX512 is gemm12x32AVX512 with B read in place: row p of
// the B panel is the 32 values at b + p*ldb, so the driver need not pack B
// when it is stored row-major. Rows p to p+3 are addressed from BX plus 0,
// 1, 2 or 3 times ldb (R13, R13*2, R14). The A panel, the accumulation
// order and the update of C are those of gemm12x32AVX512.

// C_STEP multiplies step p of the A panel (relative to AX) with the row of
// B at b0 and b0+64 bytes.
#define C_STEP(p, b0, b1) \
	VMOVUPS b0, Z24; \
	VMOVUPS b1, Z25; \
	Z_ROW(p*48+0, Z26, Z0, Z1); \
	Z_ROW(p*48+4, Z27, Z2, Z3); \
	Z_ROW(p*48+8, Z28, Z4, Z5); \
	Z_ROW(p*48+12, Z29, Z6, Z7); \
	Z_ROW(p*48+16, Z30, Z8, Z9); \
	Z_ROW(p*48+20, Z31, Z10, Z11); \
	Z_ROW(p*48+24, Z26, Z12, Z13); \
	Z_ROW(p*48+28, Z27, Z14, Z15); \
	Z_ROW(p*48+32, Z28, Z16, Z17); \
	Z_ROW(p*48+36, Z29, Z18, Z19); \
	Z_ROW(p*48+40, Z30, Z20, Z21); \
	Z_ROW(p*48+44, Z31, Z22, Z23)

// func gemm12x32ColsAVX512(k int, alpha float32, a, b []float32, ldb int, beta float32, c []float32, ldc int)
// Requires: AVX512F
TEXT ·gemm12x32ColsAVX512(SB), NOSPLIT, $0-112
	MOVQ k+0(FP), CX
	MOVQ a_base+16(FP), AX
	MOVQ b_base+40(FP), BX
	MOVQ ldb+64(FP), R13
	MOVQ c_base+80(FP), DI
	MOVQ ldc+104(FP), DX
	SHLQ $2, DX
	SHLQ $2, R13
	LEAQ (R13)(R13*2), R14 // 3 rows

	// Bring the C tile toward L1 while the k loop runs, as
	// gemm12x32AVX512 does.
	MOVQ DI, R9
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW
	Z_PREFETCH_ROW

	Z_ZERO(Z0, Z1)
	Z_ZERO(Z2, Z3)
	Z_ZERO(Z4, Z5)
	Z_ZERO(Z6, Z7)
	Z_ZERO(Z8, Z9)
	Z_ZERO(Z10, Z11)
	Z_ZERO(Z12, Z13)
	Z_ZERO(Z14, Z15)
	Z_ZERO(Z16, Z17)
	Z_ZERO(Z18, Z19)
	Z_ZERO(Z20, Z21)
	Z_ZERO(Z22, Z23)

	CMPQ CX, $4
	JLT  c_tail

c_loop4:
	C_STEP(0, (BX), 64(BX))
	C_STEP(1, (BX)(R13*1), 64(BX)(R13*1))
	C_STEP(2, (BX)(R13*2), 64(BX)(R13*2))
	C_STEP(3, (BX)(R14*1), 64(BX)(R14*1))
	ADDQ $192, AX
	LEAQ (BX)(R13*4), BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  c_loop4

c_tail:
	TESTQ CX, CX
	JZ    c_scale

c_loop1:
	C_STEP(0, (BX), 64(BX))
	ADDQ $48, AX
	ADDQ R13, BX
	DECQ CX
	JNZ  c_loop1

c_scale:
	VBROADCASTSS alpha+8(FP), Z24
	Z_SCALE(Z0, Z1)
	Z_SCALE(Z2, Z3)
	Z_SCALE(Z4, Z5)
	Z_SCALE(Z6, Z7)
	Z_SCALE(Z8, Z9)
	Z_SCALE(Z10, Z11)
	Z_SCALE(Z12, Z13)
	Z_SCALE(Z14, Z15)
	Z_SCALE(Z16, Z17)
	Z_SCALE(Z18, Z19)
	Z_SCALE(Z20, Z21)
	Z_SCALE(Z22, Z23)

	MOVL beta+72(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  c_update

	Z_STORE(Z0, Z1)
	Z_STORE(Z2, Z3)
	Z_STORE(Z4, Z5)
	Z_STORE(Z6, Z7)
	Z_STORE(Z8, Z9)
	Z_STORE(Z10, Z11)
	Z_STORE(Z12, Z13)
	Z_STORE(Z14, Z15)
	Z_STORE(Z16, Z17)
	Z_STORE(Z18, Z19)
	Z_STORE(Z20, Z21)
	Z_STORE(Z22, Z23)
	VZEROUPPER
	RET

c_update:
	VBROADCASTSS beta+72(FP), Z25
	Z_UPDATE(Z0, Z1)
	Z_UPDATE(Z2, Z3)
	Z_UPDATE(Z4, Z5)
	Z_UPDATE(Z6, Z7)
	Z_UPDATE(Z8, Z9)
	Z_UPDATE(Z10, Z11)
	Z_UPDATE(Z12, Z13)
	Z_UPDATE(Z14, Z15)
	Z_UPDATE(Z16, Z17)
	Z_UPDATE(Z18, Z19)
	Z_UPDATE(Z20, Z21)
	Z_UPDATE(Z22, Z23)
	VZEROUPPER
	RET
