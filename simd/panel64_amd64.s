//go:build !purego

#include "textflag.h"

// PanelDot64 for the AVX2 and AVX-512 levels on whole groups of 8 panel
// rows. One register holds the partial sums of one row a against 4 (YMM)
// or 8 (ZMM) panel rows, and each step k broadcasts a[k], loads the
// column k of the group and adds the products, so every lane sums its dot
// product in order k = 0..n-1 from +0, like the generic code. Each
// product and each sum is rounded separately (VMULPD then VADDPD, never
// VFMADD), as Go compiles s += x*y on amd64 with the default GOAMD64=v1.
//
// Register roles: DI and R8 point into g0 and g1, SI and R9 to a0 and a1,
// R11 and R12 walk a0 and a1 during a group, BX walks the panel, CX counts
// the groups left, DX is n and AX counts the steps k left.

// MULADD_SEP adds A*B to ACC, rounding the product into T first.
#define MULADD_SEP(B, A, ACC, T) \
	VMULPD B, A, T; \
	VADDPD T, ACC, ACC

// PANELSETUP loads the operands and sets CX to the number of groups,
// with the flags of the shift, so that JZ skips an empty output.
#define PANELSETUP \
	MOVQ g0_base+0(FP), DI;     \
	MOVQ g0_len+8(FP), CX;      \
	MOVQ g1_base+24(FP), R8;    \
	MOVQ a0_base+48(FP), SI;    \
	MOVQ a0_len+56(FP), DX;     \
	MOVQ a1_base+72(FP), R9;    \
	MOVQ panel_base+96(FP), BX; \
	SHRQ $3, CX

// AVX2STEP runs step k of one group: Y0, Y1 take a0 against panel rows
// 0-3 and 4-7, Y2, Y3 take a1.
#define AVX2STEP(MULADD) \
	VBROADCASTSD (R11), Y4;   \
	VBROADCASTSD (R12), Y5;   \
	VMOVUPD      (BX), Y6;    \
	VMOVUPD      32(BX), Y7;  \
	MULADD(Y6, Y4, Y0, Y8);   \
	MULADD(Y7, Y4, Y1, Y9);   \
	MULADD(Y6, Y5, Y2, Y10);  \
	MULADD(Y7, Y5, Y3, Y11);  \
	ADDQ         $8, R11;     \
	ADDQ         $8, R12;     \
	ADDQ         $64, BX

// AVX512STEP2 runs step k of two groups, the second R10 bytes after the
// first: Z0 and Z2 take a0 against them, Z1 and Z3 take a1.
#define AVX512STEP2(MULADD) \
	VBROADCASTSD (R11), Z4;      \
	VBROADCASTSD (R12), Z5;      \
	VMOVUPD      (BX), Z6;       \
	VMOVUPD      (BX)(R10*1), Z7; \
	MULADD(Z6, Z4, Z0, Z8);      \
	MULADD(Z6, Z5, Z1, Z9);      \
	MULADD(Z7, Z4, Z2, Z10);     \
	MULADD(Z7, Z5, Z3, Z11);     \
	ADDQ         $8, R11;        \
	ADDQ         $8, R12;        \
	ADDQ         $64, BX

// AVX512STEP1 runs step k of one group into Z0 (a0) and Z1 (a1).
#define AVX512STEP1(MULADD) \
	VBROADCASTSD (R11), Z4; \
	VBROADCASTSD (R12), Z5; \
	VMOVUPD      (BX), Z6;  \
	MULADD(Z6, Z4, Z0, Z8); \
	MULADD(Z6, Z5, Z1, Z9); \
	ADDQ         $8, R11;   \
	ADDQ         $8, R12;   \
	ADDQ         $64, BX

// func panelDot64AVX2(g0, g1, a0, a1, panel []float64)
// Requires: AVX
TEXT ·panelDot64AVX2(SB), NOSPLIT, $0-120
	PANELSETUP
	JZ panelDot64AVX2_done

panelDot64AVX2_group:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   DX, AX
	TESTQ  AX, AX
	JZ     panelDot64AVX2_store

panelDot64AVX2_k:
	AVX2STEP(MULADD_SEP)
	DECQ AX
	JNZ  panelDot64AVX2_k

panelDot64AVX2_store:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, (R8)
	VMOVUPD Y3, 32(R8)
	ADDQ    $64, DI
	ADDQ    $64, R8
	DECQ    CX
	JNZ     panelDot64AVX2_group

panelDot64AVX2_done:
	VZEROUPPER
	RET

// func panelDot64AVX512(g0, g1, a0, a1, panel []float64)
// Requires: AVX, AVX512F
TEXT ·panelDot64AVX512(SB), NOSPLIT, $0-120
	PANELSETUP
	MOVQ DX, R10
	SHLQ $6, R10 // bytes per group

panelDot64AVX512_pair:
	CMPQ   CX, $2
	JB     panelDot64AVX512_single
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   DX, AX
	TESTQ  AX, AX
	JZ     panelDot64AVX512_pairstore

panelDot64AVX512_pairk:
	AVX512STEP2(MULADD_SEP)
	DECQ AX
	JNZ  panelDot64AVX512_pairk

panelDot64AVX512_pairstore:
	VMOVUPD Z0, (DI)
	VMOVUPD Z2, 64(DI)
	VMOVUPD Z1, (R8)
	VMOVUPD Z3, 64(R8)
	ADDQ    $128, DI
	ADDQ    $128, R8
	ADDQ    R10, BX // past the second group
	SUBQ    $2, CX
	JMP     panelDot64AVX512_pair

panelDot64AVX512_single:
	TESTQ  CX, CX
	JZ     panelDot64AVX512_done
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   DX, AX
	TESTQ  AX, AX
	JZ     panelDot64AVX512_singlestore

panelDot64AVX512_singlek:
	AVX512STEP1(MULADD_SEP)
	DECQ AX
	JNZ  panelDot64AVX512_singlek

panelDot64AVX512_singlestore:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, (R8)

panelDot64AVX512_done:
	VZEROUPPER
	RET
