//go:build !purego

#include "textflag.h"

// Elementwise kernels and reductions for the AVX2 level, eight float32
// lanes per YMM register. Main loops handle 32 elements per iteration, a
// second loop 8, and a scalar loop the last 0 to 7, so no kernel touches
// memory past the end of a slice. Every path to RET runs VZEROUPPER.
//
// Register roles: SI and DI are the inputs, DX the output, CX the number of
// elements left.

// func dotAVX2(x, y []float32) float32
// Requires: AVX, FMA3
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JB     dotAVX2_loop8

dotAVX2_loop32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JAE         dotAVX2_loop32

dotAVX2_loop8:
	CMPQ        CX, $8
	JB          dotAVX2_reduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dotAVX2_loop8

dotAVX2_reduce:
	// Add the four accumulators, then the eight lanes, into X0's low lane.
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

dotAVX2_tail:
	TESTQ       CX, CX
	JE          dotAVX2_done
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dotAVX2_tail

dotAVX2_done:
	VZEROUPPER
	VMOVSS     X0, ret+48(FP)
	RET

// func sumAVX2(x []float32) float32
// Requires: AVX
TEXT ·sumAVX2(SB), NOSPLIT, $0-28
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JB     sumAVX2_loop8

sumAVX2_loop32:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $32, CX
	CMPQ   CX, $32
	JAE    sumAVX2_loop32

sumAVX2_loop8:
	CMPQ   CX, $8
	JB     sumAVX2_reduce
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JMP    sumAVX2_loop8

sumAVX2_reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

sumAVX2_tail:
	TESTQ  CX, CX
	JE     sumAVX2_done
	VADDSS (SI), X0, X0
	ADDQ   $4, SI
	DECQ   CX
	JMP    sumAVX2_tail

sumAVX2_done:
	VZEROUPPER
	VMOVSS     X0, ret+24(FP)
	RET

// maxAVX2 keeps the running maximum in Y0-Y3 and, because VMAXPS returns
// its second source when either operand is NaN and so can drop a NaN, ORs
// an unordered-compare mask of every loaded vector into Y4. A set bit in Y4
// or a NaN in the scalar tail makes the result NaN.

// func maxAVX2(x []float32) float32
// Requires: AVX
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	MOVL         AX, ret+24(FP)
	VBROADCASTSS ret+24(FP), Y0
	VMOVAPS      Y0, Y1
	VMOVAPS      Y0, Y2
	VMOVAPS      Y0, Y3
	VXORPS       Y4, Y4, Y4
	CMPQ         CX, $32
	JB           maxAVX2_loop8

maxAVX2_loop32:
	VMOVUPS (SI), Y5
	VMOVUPS 32(SI), Y6
	VMOVUPS 64(SI), Y7
	VMOVUPS 96(SI), Y8
	VCMPPS  $3, Y6, Y5, Y9  // unordered: Y5 or Y6 is NaN
	VCMPPS  $3, Y8, Y7, Y10
	VORPS   Y9, Y4, Y4
	VORPS   Y10, Y4, Y4
	VMAXPS  Y5, Y0, Y0
	VMAXPS  Y6, Y1, Y1
	VMAXPS  Y7, Y2, Y2
	VMAXPS  Y8, Y3, Y3
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     maxAVX2_loop32

maxAVX2_loop8:
	CMPQ    CX, $8
	JB      maxAVX2_reduce
	VMOVUPS (SI), Y5
	VCMPPS  $3, Y5, Y5, Y9
	VORPS   Y9, Y4, Y4
	VMAXPS  Y5, Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     maxAVX2_loop8

maxAVX2_reduce:
	VMOVMSKPS    Y4, AX
	TESTL        AX, AX
	JNE          maxAVX2_nan
	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0

maxAVX2_tail:
	TESTQ    CX, CX
	JE       maxAVX2_done
	VMOVSS   (SI), X1
	VUCOMISS X1, X1
	JPS      maxAVX2_nan  // parity is set when the compare is unordered
	VMAXSS   X1, X0, X0
	ADDQ     $4, SI
	DECQ     CX
	JMP      maxAVX2_tail

maxAVX2_done:
	VZEROUPPER
	VMOVSS     X0, ret+24(FP)
	RET

maxAVX2_nan:
	VZEROUPPER
	MOVL       $0x7fc00000, AX // quiet NaN
	MOVL       AX, ret+24(FP)
	RET

