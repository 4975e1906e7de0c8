//go:build !purego

#include "textflag.h"

// Elementwise kernels and reductions for the AVX-512 level (F, BW and VL
// only), sixteen float32 lanes per ZMM register. Main loops handle 64
// elements per iteration and a second loop 16. The last 0 to 15 elements go
// through one masked load and store: the mask K1 has a bit per remaining
// element, and masked-off lanes are neither read nor written, so no kernel
// touches memory past the end of a slice. Every path to RET runs VZEROUPPER.
//
// Register roles: SI and DI are the inputs, DX the output, CX the number of
// elements left.

// func dotAVX512(x, y []float32) float32
// Requires: AVX, AVX512F
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JB     dotAVX512_loop16

dotAVX512_loop64:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JAE         dotAVX512_loop64

dotAVX512_loop16:
	CMPQ        CX, $16
	JB          dotAVX512_tail
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dotAVX512_loop16

dotAVX512_tail:
	TESTQ       CX, CX
	JE          dotAVX512_reduce
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVW       AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z   (SI), K1, Z4
	VMOVUPS.Z   (DI), K1, Z5
	VFMADD231PS Z5, Z4, Z1

dotAVX512_reduce:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VADDSS        X1, X0, X0
	VZEROUPPER
	VMOVSS        X0, ret+48(FP)
	RET

// func sumAVX512(x []float32) float32
// Requires: AVX, AVX512F
TEXT ·sumAVX512(SB), NOSPLIT, $0-28
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JB     sumAVX512_loop16

