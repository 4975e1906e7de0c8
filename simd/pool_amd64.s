//go:build !purego

#include "textflag.h"

// ReLUPool2x2 for AVX-512: each step takes 16 windows of one pair of rows.
// It loads 32 values of each row (masked at the end of the row, where the
// masked-off lanes neither load nor fault), splits them into the even and
// odd columns with VPERMI2PS, applies ReLU with the same VMAXPS as
// reluAVX512 (so NaN, -0 and negatives become +0), and keeps the later
// value of a pair only when it is strictly greater: first within the top
// row, then within the bottom row, then bottom against top. That is the
// first maximum in the order of ReLUPool2x2, as in reluPool2x2Generic.
// After ReLU no value is NaN, so the ordered comparisons order the values
// as the generic code's integer keys do.

#define POOLIDX(name, off) \
	DATA name<>+0(SB)/4, $(0+off); DATA name<>+4(SB)/4, $(2+off); \
	DATA name<>+8(SB)/4, $(4+off); DATA name<>+12(SB)/4, $(6+off); \
	DATA name<>+16(SB)/4, $(8+off); DATA name<>+20(SB)/4, $(10+off); \
	DATA name<>+24(SB)/4, $(12+off); DATA name<>+28(SB)/4, $(14+off); \
	DATA name<>+32(SB)/4, $(16+off); DATA name<>+36(SB)/4, $(18+off); \
	DATA name<>+40(SB)/4, $(20+off); DATA name<>+44(SB)/4, $(22+off); \
	DATA name<>+48(SB)/4, $(24+off); DATA name<>+52(SB)/4, $(26+off); \
	DATA name<>+56(SB)/4, $(28+off); DATA name<>+60(SB)/4, $(30+off); \
	GLOBL name<>(SB), RODATA|NOPTR, $64

POOLIDX(poolEven, 0) // 0, 2, ..., 30: the even columns of two vectors
POOLIDX(poolOdd, 1)  // 1, 3, ..., 31: the odd columns

// MERGEIDX(name, off) holds off, 16+off, off+1, 17+off, ..., off+7, 23+off:
// lanes off to off+7 of two vectors, interleaved.
#define MERGEIDX(name, off) \
	DATA name<>+0(SB)/4, $(0+off); DATA name<>+4(SB)/4, $(16+off); \
	DATA name<>+8(SB)/4, $(1+off); DATA name<>+12(SB)/4, $(17+off); \
	DATA name<>+16(SB)/4, $(2+off); DATA name<>+20(SB)/4, $(18+off); \
	DATA name<>+24(SB)/4, $(3+off); DATA name<>+28(SB)/4, $(19+off); \
	DATA name<>+32(SB)/4, $(4+off); DATA name<>+36(SB)/4, $(20+off); \
	DATA name<>+40(SB)/4, $(5+off); DATA name<>+44(SB)/4, $(21+off); \
	DATA name<>+48(SB)/4, $(6+off); DATA name<>+52(SB)/4, $(22+off); \
	DATA name<>+56(SB)/4, $(7+off); DATA name<>+60(SB)/4, $(23+off); \
	GLOBL name<>(SB), RODATA|NOPTR, $64

MERGEIDX(poolMergeLo, 0)
MERGEIDX(poolMergeHi, 8)

// func reluPool2x2AVX512(y []float32, arg []int32, x []float32, w int, oh int)
// Requires: AVX512F
TEXT ·reluPool2x2AVX512(SB), NOSPLIT, $0-88
	MOVQ y_base+0(FP), DI
	MOVQ arg_base+24(FP), R8
	MOVQ x_base+48(FP), SI
	MOVQ w+72(FP), DX
	MOVQ oh+80(FP), R10
	MOVQ DX, R9
	SHRQ $1, R9                // ow

	VPXORD       Z31, Z31, Z31 // 0
	VMOVDQU32    poolEven<>(SB), Z30
	VMOVDQU32    poolOdd<>(SB), Z29
	MOVL         $1, AX
	VPBROADCASTD AX, Z27       // 1 in each lane
	XORQ         R11, R11      // index in x of the top row of the pair

