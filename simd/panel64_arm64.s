//go:build !purego

#include "textflag.h"

// PanelDot64 for the NEON level on whole groups of 8 panel rows. V0 to V3
// hold the partial sums of a0 against the group's rows 0-1, 2-3, 4-5 and
// 6-7, V4 to V7 those of a1. Each step k broadcasts a0[k] and a1[k],
// loads column k of the group and adds the products with FMLA, which
// rounds once, as the FMADD that Go emits for s += x*y on arm64. So every
// lane sums its dot product in order k = 0..n-1 from +0, like the
// generic code.
//
// Register roles: R0 and R1 point into g0 and g1, R3 and R5 to a0 and a1,
// R7 and R8 walk them during a group, R6 walks the panel, R2 counts the
// groups left, R4 is n and R9 counts the steps k left.

// func panelDot64NEON(g0, g1, a0, a1, panel []float64)
// Requires: NEON
TEXT ·panelDot64NEON(SB), NOSPLIT, $0-120
	MOVD g0_base+0(FP), R0
	MOVD g0_len+8(FP), R2
	MOVD g1_base+24(FP), R1
	MOVD a0_base+48(FP), R3
	MOVD a0_len+56(FP), R4
	MOVD a1_base+72(FP), R5
	MOVD panel_base+96(FP), R6
	LSR  $3, R2
	CBZ  R2, panelDot64NEON_done

panelDot64NEON_group:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	MOVD R3, R7
	MOVD R5, R8
	MOVD R4, R9
	CBZ  R9, panelDot64NEON_store

panelDot64NEON_k:
	VLD1R.P 8(R7), [V16.D2]
	VLD1R.P 8(R8), [V17.D2]
	VLD1.P  64(R6), [V18.D2, V19.D2, V20.D2, V21.D2]
	VFMLA   V18.D2, V16.D2, V0.D2
	VFMLA   V19.D2, V16.D2, V1.D2
	VFMLA   V20.D2, V16.D2, V2.D2
	VFMLA   V21.D2, V16.D2, V3.D2
	VFMLA   V18.D2, V17.D2, V4.D2
	VFMLA   V19.D2, V17.D2, V5.D2
	VFMLA   V20.D2, V17.D2, V6.D2
	VFMLA   V21.D2, V17.D2, V7.D2
	SUB     $1, R9
	CBNZ    R9, panelDot64NEON_k

panelDot64NEON_store:
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R1)
	SUB    $1, R2
	CBNZ   R2, panelDot64NEON_group

panelDot64NEON_done:
	RET