sumAVX512_loop64:
	VADDPS (SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	ADDQ   $256, SI
	SUBQ   $64, CX
	CMPQ   CX, $64
	JAE    sumAVX512_loop64

sumAVX512_loop16:
	CMPQ   CX, $16
	JB     sumAVX512_tail
	VADDPS (SI), Z0, Z0
	ADDQ   $64, SI
	SUBQ   $16, CX
	JMP    sumAVX512_loop16

sumAVX512_tail:
	TESTQ     CX, CX
	JE        sumAVX512_reduce
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z4
	VADDPS    Z4, Z1, Z1

sumAVX512_reduce:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VADDSS        X1, X0, X0
	VZEROUPPER
	VMOVSS        X0, ret+24(FP)
	RET

// maxAVX512 keeps the running maximum in Z0-Z3 and ORs an unordered-compare
// mask of every loaded vector into K3, because VMAXPS returns its second
// source when either operand is NaN and so can drop a NaN. A set bit in K3
// makes the result NaN. Z8 holds -Inf, the fill for masked-off tail lanes.

// func maxAVX512(x []float32) float32
// Requires: AVX, AVX512F
TEXT ·maxAVX512(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	VPBROADCASTD AX, Z8
	VMOVAPS      Z8, Z0
	VMOVAPS      Z8, Z1
	VMOVAPS      Z8, Z2
	VMOVAPS      Z8, Z3
	KXORW        K3, K3, K3
	CMPQ         CX, $64
	JB           maxAVX512_loop16

maxAVX512_loop64:
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VCMPPS  $3, Z5, Z4, K1 // unordered: Z4 or Z5 is NaN
	VCMPPS  $3, Z7, Z6, K2
	KORW    K1, K3, K3
	KORW    K2, K3, K3
	VMAXPS  Z4, Z0, Z0
	VMAXPS  Z5, Z1, Z1
	VMAXPS  Z6, Z2, Z2
	VMAXPS  Z7, Z3, Z3
	ADDQ    $256, SI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     maxAVX512_loop64

maxAVX512_loop16:
	CMPQ    CX, $16
	JB      maxAVX512_tail
	VMOVUPS (SI), Z4
	VCMPPS  $3, Z4, Z4, K2
	KORW    K2, K3, K3
	VMAXPS  Z4, Z0, Z0
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     maxAVX512_loop16

maxAVX512_tail:
	TESTQ   CX, CX
	JE      maxAVX512_reduce
	MOVL    $1, AX
	SHLL    CX, AX
	DECL    AX
	KMOVW   AX, K1 // K1 = lanes 0 to CX-1
	VMOVAPS Z8, Z4
	VMOVUPS (SI), K1, Z4
	VCMPPS  $3, Z4, Z4, K2
	KORW    K2, K3, K3
	VMAXPS  Z4, Z1, Z1

maxAVX512_reduce:
	KORTESTW      K3, K3
	JNE           maxAVX512_nan
	VMAXPS        Z1, Z0, Z0
	VMAXPS        Z3, Z2, Z2
	VMAXPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VMAXPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VMAXSS        X1, X0, X0
	VZEROUPPER
	VMOVSS        X0, ret+24(FP)
	RET

maxAVX512_nan:
	VZEROUPPER
	MOVL       $0x7fc00000, AX // quiet NaN
	MOVL       AX, ret+24(FP)
	RET

// func axpyAVX512(alpha float32, x, y []float32)
// Requires: AVX, AVX512F
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DX
	CMPQ         CX, $64
	JB           axpyAVX512_loop16

axpyAVX512_loop64:
	VMOVUPS     (DX), Z1
	VMOVUPS     64(DX), Z2
	VMOVUPS     128(DX), Z3
	VMOVUPS     192(DX), Z4
	VFMADD231PS (SI), Z0, Z1
	VFMADD231PS 64(SI), Z0, Z2
	VFMADD231PS 128(SI), Z0, Z3
	VFMADD231PS 192(SI), Z0, Z4
	VMOVUPS     Z1, (DX)
	VMOVUPS     Z2, 64(DX)
	VMOVUPS     Z3, 128(DX)
	VMOVUPS     Z4, 192(DX)
	ADDQ        $256, SI
	ADDQ        $256, DX
	SUBQ        $64, CX
	CMPQ        CX, $64
	JAE         axpyAVX512_loop64

axpyAVX512_loop16:
	CMPQ        CX, $16
	JB          axpyAVX512_tail
	VMOVUPS     (DX), Z1
	VFMADD231PS (SI), Z0, Z1
	VMOVUPS     Z1, (DX)
	ADDQ        $64, SI
	ADDQ        $64, DX
	SUBQ        $16, CX
	JMP         axpyAVX512_loop16

axpyAVX512_tail:
	TESTQ       CX, CX
	JE          axpyAVX512_done
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVW       AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z   (DX), K1, Z1
	VMOVUPS.Z   (SI), K1, Z2
	VFMADD231PS Z2, Z0, Z1
	VMOVUPS     Z1, K1, (DX)

axpyAVX512_done:
	VZEROUPPER
	RET

// func scaleAVX512(alpha float32, x []float32)
// Requires: AVX, AVX512F
TEXT ·scaleAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ         x_base+8(FP), DX
	MOVQ         x_len+16(FP), CX
	CMPQ         CX, $64
	JB           scaleAVX512_loop16

scaleAVX512_loop64:
	VMULPS  (DX), Z0, Z1
	VMULPS  64(DX), Z0, Z2
	VMULPS  128(DX), Z0, Z3
	VMULPS  192(DX), Z0, Z4
	VMOVUPS Z1, (DX)
	VMOVUPS Z2, 64(DX)
	VMOVUPS Z3, 128(DX)
	VMOVUPS Z4, 192(DX)
	ADDQ    $256, DX
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     scaleAVX512_loop64

scaleAVX512_loop16:
	CMPQ    CX, $16
	JB      scaleAVX512_tail
	VMULPS  (DX), Z0, Z1
	VMOVUPS Z1, (DX)
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     scaleAVX512_loop16

scaleAVX512_tail:
	TESTQ     CX, CX
	JE        scaleAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z1, Z0, Z1
	VMOVUPS   Z1, K1, (DX)

scaleAVX512_done:
	VZEROUPPER
	RET

// func addAVX512(dst, x, y []float32)
// Requires: AVX, AVX512F
TEXT ·addAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $64
	JB   addAVX512_loop16

addAVX512_loop64:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VADDPS  (DI), Z0, Z0
	VADDPS  64(DI), Z1, Z1
	VADDPS  128(DI), Z2, Z2
	VADDPS  192(DI), Z3, Z3
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	ADDQ    $256, SI
	ADDQ    $256, DI
	ADDQ    $256, DX
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     addAVX512_loop64

addAVX512_loop16:
	CMPQ    CX, $16
	JB      addAVX512_tail
	VMOVUPS (SI), Z0
	VADDPS  (DI), Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     addAVX512_loop16

addAVX512_tail:
	TESTQ     CX, CX
	JE        addAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DX)

addAVX512_done:
	VZEROUPPER
	RET

// func subAVX512(dst, x, y []float32)
// Requires: AVX, AVX512F
TEXT ·subAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $64
	JB   subAVX512_loop16

subAVX512_loop64:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VSUBPS  (DI), Z0, Z0
	VSUBPS  64(DI), Z1, Z1
	VSUBPS  128(DI), Z2, Z2
	VSUBPS  192(DI), Z3, Z3
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	ADDQ    $256, SI
	ADDQ    $256, DI
	ADDQ    $256, DX
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     subAVX512_loop64

subAVX512_loop16:
	CMPQ    CX, $16
	JB      subAVX512_tail
	VMOVUPS (SI), Z0
	VSUBPS  (DI), Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     subAVX512_loop16

subAVX512_tail:
	TESTQ     CX, CX
	JE        subAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VSUBPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DX)

subAVX512_done:
	VZEROUPPER
	RET

// func mulAVX512(dst, x, y []float32)
// Requires: AVX, AVX512F
TEXT ·mulAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	CMPQ CX, $64
	JB   mulAVX512_loop16

