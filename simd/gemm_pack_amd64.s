//go:build !purego

#include "textflag.h"

// func packGroupsSSE(dst, src *float32, ld, width, n int)
// Requires: SSE
TEXT ·packGroupsSSE(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8 // bytes between groups in src
	MOVQ width+24(FP), R9
	MOVQ n+32(FP), CX

packgroups_group:
	MOVQ R9, DX  // values left in this group
	MOVQ SI, R10 // read position in this group

packgroups_vector16:
	CMPQ   DX, $16
	JLT    packgroups_vector
	MOVUPS (R10), X0
	MOVUPS 16(R10), X1
	MOVUPS 32(R10), X2
	MOVUPS 48(R10), X3
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ   $64, R10
	ADDQ   $64, DI
	SUBQ   $16, DX
	JMP    packgroups_vector16

packgroups_vector:
	CMPQ   DX, $4
	JLT    packgroups_scalar
	MOVUPS (R10), X0
	MOVUPS X0, (DI)
	ADDQ   $16, R10
	ADDQ   $16, DI
	SUBQ   $4, DX
	JMP    packgroups_vector

packgroups_scalar:
	TESTQ DX, DX
	JZ    packgroups_next
	MOVSS (R10), X0
	MOVSS X0, (DI)
	ADDQ  $4, R10
	ADDQ  $4, DI
	DECQ  DX
	JMP   packgroups_scalar

packgroups_next:
	ADDQ R8, SI
	DECQ CX
	JNZ  packgroups_group
	RET

// transpose4SSE walks the k steps in blocks of 4 and, within a block, the
// rows in blocks of 4, so that its stores fill whole groups one after
// another. Each 4 x 4 block is loaded as 4 row vectors, transposed with
// unpack and move-half shuffles, and stored as one vector into each of 4
// groups.

// func transpose4SSE(dst, src *float32, ld, width, lines, n int)
// Requires: SSE
TEXT ·transpose4SSE(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8 // bytes between source rows
	MOVQ width+24(FP), R9
	SHLQ $2, R9 // bytes between groups
	MOVQ lines+32(FP), R11
	MOVQ n+40(FP), R12
	LEAQ (R8)(R8*2), R13 // 3 source rows
	LEAQ (R9)(R9*2), R14 // 3 groups

transpose_steps:
	MOVQ SI, AX  // first of the 4 source rows, at k step p
	MOVQ DI, BX  // group p, row r
	MOVQ R11, CX // rows left

transpose_block:
	MOVUPS   (AX), X0        // a0 a1 a2 a3
	MOVUPS   (AX)(R8*1), X1  // b0 b1 b2 b3
	MOVUPS   (AX)(R8*2), X2  // c0 c1 c2 c3
	MOVUPS   (AX)(R13*1), X3 // d0 d1 d2 d3
	MOVAPS   X0, X4
	UNPCKLPS X1, X4          // a0 b0 a1 b1
	UNPCKHPS X1, X0          // a2 b2 a3 b3
	MOVAPS   X2, X5
	UNPCKLPS X3, X5          // c0 d0 c1 d1
	UNPCKHPS X3, X2          // c2 d2 c3 d3
	MOVAPS   X4, X6
	MOVLHPS  X5, X6          // a0 b0 c0 d0
	MOVHLPS  X4, X5          // a1 b1 c1 d1
	MOVAPS   X0, X7
	MOVLHPS  X2, X7          // a2 b2 c2 d2
	MOVHLPS  X0, X2          // a3 b3 c3 d3
	MOVUPS   X6, (BX)
	MOVUPS   X5, (BX)(R9*1)
	MOVUPS   X7, (BX)(R9*2)
	MOVUPS   X2, (BX)(R14*1)
	LEAQ     (AX)(R8*4), AX
	ADDQ     $16, BX
	SUBQ     $4, CX
	JNZ      transpose_block

	ADDQ $16, SI
	LEAQ (DI)(R9*4), DI
	SUBQ $4, R12
	JNZ  transpose_steps
	RET

// transpose8AVX is transpose4SSE with 8 x 8 blocks in YMM registers. A
// block is transposed in three rounds: unpack pairs of rows, shuffle pairs
// of those into 4-row columns within each 128-bit half, and swap the
// halves across two registers.

// func transpose8AVX(dst, src *float32, ld, width, lines, n int)
// Requires: AVX, AVX2
TEXT ·transpose8AVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8 // bytes between source rows
	MOVQ width+24(FP), R9
	SHLQ $2, R9 // bytes between groups
	MOVQ lines+32(FP), R11
	MOVQ n+40(FP), R12
	LEAQ (R8)(R8*2), R13 // 3 source rows
	LEAQ (R9)(R9*2), R14 // 3 groups

transpose8_steps:
	MOVQ SI, AX  // first of the 8 source rows, at k step p
	MOVQ DI, BX  // group p, row r
	MOVQ R11, CX // rows left

transpose8_block:
	LEAQ       (AX)(R8*4), R10
	VMOVUPS    (AX), Y0
	VMOVUPS    (AX)(R8*1), Y1
	VMOVUPS    (AX)(R8*2), Y2
	VMOVUPS    (AX)(R13*1), Y3
	VMOVUPS    (R10), Y4
	VMOVUPS    (R10)(R8*1), Y5
	VMOVUPS    (R10)(R8*2), Y6
	VMOVUPS    (R10)(R13*1), Y7
	VUNPCKLPS  Y1, Y0, Y8  // r0 r1 interleaved, values 0 1 | 4 5
	VUNPCKHPS  Y1, Y0, Y9  // values 2 3 | 6 7
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0  // rows 0-3 of values 0 | 4
	VSHUFPS    $0xEE, Y10, Y8, Y1  // values 1 | 5
	VSHUFPS    $0x44, Y11, Y9, Y2  // values 2 | 6
	VSHUFPS    $0xEE, Y11, Y9, Y3  // values 3 | 7
	VSHUFPS    $0x44, Y14, Y12, Y4 // rows 4-7 of values 0 | 4
	VSHUFPS    $0xEE, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8   // group p
	VPERM2F128 $0x20, Y5, Y1, Y9   // group p+1
	VPERM2F128 $0x20, Y6, Y2, Y10  // group p+2
	VPERM2F128 $0x20, Y7, Y3, Y11  // group p+3
	VPERM2F128 $0x31, Y4, Y0, Y12  // group p+4
	VPERM2F128 $0x31, Y5, Y1, Y13  // group p+5
	VPERM2F128 $0x31, Y6, Y2, Y14  // group p+6
	VPERM2F128 $0x31, Y7, Y3, Y15  // group p+7
	LEAQ       (BX)(R9*4), R10
	VMOVUPS    Y8, (BX)
	VMOVUPS    Y9, (BX)(R9*1)
	VMOVUPS    Y10, (BX)(R9*2)
	VMOVUPS    Y11, (BX)(R14*1)
	VMOVUPS    Y12, (R10)
	VMOVUPS    Y13, (R10)(R9*1)
	VMOVUPS    Y14, (R10)(R9*2)
	VMOVUPS    Y15, (R10)(R14*1)
	LEAQ       (AX)(R8*8), AX
	ADDQ       $32, BX
	SUBQ       $8, CX
	JNZ        transpose8_block

	ADDQ $32, SI
	LEAQ (DI)(R9*8), DI
	SUBQ $8, R12
	JNZ  transpose8_steps
	VZEROUPPER
	RET
