//go:build !purego

#include "textflag.h"

// Elementwise kernels and reductions for the NEON level, four float32 lanes
// per V register. Main loops handle 16 elements per iteration, a second loop
// 4, and a scalar loop the last 0 to 3, so no kernel touches memory past the
// end of a slice. The scalar loops of Dot and the elementwise kernels load
// with FMOVS, which clears the upper lanes, and then run the vector
// instructions of the main loop.
//
// Go's assembler has no vector FADD, FSUB, FMUL, FMAX or FCMGT. Add, Sub, Sum
// and the reductions use VFMLA or VFMLS with a vector of ones (x + y·1 is
// rounded once, as x + y), and Mul and Scale use VFMLA on an accumulator of
// -0 (-0 + x·y rounds like x·y and keeps the sign of a zero product). Only
// FMAX and FCMGT, which have no such substitute, are written as WORD. The
// comment on each WORD gives the instruction, and asmcheck_test.go checks
// that the two agree.
//
// Register roles: R0 is the output (or the only slice), R1 and R2 the
// inputs, R3 the number of elements left.

// func dotNEON(x, y []float32) float32
// Requires: NEON
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	MOVD  x_base+0(FP), R1
	MOVD  x_len+8(FP), R3
	MOVD  y_base+24(FP), R2
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	FMOVS $1.0, F31
	VDUP  V31.S[0], V31.S4 // V31 = 1.0 in every lane
	CMP   $16, R3
	BLT   dotNEON_loop4

dotNEON_loop16:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V4.S4, V16.S4, V0.S4
	VFMLA  V5.S4, V17.S4, V1.S4
	VFMLA  V6.S4, V18.S4, V2.S4
	VFMLA  V7.S4, V19.S4, V3.S4
	SUB    $16, R3
	CMP    $16, R3
	BGE    dotNEON_loop16

dotNEON_loop4:
	CMP    $4, R3
	BLT    dotNEON_reduce
	VLD1.P 16(R1), [V4.S4]
	VLD1.P 16(R2), [V16.S4]
	VFMLA  V4.S4, V16.S4, V0.S4
	SUB    $4, R3
	B      dotNEON_loop4

dotNEON_reduce:
	VFMLA V1.S4, V31.S4, V0.S4 // V0 += V1
	VFMLA V3.S4, V31.S4, V2.S4
	VFMLA V2.S4, V31.S4, V0.S4
	VEXT  $8, V0.B16, V0.B16, V1.B16 // V1 = lanes 2, 3, 0, 1 of V0
	VFMLA V1.S4, V31.S4, V0.S4
	VDUP  V0.S[1], V1.S4
	FADDS F1, F0, F0

dotNEON_tail:
	CBZ     R3, dotNEON_done
	FMOVS.P 4(R1), F4
	FMOVS.P 4(R2), F16
	VFMLA   V4.S4, V16.S4, V0.S4
	SUB     $1, R3
	B       dotNEON_tail

dotNEON_done:
	FMOVS F0, ret+48(FP)
	RET

// func sumNEON(x []float32) float32
// Requires: NEON
TEXT ·sumNEON(SB), NOSPLIT, $0-28
	MOVD  x_base+0(FP), R1
	MOVD  x_len+8(FP), R3
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	FMOVS $1.0, F31
	VDUP  V31.S[0], V31.S4 // V31 = 1.0 in every lane
	CMP   $16, R3
	BLT   sumNEON_loop4

sumNEON_loop16:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V4.S4, V31.S4, V0.S4
	VFMLA  V5.S4, V31.S4, V1.S4
	VFMLA  V6.S4, V31.S4, V2.S4
	VFMLA  V7.S4, V31.S4, V3.S4
	SUB    $16, R3
	CMP    $16, R3
	BGE    sumNEON_loop16

sumNEON_loop4:
	CMP    $4, R3
	BLT    sumNEON_reduce
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V4.S4, V31.S4, V0.S4
	SUB    $4, R3
	B      sumNEON_loop4

sumNEON_reduce:
	VFMLA V1.S4, V31.S4, V0.S4 // V0 += V1
	VFMLA V3.S4, V31.S4, V2.S4
	VFMLA V2.S4, V31.S4, V0.S4
	VEXT  $8, V0.B16, V0.B16, V1.B16 // V1 = lanes 2, 3, 0, 1 of V0
	VFMLA V1.S4, V31.S4, V0.S4
	VDUP  V0.S[1], V1.S4
	FADDS F1, F0, F0