pool_row:
	TESTQ R10, R10
	JZ    pool_done
	XORQ  R12, R12             // first window of the step

pool_step:
	CMPQ R12, R9
	JAE  pool_next_row
	MOVQ R9, R13
	SUBQ R12, R13
	CMPQ R13, $16
	JBE  pool_masks
	MOVQ $16, R13              // windows in this step

pool_masks:
	MOVQ R13, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K3               // outputs
	LEAQ (R13)(R13*1), BX      // input values per row
	MOVQ BX, CX
	CMPQ CX, $16
	JBE  pool_mask1
	MOVQ $16, CX

pool_mask1:
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1               // first 16 values of a row
	MOVQ BX, CX
	SUBQ $16, CX
	JG   pool_mask2
	XORQ CX, CX

pool_mask2:
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2               // next 16 values

	LEAQ (R11)(R12*2), AX      // index in x of the first top value
	LEAQ (SI)(AX*4), BX
	LEAQ (BX)(DX*4), R14       // the bottom row
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	VMOVUPS.Z (R14), K1, Z6
	VMOVUPS.Z 64(R14), K2, Z7

	VMOVDQA32 Z30, Z2
	VPERMI2PS Z1, Z0, Z2       // top, even columns
	VMOVDQA32 Z29, Z3
	VPERMI2PS Z1, Z0, Z3       // top, odd columns
	VMOVDQA32 Z30, Z8
	VPERMI2PS Z7, Z6, Z8       // bottom, even columns
	VMOVDQA32 Z29, Z9
	VPERMI2PS Z7, Z6, Z9       // bottom, odd columns
	VMAXPS    Z31, Z2, Z2
	VMAXPS    Z31, Z3, Z3
	VMAXPS    Z31, Z8, Z8
	VMAXPS    Z31, Z9, Z9

	VCMPPS    $0x1e, Z2, Z3, K4 // top odd > top even
	VBLENDMPS Z3, Z2, K4, Z4
	VCMPPS    $0x1e, Z8, Z9, K5 // bottom odd > bottom even
	VBLENDMPS Z9, Z8, K5, Z10

	VPBROADCASTD AX, Z5
	VPADDD       Z30, Z5, Z5
	VPADDD       Z27, Z5, K4, Z5 // index of the top maximum
	ADDQ         DX, AX
	VPBROADCASTD AX, Z11
	VPADDD       Z30, Z11, Z11
	VPADDD       Z27, Z11, K5, Z11 // index of the bottom maximum

	VCMPPS    $0x1e, Z4, Z10, K6 // bottom > top
	VBLENDMPS Z10, Z4, K6, Z4
	VPBLENDMD Z11, Z5, K6, Z5

	VMOVUPS   Z4, K3, (DI)
	VMOVDQU32 Z5, K3, (R8)
	LEAQ      (DI)(R13*4), DI
	LEAQ      (R8)(R13*4), R8
	ADDQ      R13, R12
	JMP       pool_step

pool_next_row:
	LEAQ (R11)(DX*2), R11
	DECQ R10
	JMP  pool_row

pool_done:
	VZEROUPPER
	RET

// POOLMASKS sets K3 to the first R13 lanes, and K1 and K2 to the lanes of
// the first and second 16 of 2*R13 values. It uses AX, BX and CX.
#define POOLMASKS \
	MOVQ  R13, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K3; \
	LEAQ  (R13)(R13*1), BX; \
	MOVQ  BX, CX; \
	CMPQ  CX, $16; \
	JBE   2(PC); \
	MOVQ  $16, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K1; \
	MOVQ  BX, CX; \
	SUBQ  $16, CX; \
	JG    2(PC); \
	XORQ  CX, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K2

// ReLUPool2x2Backward for AVX-512, 16 windows of a pair of rows per step:
// the value for the window is +0 + dy where y > 0 and +0 elsewhere; it goes
// to the one of the four positions whose index equals arg, found by
// comparing arg with each, and +0 to the other three. The even and odd
// columns are interleaved back with VPERMI2PS and both rows are stored in
// full (masked at the end of the row), so dx needs no clearing. An odd
// last column is left to the Go wrapper.

