//go:build !purego

#include "textflag.h"

// ExpSum for the NEON level, on whole blocks of 8 float64 elements in four
// V registers of two lanes (the Go wrapper in exp64.go runs the rest). The
// steps and their rounding are those of exp64, as in exp64_amd64.s, with
// the substitutes that vec_neon_arm64.s describes for the arithmetic Go's
// assembler lacks:
//
//	x - c         VFMLS c, one: x - c*1 is rounded once, as x - c
//	a*b           VFMLA into -0: -0 + a*b rounds as a*b
//	c + p*r       copy c, then VFMLA p, r: one fused rounding
//	y < lo, y > hi   FCMGT as WORD, false for NaN; VBIT then puts 0 or
//	                 +Inf in the lanes where they hold
//
// V0 to V3 hold partial sums 0-1, 2-3, 4-5 and 6-7. V4 is y, V5 t (then
// 2^k, then the masks), V6 r, and V7 and V8 take turns as p in Horner's
// rule. V9 is shift, V10 to V30 the constants in the order of expNEON,
// and V31 zero.

// Each constant twice, one 16-byte V register apiece, in the order they
// are loaded into V10 to V30.
#define EXPC(i, bits) DATA expNEON<>+(16*i)(SB)/8, bits; DATA expNEON<>+(16*i+8)(SB)/8, bits
EXPC(0, $0x3ff71547652b82fe)  // V10: 1/ln 2
EXPC(1, $0x43380000000003ff)  // V11: 1.5*2^52 + 1023
EXPC(2, $0x3fe62e42fefa39ef)  // V12: ln 2 rounded
EXPC(3, $0x3c7abc9e3b39803f)  // V13: ln 2 less V12
EXPC(4, $0xc086200000000000)  // V14: -708
EXPC(5, $0x4086280000000000)  // V15: 709
EXPC(6, $0x7ff0000000000000)  // V16: +Inf
EXPC(7, $0x3ff0000000000000)  // V17: 1
EXPC(8, $0x8000000000000000)  // V18: -0
EXPC(9, $0x3de6124613a86d09)  // V19: 1/13!
EXPC(10, $0x3e21eed8eff8d898) // V20: 1/12!
EXPC(11, $0x3e5ae64567f544e4) // V21: 1/11!
EXPC(12, $0x3e927e4fb7789f5c) // V22: 1/10!
EXPC(13, $0x3ec71de3a556c734) // V23: 1/9!
EXPC(14, $0x3efa01a01a01a01a) // V24: 1/8!
EXPC(15, $0x3f2a01a01a01a01a) // V25: 1/7!
EXPC(16, $0x3f56c16c16c16c17) // V26: 1/6!
EXPC(17, $0x3f81111111111111) // V27: 1/5!
EXPC(18, $0x3fa5555555555555) // V28: 1/4!
EXPC(19, $0x3fc5555555555555) // V29: 1/3!
EXPC(20, $0x3fe0000000000000) // V30: 1/2!
GLOBL expNEON<>(SB), RODATA|NOPTR, $336

// HORNER sets Q = C + P*R.
#define HORNER(C, P, Q) \
	VORR  C.B16, C.B16, Q.B16; \
	VFMLA P.D2, V6.D2, Q.D2

// EXP2 computes two exponentials from (R1) into (R0) and adds them to ACC.
#define EXP2(ACC) \
	VLD1.P 16(R1), [V4.D2];              \
	VFMLS  V9.D2, V17.D2, V4.D2;         \
	VORR   V11.B16, V11.B16, V5.B16;     \
	VFMLA  V4.D2, V10.D2, V5.D2;         \
	VORR   V5.B16, V5.B16, V7.B16;       \
	VFMLS  V11.D2, V17.D2, V7.D2;        \
	VORR   V4.B16, V4.B16, V6.B16;       \
	VFMLS  V7.D2, V12.D2, V6.D2;         \
	VFMLS  V7.D2, V13.D2, V6.D2;         \
	VORR   V19.B16, V19.B16, V7.B16;     \
	HORNER(V20, V7, V8);                 \
	HORNER(V21, V8, V7);                 \
	HORNER(V22, V7, V8);                 \
	HORNER(V23, V8, V7);                 \
	HORNER(V24, V7, V8);                 \
	HORNER(V25, V8, V7);                 \
	HORNER(V26, V7, V8);                 \
	HORNER(V27, V8, V7);                 \
	HORNER(V28, V7, V8);                 \
	HORNER(V29, V8, V7);                 \
	HORNER(V30, V7, V8);                 \
	HORNER(V17, V8, V7);                 \
	HORNER(V17, V7, V8);                 \
	VSHL   $52, V5.D2, V5.D2;            \
	VORR   V18.B16, V18.B16, V7.B16;     \
	VFMLA  V8.D2, V5.D2, V7.D2;          \
	WORD   $0x6ee4e5c5 /* FCMGT V5.2D, V14.2D, V4.2D */; \
	VBIT   V5.B16, V31.B16, V7.B16;      \
	WORD   $0x6eefe485 /* FCMGT V5.2D, V4.2D, V15.2D */; \
	VBIT   V5.B16, V16.B16, V7.B16;      \
	VST1.P [V7.D2], 16(R0);              \
	VFMLA  V7.D2, V17.D2, ACC.D2

// func expBlocksNEON(dst, x []float64, shift float64, acc *[8]float64)
// Requires: NEON
TEXT ·expBlocksNEON(SB), NOSPLIT, $0-64
	MOVD   dst_base+0(FP), R0
	MOVD   dst_len+8(FP), R3
	MOVD   x_base+24(FP), R1
	FMOVD  shift+48(FP), F9
	VDUP   V9.D[0], V9.D2
	MOVD   $expNEON<>(SB), R2
	VLD1.P 64(R2), [V10.D2, V11.D2, V12.D2, V13.D2]
	VLD1.P 64(R2), [V14.D2, V15.D2, V16.D2, V17.D2]
	VLD1.P 64(R2), [V18.D2, V19.D2, V20.D2, V21.D2]
	VLD1.P 64(R2), [V22.D2, V23.D2, V24.D2, V25.D2]
	VLD1.P 64(R2), [V26.D2, V27.D2, V28.D2, V29.D2]
	VLD1   (R2), [V30.D2]
	VEOR   V31.B16, V31.B16, V31.B16
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16
	LSR    $3, R3
	CBZ    R3, expBlocksNEON_done

expBlocksNEON_loop:
	EXP2(V0)
	EXP2(V1)
	EXP2(V2)
	EXP2(V3)
	SUB  $1, R3
	CBNZ R3, expBlocksNEON_loop

expBlocksNEON_done:
	MOVD acc+56(FP), R2
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R2)
	RET