sumNEON_tail:
	CBZ     R3, sumNEON_done
	FMOVS.P 4(R1), F4
	FADDS   F4, F0, F0
	SUB     $1, R3
	B       sumNEON_tail

sumNEON_done:
	FMOVS F0, ret+24(FP)
	RET

// maxNEON relies on FMAX and FMAXS, which return NaN when either operand is
// NaN, so a NaN anywhere in x reaches the result.

// func maxNEON(x []float32) float32
// Requires: NEON
TEXT ·maxNEON(SB), NOSPLIT, $0-28
	MOVD x_base+0(FP), R1
	MOVD x_len+8(FP), R3
	MOVW $0xff800000, R7 // -Inf
	VDUP R7, V0.S4
	VMOV V0.B16, V1.B16
	VMOV V0.B16, V2.B16
	VMOV V0.B16, V3.B16
	CMP  $16, R3
	BLT  maxNEON_loop4

maxNEON_loop16:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD   $0x4e24f400 // FMAX V0.4S, V0.4S, V4.4S
	WORD   $0x4e25f421 // FMAX V1.4S, V1.4S, V5.4S
	WORD   $0x4e26f442 // FMAX V2.4S, V2.4S, V6.4S
	WORD   $0x4e27f463 // FMAX V3.4S, V3.4S, V7.4S
	SUB    $16, R3
	CMP    $16, R3
	BGE    maxNEON_loop16

maxNEON_loop4:
	CMP    $4, R3
	BLT    maxNEON_reduce
	VLD1.P 16(R1), [V4.S4]
	WORD   $0x4e24f400 // FMAX V0.4S, V0.4S, V4.4S
	SUB    $4, R3
	B      maxNEON_loop4

maxNEON_reduce:
	WORD  $0x4e21f400 // FMAX V0.4S, V0.4S, V1.4S
	WORD  $0x4e23f442 // FMAX V2.4S, V2.4S, V3.4S
	WORD  $0x4e22f400 // FMAX V0.4S, V0.4S, V2.4S
	VEXT  $8, V0.B16, V0.B16, V1.B16
	WORD  $0x4e21f400 // FMAX V0.4S, V0.4S, V1.4S
	VDUP  V0.S[1], V1.S4
	FMAXS F1, F0, F0

maxNEON_tail:
	CBZ     R3, maxNEON_done
	FMOVS.P 4(R1), F4
	FMAXS   F4, F0, F0
	SUB     $1, R3
	B       maxNEON_tail

maxNEON_done:
	FMOVS F0, ret+24(FP)
	RET

// func axpyNEON(alpha float32, x, y []float32)
// Requires: NEON
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  x_base+8(FP), R1
	MOVD  x_len+16(FP), R3
	MOVD  y_base+32(FP), R0
	CMP   $16, R3
	BLT   axpyNEON_loop4