// func axpyAVX2(alpha float32, x, y []float32)
// Requires: AVX, FMA3
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DX
	CMPQ         CX, $32
	JB           axpyAVX2_loop8

axpyAVX2_loop32:
	VMOVUPS     (DX), Y1
	VMOVUPS     32(DX), Y2
	VMOVUPS     64(DX), Y3
	VMOVUPS     96(DX), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS     Y1, (DX)
	VMOVUPS     Y2, 32(DX)
	VMOVUPS     Y3, 64(DX)
	VMOVUPS     Y4, 96(DX)
	ADDQ        $128, SI
	ADDQ        $128, DX
	SUBQ        $32, CX
	CMPQ        CX, $32
	JAE         axpyAVX2_loop32

axpyAVX2_loop8:
	CMPQ        CX, $8
	JB          axpyAVX2_tail
	VMOVUPS     (DX), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DX)
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         axpyAVX2_loop8

axpyAVX2_tail:
	TESTQ       CX, CX
	JE          axpyAVX2_done
	VMOVSS      (DX), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DX)
	ADDQ        $4, SI
	ADDQ        $4, DX
	DECQ        CX
	JMP         axpyAVX2_tail

axpyAVX2_done:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x []float32)
// Requires: AVX
TEXT ·scaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x_base+8(FP), DX
	MOVQ         x_len+16(FP), CX
	CMPQ         CX, $32
	JB           scaleAVX2_loop8

scaleAVX2_loop32:
	VMULPS  (DX), Y0, Y1
	VMULPS  32(DX), Y0, Y2
	VMULPS  64(DX), Y0, Y3
	VMULPS  96(DX), Y0, Y4
	VMOVUPS Y1, (DX)
	VMOVUPS Y2, 32(DX)
	VMOVUPS Y3, 64(DX)
	VMOVUPS Y4, 96(DX)
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     scaleAVX2_loop32

scaleAVX2_loop8:
	CMPQ    CX, $8
	JB      scaleAVX2_tail
	VMULPS  (DX), Y0, Y1
	VMOVUPS Y1, (DX)
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     scaleAVX2_loop8

scaleAVX2_tail:
	TESTQ  CX, CX
	JE     scaleAVX2_done
	VMULSS (DX), X0, X1
	VMOVSS X1, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JMP    scaleAVX2_tail

scaleAVX2_done:
	VZEROUPPER
	RET

// func addAVX2(dst, x, y []float32)
// Requires: AVX
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $32
	JB   addAVX2_loop8

addAVX2_loop32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VADDPS  64(DI), Y2, Y2
	VADDPS  96(DI), Y3, Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     addAVX2_loop32

addAVX2_loop8:
	CMPQ    CX, $8
	JB      addAVX2_tail
	VMOVUPS (SI), Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     addAVX2_loop8

addAVX2_tail:
	TESTQ  CX, CX
	JE     addAVX2_done
	VMOVSS (SI), X0
	VADDSS (DI), X0, X0
	VMOVSS X0, (DX)
	ADDQ   $4, SI
	ADDQ   $4, DI
	ADDQ   $4, DX
	DECQ   CX
	JMP    addAVX2_tail

addAVX2_done:
	VZEROUPPER
	RET

// func subAVX2(dst, x, y []float32)
// Requires: AVX
TEXT ·subAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $32
	JB   subAVX2_loop8

subAVX2_loop32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VSUBPS  (DI), Y0, Y0
	VSUBPS  32(DI), Y1, Y1
	VSUBPS  64(DI), Y2, Y2
	VSUBPS  96(DI), Y3, Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     subAVX2_loop32

subAVX2_loop8:
	CMPQ    CX, $8
	JB      subAVX2_tail
	VMOVUPS (SI), Y0
	VSUBPS  (DI), Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     subAVX2_loop8

subAVX2_tail:
	TESTQ  CX, CX
	JE     subAVX2_done
	VMOVSS (SI), X0
	VSUBSS (DI), X0, X0
	VMOVSS X0, (DX)
	ADDQ   $4, SI
	ADDQ   $4, DI
	ADDQ   $4, DX
	DECQ   CX
	JMP    subAVX2_tail

subAVX2_done:
	VZEROUPPER
	RET

// func mulAVX2(dst, x, y []float32)
// Requires: AVX
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $32
	JB   mulAVX2_loop8

mulAVX2_loop32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS  (DI), Y0, Y0
	VMULPS  32(DI), Y1, Y1
	VMULPS  64(DI), Y2, Y2
	VMULPS  96(DI), Y3, Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     mulAVX2_loop32