// func reluPool2x2BackwardAVX512(dx, dy, y []float32, arg []int32, w int, oh int)
// Requires: AVX512F
TEXT ·reluPool2x2BackwardAVX512(SB), NOSPLIT, $0-112
	MOVQ dx_base+0(FP), SI
	MOVQ dy_base+24(FP), R15
	MOVQ y_base+48(FP), DI
	MOVQ arg_base+72(FP), R8
	MOVQ w+96(FP), DX
	MOVQ oh+104(FP), R10
	MOVQ DX, R9
	SHRQ $1, R9                // ow

	VPXORD       Z31, Z31, Z31 // 0
	VMOVDQU32    poolEven<>(SB), Z30
	VMOVDQU32    poolMergeLo<>(SB), Z29
	VMOVDQU32    poolMergeHi<>(SB), Z28
	MOVL         $1, AX
	VPBROADCASTD AX, Z27       // 1 in each lane
	XORQ         R11, R11      // index in dx of the top row of the pair

unpool_row:
	TESTQ R10, R10
	JZ    unpool_done
	XORQ  R12, R12             // first window of the step

unpool_step:
	CMPQ R12, R9
	JAE  unpool_next_row
	MOVQ R9, R13
	SUBQ R12, R13
	CMPQ R13, $16
	JBE  unpool_masks
	MOVQ $16, R13              // windows in this step

unpool_masks:
	POOLMASKS

	VMOVUPS.Z   (DI), K3, Z0   // y
	VMOVUPS.Z   (R15), K3, Z1  // dy
	VMOVDQU32.Z (R8), K3, Z2   // arg
	VCMPPS      $0x1e, Z31, Z0, K4 // y > 0
	VADDPS.Z    Z1, Z31, K4, Z3    // +0 + dy where y > 0, else +0

	LEAQ         (R11)(R12*2), AX // index in dx of the first top value
	VPBROADCASTD AX, Z4
	VPADDD       Z30, Z4, Z4   // top left of each window
	VPADDD       Z27, Z4, Z5   // top right
	ADDQ         DX, AX
	VPBROADCASTD AX, Z6
	VPADDD       Z30, Z6, Z6   // bottom left
	VPADDD       Z27, Z6, Z7   // bottom right
	VPCMPEQD     Z4, Z2, K4
	VMOVAPS.Z    Z3, K4, Z8
	VPCMPEQD     Z5, Z2, K4
	VMOVAPS.Z    Z3, K4, Z9
	VPCMPEQD     Z6, Z2, K4
	VMOVAPS.Z    Z3, K4, Z10
	VPCMPEQD     Z7, Z2, K4
	VMOVAPS.Z    Z3, K4, Z11

	VMOVDQA32 Z29, Z12
	VPERMI2PS Z9, Z8, Z12      // top row, first 16 values
	VMOVDQA32 Z28, Z13
	VPERMI2PS Z9, Z8, Z13      // top row, next 16
	VMOVDQA32 Z29, Z14
	VPERMI2PS Z11, Z10, Z14    // bottom row, first 16
	VMOVDQA32 Z28, Z15
	VPERMI2PS Z11, Z10, Z15    // bottom row, next 16

	LEAQ    (R11)(R12*2), AX
	LEAQ    (SI)(AX*4), BX
	LEAQ    (BX)(DX*4), R14
	VMOVUPS Z12, K1, (BX)
	VMOVUPS Z13, K2, 64(BX)
	VMOVUPS Z14, K1, (R14)
	VMOVUPS Z15, K2, 64(R14)

	LEAQ (DI)(R13*4), DI
	LEAQ (R15)(R13*4), R15
	LEAQ (R8)(R13*4), R8
	ADDQ R13, R12
	JMP  unpool_step

unpool_next_row:
	LEAQ (R11)(DX*2), R11
	DECQ R10
	JMP  unpool_row

unpool_done:
	VZEROUPPER
	RET
