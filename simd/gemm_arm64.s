//go:build !purego

#include "textflag.h"

// gemm8x12NEON computes one 8 x 12 tile of C = alpha*A*B + beta*C from
// packed panels; see GemmKernel in level.go for the panel layout.
//
// Register roles:
//	R0   packed A, advanced by 8 floats per k step
//	R1   packed B, advanced by 12 floats per k step
//	R2   current row of C
//	R3   ldc in bytes
//	R4   k steps left
//	V8..V31  the tile: row i in V(8+3i), V(9+3i) and V(10+3i)
//	V0..V2   a row of B during the k loop, then temporaries
//	V3, V4   a broadcast value of A during the k loop, then temporaries
//	V6, V7   alpha and beta in every lane
//
// Go's arm64 assembler has no vector FMUL or FADD, so the final scaling
// uses VFMLA into zeroed registers: t = 0 + alpha*acc, then t += beta*c.

#define N_ROW(bcast, acc0, acc1, acc2) \
	VLD1R.P 4(R0), [bcast.S4]; \
	VFMLA   V0.S4, bcast.S4, acc0.S4; \
	VFMLA   V1.S4, bcast.S4, acc1.S4; \
	VFMLA   V2.S4, bcast.S4, acc2.S4

#define N_STEP \
	VLD1.P 48(R1), [V0.S4, V1.S4, V2.S4]; \
	N_ROW(V3, V8, V9, V10); \
	N_ROW(V4, V11, V12, V13); \
	N_ROW(V3, V14, V15, V16); \
	N_ROW(V4, V17, V18, V19); \
	N_ROW(V3, V20, V21, V22); \
	N_ROW(V4, V23, V24, V25); \
	N_ROW(V3, V26, V27, V28); \
	N_ROW(V4, V29, V30, V31)

#define N_ZERO3(r0, r1, r2) \
	VEOR r0.B16, r0.B16, r0.B16; \
	VEOR r1.B16, r1.B16, r1.B16; \
	VEOR r2.B16, r2.B16, r2.B16

// N_STORE writes alpha times one row of the tile to (R2).
#define N_STORE(acc0, acc1, acc2) \
	N_ZERO3(V0, V1, V2); \
	VFMLA V6.S4, acc0.S4, V0.S4; \
	VFMLA V6.S4, acc1.S4, V1.S4; \
	VFMLA V6.S4, acc2.S4, V2.S4; \
	VST1  [V0.S4, V1.S4, V2.S4], (R2); \
	ADD   R3, R2

// N_UPDATE writes alpha times one row of the tile plus beta times the row
// of C at (R2) back to (R2).
#define N_UPDATE(acc0, acc1, acc2) \
	VLD1  (R2), [V0.S4, V1.S4, V2.S4]; \
	N_ZERO3(V3, V4, V5); \
	VFMLA V7.S4, V0.S4, V3.S4; \
	VFMLA V7.S4, V1.S4, V4.S4; \
	VFMLA V7.S4, V2.S4, V5.S4; \
	VFMLA V6.S4, acc0.S4, V3.S4; \
	VFMLA V6.S4, acc1.S4, V4.S4; \
	VFMLA V6.S4, acc2.S4, V5.S4; \
	VST1  [V3.S4, V4.S4, V5.S4], (R2); \
	ADD   R3, R2

// func gemm8x12NEON(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)
// Requires: ASIMD
TEXT ·gemm8x12NEON(SB), NOSPLIT, $0-104
	MOVD k+0(FP), R4
	MOVD a_base+16(FP), R0
	MOVD b_base+40(FP), R1
	MOVD c_base+72(FP), R2
	MOVD ldc+96(FP), R3
	LSL  $2, R3

	N_ZERO3(V8, V9, V10)
	N_ZERO3(V11, V12, V13)
	N_ZERO3(V14, V15, V16)
	N_ZERO3(V17, V18, V19)
	N_ZERO3(V20, V21, V22)
	N_ZERO3(V23, V24, V25)
	N_ZERO3(V26, V27, V28)
	N_ZERO3(V29, V30, V31)

	CBZ R4, neon_scale

neon_loop:
	N_STEP
	SUB  $1, R4
	CBNZ R4, neon_loop

neon_scale:
	MOVWU alpha+8(FP), R5
	VDUP  R5, V6.S4
	MOVWU beta+64(FP), R6
	VDUP  R6, V7.S4
	ANDW  $0x7fffffff, R6
	CBNZW R6, neon_update

	N_STORE(V8, V9, V10)
	N_STORE(V11, V12, V13)
	N_STORE(V14, V15, V16)
	N_STORE(V17, V18, V19)
	N_STORE(V20, V21, V22)
	N_STORE(V23, V24, V25)
	N_STORE(V26, V27, V28)
	N_STORE(V29, V30, V31)
	RET

neon_update:
	N_UPDATE(V8, V9, V10)
	N_UPDATE(V11, V12, V13)
	N_UPDATE(V14, V15, V16)
	N_UPDATE(V17, V18, V19)
	N_UPDATE(V20, V21, V22)
	N_UPDATE(V23, V24, V25)
	N_UPDATE(V26, V27, V28)
	N_UPDATE(V29, V30, V31)
	RET