mulAVX2_loop8:
	CMPQ    CX, $8
	JB      mulAVX2_tail
	VMOVUPS (SI), Y0
	VMULPS  (DI), Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     mulAVX2_loop8

mulAVX2_tail:
	TESTQ  CX, CX
	JE     mulAVX2_done
	VMOVSS (SI), X0
	VMULSS (DI), X0, X0
	VMOVSS X0, (DX)
	ADDQ   $4, SI
	ADDQ   $4, DI
	ADDQ   $4, DX
	DECQ   CX
	JMP    mulAVX2_tail

mulAVX2_done:
	VZEROUPPER
	RET

// reluAVX2 uses VMAXPS with zero as the second source, which VMAXPS
// returns when x is NaN or when both operands are zeros, so NaN and -0
// give +0 as in the generic version.

// func reluAVX2(dst, x []float32)
// Requires: AVX
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DX
	MOVQ   dst_len+8(FP), CX
	MOVQ   x_base+24(FP), SI
	VXORPS Y0, Y0, Y0
	CMPQ   CX, $32
	JB     reluAVX2_loop8

reluAVX2_loop32:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VMAXPS  Y0, Y1, Y1
	VMAXPS  Y0, Y2, Y2
	VMAXPS  Y0, Y3, Y3
	VMAXPS  Y0, Y4, Y4
	VMOVUPS Y1, (DX)
	VMOVUPS Y2, 32(DX)
	VMOVUPS Y3, 64(DX)
	VMOVUPS Y4, 96(DX)
	ADDQ    $128, SI
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     reluAVX2_loop32

reluAVX2_loop8:
	CMPQ    CX, $8
	JB      reluAVX2_tail
	VMOVUPS (SI), Y1
	VMAXPS  Y0, Y1, Y1
	VMOVUPS Y1, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     reluAVX2_loop8

reluAVX2_tail:
	TESTQ  CX, CX
	JE     reluAVX2_done
	VMOVSS (SI), X1
	VMAXSS X0, X1, X1
	VMOVSS X1, (DX)
	ADDQ   $4, SI
	ADDQ   $4, DX
	DECQ   CX
	JMP    reluAVX2_tail

reluAVX2_done:
	VZEROUPPER
	RET

// reluBackwardAVX2 builds the mask 0 < x with the ordered, quiet predicate
// LT_OQ (0x11), false for NaN, and ANDs it with dy.

// func reluBackwardAVX2(dx, dy, x []float32)
// Requires: AVX
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-72
	MOVQ   dx_base+0(FP), DX
	MOVQ   dx_len+8(FP), CX
	MOVQ   dy_base+24(FP), DI
	MOVQ   x_base+48(FP), SI
	VXORPS Y0, Y0, Y0
	CMPQ   CX, $32
	JB     reluBackwardAVX2_loop8

reluBackwardAVX2_loop32:
	VCMPPS  $0x11, (SI), Y0, Y1
	VCMPPS  $0x11, 32(SI), Y0, Y2
	VCMPPS  $0x11, 64(SI), Y0, Y3
	VCMPPS  $0x11, 96(SI), Y0, Y4
	VANDPS  (DI), Y1, Y1
	VANDPS  32(DI), Y2, Y2
	VANDPS  64(DI), Y3, Y3
	VANDPS  96(DI), Y4, Y4
	VMOVUPS Y1, (DX)
	VMOVUPS Y2, 32(DX)
	VMOVUPS Y3, 64(DX)
	VMOVUPS Y4, 96(DX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     reluBackwardAVX2_loop32

reluBackwardAVX2_loop8:
	CMPQ    CX, $8
	JB      reluBackwardAVX2_tail
	VCMPPS  $0x11, (SI), Y0, Y1
	VANDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     reluBackwardAVX2_loop8

reluBackwardAVX2_tail:
	TESTQ  CX, CX
	JE     reluBackwardAVX2_done
	VMOVSS (SI), X1
	VCMPSS $0x11, X1, X0, X1
	VMOVSS (DI), X2
	VANDPS X2, X1, X1
	VMOVSS X1, (DX)
	ADDQ   $4, SI
	ADDQ   $4, DI
	ADDQ   $4, DX
	DECQ   CX
	JMP    reluBackwardAVX2_tail

reluBackwardAVX2_done:
	VZEROUPPER
	RET