axpyNEON_loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1   (R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V31.S4, V4.S4
	VFMLA  V1.S4, V31.S4, V5.S4
	VFMLA  V2.S4, V31.S4, V6.S4
	VFMLA  V3.S4, V31.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    axpyNEON_loop16

axpyNEON_loop4:
	CMP    $4, R3
	BLT    axpyNEON_tail
	VLD1.P 16(R1), [V0.S4]
	VLD1   (R0), [V4.S4]
	VFMLA  V0.S4, V31.S4, V4.S4
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R3
	B      axpyNEON_loop4

axpyNEON_tail:
	CBZ     R3, axpyNEON_done
	FMOVS.P 4(R1), F0
	FMOVS   (R0), F4
	VFMLA   V0.S4, V31.S4, V4.S4
	FMOVS.P F4, 4(R0)
	SUB     $1, R3
	B       axpyNEON_tail

axpyNEON_done:
	RET

// func scaleNEON(alpha float32, x []float32)
// Requires: NEON
TEXT ·scaleNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R3
	MOVW  $0x80000000, R7
	VDUP  R7, V30.S4 // V30 = -0.0 in every lane
	CMP   $16, R3
	BLT   scaleNEON_loop4

scaleNEON_loop16:
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VMOV   V30.B16, V4.B16
	VMOV   V30.B16, V5.B16
	VMOV   V30.B16, V6.B16
	VMOV   V30.B16, V7.B16
	VFMLA  V0.S4, V31.S4, V4.S4
	VFMLA  V1.S4, V31.S4, V5.S4
	VFMLA  V2.S4, V31.S4, V6.S4
	VFMLA  V3.S4, V31.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    scaleNEON_loop16

scaleNEON_loop4:
	CMP    $4, R3
	BLT    scaleNEON_tail
	VLD1   (R0), [V0.S4]
	VMOV   V30.B16, V4.B16
	VFMLA  V0.S4, V31.S4, V4.S4
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R3
	B      scaleNEON_loop4

scaleNEON_tail:
	CBZ     R3, scaleNEON_done
	FMOVS   (R0), F0
	VMOV    V30.B16, V4.B16
	VFMLA   V0.S4, V31.S4, V4.S4
	FMOVS.P F4, 4(R0)
	SUB     $1, R3
	B       scaleNEON_tail

scaleNEON_done:
	RET

// func addNEON(dst, x, y []float32)
// Requires: NEON
TEXT ·addNEON(SB), NOSPLIT, $0-72
	MOVD  dst_base+0(FP), R0
	MOVD  dst_len+8(FP), R3
	MOVD  x_base+24(FP), R1
	MOVD  y_base+48(FP), R2
	FMOVS $1.0, F31
	VDUP  V31.S[0], V31.S4 // V31 = 1.0 in every lane
	CMP   $16, R3
	BLT   addNEON_loop4

addNEON_loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V4.S4, V31.S4, V0.S4
	VFMLA  V5.S4, V31.S4, V1.S4
	VFMLA  V6.S4, V31.S4, V2.S4
	VFMLA  V7.S4, V31.S4, V3.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    addNEON_loop16

addNEON_loop4:
	CMP    $4, R3
	BLT    addNEON_tail
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	VFMLA  V4.S4, V31.S4, V0.S4
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R3
	B      addNEON_loop4

addNEON_tail:
	CBZ     R3, addNEON_done
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F4
	VFMLA   V4.S4, V31.S4, V0.S4
	FMOVS.P F0, 4(R0)
	SUB     $1, R3
	B       addNEON_tail

addNEON_done:
	RET

// func subNEON(dst, x, y []float32)
// Requires: NEON
TEXT ·subNEON(SB), NOSPLIT, $0-72
	MOVD  dst_base+0(FP), R0
	MOVD  dst_len+8(FP), R3
	MOVD  x_base+24(FP), R1
	MOVD  y_base+48(FP), R2
	FMOVS $1.0, F31
	VDUP  V31.S[0], V31.S4 // V31 = 1.0 in every lane
	CMP   $16, R3
	BLT   subNEON_loop4

subNEON_loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLS  V4.S4, V31.S4, V0.S4
	VFMLS  V5.S4, V31.S4, V1.S4
	VFMLS  V6.S4, V31.S4, V2.S4
	VFMLS  V7.S4, V31.S4, V3.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    subNEON_loop16

subNEON_loop4:
	CMP    $4, R3
	BLT    subNEON_tail
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	VFMLS  V4.S4, V31.S4, V0.S4
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R3
	B      subNEON_loop4

subNEON_tail:
	CBZ     R3, subNEON_done
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F4
	VFMLS   V4.S4, V31.S4, V0.S4
	FMOVS.P F0, 4(R0)
	SUB     $1, R3
	B       subNEON_tail

subNEON_done:
	RET

// func mulNEON(dst, x, y []float32)
// Requires: NEON
TEXT ·mulNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R3
	MOVD x_base+24(FP), R1
	MOVD y_base+48(FP), R2
	MOVW $0x80000000, R7
	VDUP R7, V30.S4 // V30 = -0.0 in every lane
	CMP  $16, R3
	BLT  mulNEON_loop4

mulNEON_loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VMOV   V30.B16, V8.B16
	VMOV   V30.B16, V9.B16
	VMOV   V30.B16, V10.B16
	VMOV   V30.B16, V11.B16
	VFMLA  V0.S4, V4.S4, V8.S4
	VFMLA  V1.S4, V5.S4, V9.S4
	VFMLA  V2.S4, V6.S4, V10.S4
	VFMLA  V3.S4, V7.S4, V11.S4
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    mulNEON_loop16

mulNEON_loop4:
	CMP    $4, R3
	BLT    mulNEON_tail
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	VMOV   V30.B16, V8.B16
	VFMLA  V0.S4, V4.S4, V8.S4
	VST1.P [V8.S4], 16(R0)
	SUB    $4, R3
	B      mulNEON_loop4

mulNEON_tail:
	CBZ     R3, mulNEON_done
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F4
	VMOV    V30.B16, V8.B16
	VFMLA   V0.S4, V4.S4, V8.S4
	FMOVS.P F8, 4(R0)
	SUB     $1, R3
	B       mulNEON_tail

mulNEON_done:
	RET

// reluNEON ANDs x with the mask x > 0 from FCMGT, which is false for NaN
// and -0, so those give +0 as in the generic version.

// func reluNEON(dst, x []float32)
// Requires: NEON
TEXT ·reluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R3
	MOVD x_base+24(FP), R1
	CMP  $16, R3
	BLT  reluNEON_loop4

reluNEON_loop16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	WORD   $0x4ea0c825 // FCMGT V5.4S, V1.4S, #0.0
	WORD   $0x4ea0c846 // FCMGT V6.4S, V2.4S, #0.0
	WORD   $0x4ea0c867 // FCMGT V7.4S, V3.4S, #0.0
	VAND   V0.B16, V4.B16, V4.B16
	VAND   V1.B16, V5.B16, V5.B16
	VAND   V2.B16, V6.B16, V6.B16
	VAND   V3.B16, V7.B16, V7.B16
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    reluNEON_loop16

reluNEON_loop4:
	CMP    $4, R3
	BLT    reluNEON_tail
	VLD1.P 16(R1), [V0.S4]
	WORD   $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	VAND   V0.B16, V4.B16, V4.B16
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R3
	B      reluNEON_loop4

reluNEON_tail:
	CBZ     R3, reluNEON_done
	FMOVS.P 4(R1), F0
	WORD    $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	VAND    V0.B16, V4.B16, V4.B16
	FMOVS.P F4, 4(R0)
	SUB     $1, R3
	B       reluNEON_tail

reluNEON_done:
	RET

// func reluBackwardNEON(dx, dy, x []float32)
// Requires: NEON
TEXT ·reluBackwardNEON(SB), NOSPLIT, $0-72
	MOVD dx_base+0(FP), R0
	MOVD dx_len+8(FP), R3
	MOVD dy_base+24(FP), R1
	MOVD x_base+48(FP), R2
	CMP  $16, R3
	BLT  reluBackwardNEON_loop4

reluBackwardNEON_loop16:
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD   $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	WORD   $0x4ea0c825 // FCMGT V5.4S, V1.4S, #0.0
	WORD   $0x4ea0c846 // FCMGT V6.4S, V2.4S, #0.0
	WORD   $0x4ea0c867 // FCMGT V7.4S, V3.4S, #0.0
	VAND   V16.B16, V4.B16, V4.B16
	VAND   V17.B16, V5.B16, V5.B16
	VAND   V18.B16, V6.B16, V6.B16
	VAND   V19.B16, V7.B16, V7.B16
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB    $16, R3
	CMP    $16, R3
	BGE    reluBackwardNEON_loop16

reluBackwardNEON_loop4:
	CMP    $4, R3
	BLT    reluBackwardNEON_tail
	VLD1.P 16(R2), [V0.S4]
	VLD1.P 16(R1), [V16.S4]
	WORD   $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	VAND   V16.B16, V4.B16, V4.B16
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R3
	B      reluBackwardNEON_loop4

reluBackwardNEON_tail:
	CBZ     R3, reluBackwardNEON_done
	FMOVS.P 4(R2), F0
	FMOVS.P 4(R1), F16
	WORD    $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	VAND    V16.B16, V4.B16, V4.B16
	FMOVS.P F4, 4(R0)
	SUB     $1, R3
	B       reluBackwardNEON_tail

reluBackwardNEON_done:
	RET