mulAVX512_loop64:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMULPS  (DI), Z0, Z0
	VMULPS  64(DI), Z1, Z1
	VMULPS  128(DI), Z2, Z2
	VMULPS  192(DI), Z3, Z3
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	ADDQ    $256, SI
	ADDQ    $256, DI
	ADDQ    $256, DX
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     mulAVX512_loop64

mulAVX512_loop16:
	CMPQ    CX, $16
	JB      mulAVX512_tail
	VMOVUPS (SI), Z0
	VMULPS  (DI), Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     mulAVX512_loop16

mulAVX512_tail:
	TESTQ     CX, CX
	JE        mulAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DX)

mulAVX512_done:
	VZEROUPPER
	RET

// reluAVX512 uses VMAXPS with zero as the second source, which VMAXPS
// returns when x is NaN or when both operands are zeros, so NaN and -0 give
// +0 as in the generic version.

// func reluAVX512(dst, x []float32)
// Requires: AVX, AVX512F
TEXT ·reluAVX512(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DX
	MOVQ   dst_len+8(FP), CX
	MOVQ   x_base+24(FP), SI
	VPXORD Z0, Z0, Z0
	CMPQ   CX, $64
	JB     reluAVX512_loop16

reluAVX512_loop64:
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VMOVUPS 128(SI), Z3
	VMOVUPS 192(SI), Z4
	VMAXPS  Z0, Z1, Z1
	VMAXPS  Z0, Z2, Z2
	VMAXPS  Z0, Z3, Z3
	VMAXPS  Z0, Z4, Z4
	VMOVUPS Z1, (DX)
	VMOVUPS Z2, 64(DX)
	VMOVUPS Z3, 128(DX)
	VMOVUPS Z4, 192(DX)
	ADDQ    $256, SI
	ADDQ    $256, DX
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     reluAVX512_loop64

reluAVX512_loop16:
	CMPQ    CX, $16
	JB      reluAVX512_tail
	VMOVUPS (SI), Z1
	VMAXPS  Z0, Z1, Z1
	VMOVUPS Z1, (DX)
	ADDQ    $64, SI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     reluAVX512_loop16

reluAVX512_tail:
	TESTQ     CX, CX
	JE        reluAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z1
	VMAXPS    Z0, Z1, Z1
	VMOVUPS   Z1, K1, (DX)

reluAVX512_done:
	VZEROUPPER
	RET

// reluBackwardAVX512 compares 0 < x with the ordered, quiet predicate
// LT_OQ (0x11), false for NaN, into a mask register and loads dy under that
// mask with zeroing.

// func reluBackwardAVX512(dx, dy, x []float32)
// Requires: AVX, AVX512F
TEXT ·reluBackwardAVX512(SB), NOSPLIT, $0-72
	MOVQ   dx_base+0(FP), DX
	MOVQ   dx_len+8(FP), CX
	MOVQ   dy_base+24(FP), DI
	MOVQ   x_base+48(FP), SI
	VPXORD Z0, Z0, Z0
	CMPQ   CX, $64
	JB     reluBackwardAVX512_loop16

reluBackwardAVX512_loop64:
	VCMPPS    $0x11, (SI), Z0, K2
	VCMPPS    $0x11, 64(SI), Z0, K3
	VCMPPS    $0x11, 128(SI), Z0, K4
	VCMPPS    $0x11, 192(SI), Z0, K5
	VMOVUPS.Z (DI), K2, Z1
	VMOVUPS.Z 64(DI), K3, Z2
	VMOVUPS.Z 128(DI), K4, Z3
	VMOVUPS.Z 192(DI), K5, Z4
	VMOVUPS   Z1, (DX)
	VMOVUPS   Z2, 64(DX)
	VMOVUPS   Z3, 128(DX)
	VMOVUPS   Z4, 192(DX)
	ADDQ      $256, SI
	ADDQ      $256, DI
	ADDQ      $256, DX
	SUBQ      $64, CX
	CMPQ      CX, $64
	JAE       reluBackwardAVX512_loop64

reluBackwardAVX512_loop16:
	CMPQ      CX, $16
	JB        reluBackwardAVX512_tail
	VCMPPS    $0x11, (SI), Z0, K2
	VMOVUPS.Z (DI), K2, Z1
	VMOVUPS   Z1, (DX)
	ADDQ      $64, SI
	ADDQ      $64, DI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       reluBackwardAVX512_loop16

reluBackwardAVX512_tail:
	TESTQ     CX, CX
	JE        reluBackwardAVX512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1 // K1 = lanes 0 to CX-1
	VMOVUPS.Z (SI), K1, Z3
	VCMPPS    $0x11, Z3, Z0, K2 // masked-off lanes hold 0 and compare false
	VMOVUPS.Z (DI), K2, Z1
	VMOVUPS   Z1, K1, (DX)

reluBackwardAVX512_done:
	VZEROUPPER
	RET
