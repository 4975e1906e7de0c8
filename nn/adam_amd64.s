//go:build !purego

#include "textflag.h"

// adamMinNormal is the smallest normal float32, 2^-126, eight times.
DATA adamMinNormal<>+0(SB)/4, $0x00800000
DATA adamMinNormal<>+4(SB)/4, $0x00800000
DATA adamMinNormal<>+8(SB)/4, $0x00800000
DATA adamMinNormal<>+12(SB)/4, $0x00800000
DATA adamMinNormal<>+16(SB)/4, $0x00800000
DATA adamMinNormal<>+20(SB)/4, $0x00800000
DATA adamMinNormal<>+24(SB)/4, $0x00800000
DATA adamMinNormal<>+28(SB)/4, $0x00800000
GLOBL adamMinNormal<>(SB), RODATA|NOPTR, $32

// func adamAVX2(p, g, m, v []float32, c *adamConstants)
// Requires: AVX, AVX2, FMA3
//
// Updates 8 elements per iteration; len(p) must be a multiple of 8 and g,
// m and v at least as long. Moments below the smallest normal float32
// become 0, as in adamGeneric, the Go reference.
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), DI  // DI = &p[0]
	MOVQ p_len+8(FP), CX   // CX = elements left
	MOVQ g_base+24(FP), SI // SI = &g[0]
	MOVQ m_base+48(FP), R8 // R8 = &m[0]
	MOVQ v_base+72(FP), R9 // R9 = &v[0]
	MOVQ c+96(FP), AX

	VBROADCASTSS 0(AX), Y0  // beta1
	VBROADCASTSS 4(AX), Y1  // 1 - beta1
	VBROADCASTSS 8(AX), Y2  // beta2
	VBROADCASTSS 12(AX), Y3 // 1 - beta2
	VBROADCASTSS 16(AX), Y4 // eps
	VBROADCASTSS 20(AX), Y5 // step size lr / (1 - beta1^t)
	VBROADCASTSS 24(AX), Y6 // 1 / sqrt(1 - beta2^t)
	VBROADCASTSS 28(AX), Y7 // decoupled decay factor 1 - lr*wd
	VBROADCASTSS 32(AX), Y8 // L2 weight decay
	VPCMPEQD     Y15, Y15, Y15
	VPSRLD       $1, Y15, Y15 // 0x7fffffff: clears the sign bit

adamAVX2_loop:
	CMPQ CX, $8
	JL   adamAVX2_done
	VMOVUPS     (DI), Y9              // p
	VMOVUPS     (SI), Y10             // g
	VFMADD231PS Y8, Y9, Y10           // g += wd * p
	VMULPS      (R8), Y0, Y11         // m * beta1
	VFMADD231PS Y1, Y10, Y11          // m = beta1*m + (1-beta1)*g
	VMULPS      (R9), Y2, Y12         // v * beta2
	VMULPS      Y10, Y10, Y13         // g * g
	VFMADD231PS Y3, Y13, Y12          // v = beta2*v + (1-beta2)*g*g
	VANDPS      Y15, Y11, Y13         // |m|
	VCMPPS      $5, adamMinNormal<>(SB), Y13, Y13 // !(|m| < min normal), true for NaN
	VANDPS      Y13, Y11, Y11         // m = 0 where subnormal
	VCMPPS      $5, adamMinNormal<>(SB), Y12, Y14 // !(v < min normal)
	VANDPS      Y14, Y12, Y12         // v = 0 where subnormal
	VMOVUPS     Y11, (R8)
	VMOVUPS     Y12, (R9)
	VSQRTPS     Y12, Y13              // sqrt(v)
	VFMADD213PS Y4, Y6, Y13           // denom = sqrt(v) / sqrt(1-beta2^t) + eps
	VDIVPS      Y13, Y11, Y14         // m / denom
	VMULPS      Y14, Y5, Y14          // step size * m / denom
	VMULPS      Y7, Y9, Y9            // p * decay
	VSUBPS      Y14, Y9, Y9           // p = p*decay - step
	VMOVUPS     Y9, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, R8
	ADDQ        $32, R9
	SUBQ        $8, CX
	JMP         adamAVX2_loop

adamAVX2_done:
	VZEROUPPER
	RET
