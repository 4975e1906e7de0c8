//go:build !purego

#include "textflag.h"

// Axpy64, AddMul4, SubFrom64 and Scale64 for the AVX2 and AVX-512 levels,
// on whole blocks of 8 float64 elements (the Go wrappers in vec64.go run
// the rest). Products and sums are rounded separately, as in the generic
// code: VMULPD, VADDPD and VSUBPD, never VFMADD.
//
// Register roles: SI is the input (Axpy64, SubFrom64) or the first row of
// m, R8 to R10 the other rows, DI the output, CX the number of blocks
// left.

// ADDMUL4 adds ((x0 m0 + x1 m1) + x2 m2) + x3 m3 at off to the output at
// off, with x0 to x3 broadcast in X0 to X3 and T, U scratch.
#define ADDMUL4(off, X0, X1, X2, X3, T, U) \
	VMULPD  off(SI), X0, T;  \
	VMULPD  off(R8), X1, U;  \
	VADDPD  U, T, T;         \
	VMULPD  off(R9), X2, U;  \
	VADDPD  U, T, T;         \
	VMULPD  off(R10), X3, U; \
	VADDPD  U, T, T;         \
	VADDPD  off(DI), T, T;   \
	VMOVUPD T, off(DI)

// ADDMUL4SETUP loads the pointers and the block count and broadcasts x.
#define ADDMUL4SETUP(BROADCAST, X0, X1, X2, X3) \
	MOVQ      dst_base+0(FP), DI;  \
	MOVQ      dst_len+8(FP), CX;   \
	MOVQ      x_base+24(FP), AX;   \
	MOVQ      m_base+48(FP), SI;   \
	MOVQ      stride+72(FP), DX;   \
	SHLQ      $3, DX;              \
	LEAQ      (SI)(DX*1), R8;      \
	LEAQ      (R8)(DX*1), R9;      \
	LEAQ      (R9)(DX*1), R10;     \
	BROADCAST 0(AX), X0;           \
	BROADCAST 8(AX), X1;           \
	BROADCAST 16(AX), X2;          \
	BROADCAST 24(AX), X3;          \
	SHRQ      $3, CX

// func axpy64AVX2(alpha float64, x, y []float64)
// Requires: AVX, AVX2
TEXT ·axpy64AVX2(SB), NOSPLIT, $0-56
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	SHRQ         $3, CX
	JZ           axpy64AVX2_done

axpy64AVX2_loop:
	VMULPD  (SI), Y0, Y1
	VMULPD  32(SI), Y0, Y2
	VADDPD  (DI), Y1, Y1
	VADDPD  32(DI), Y2, Y2
	VMOVUPD Y1, (DI)
	VMOVUPD Y2, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     axpy64AVX2_loop

axpy64AVX2_done:
	VZEROUPPER
	RET

// func axpy64AVX512(alpha float64, x, y []float64)
// Requires: AVX, AVX512F
TEXT ·axpy64AVX512(SB), NOSPLIT, $0-56
	VBROADCASTSD alpha+0(FP), Z0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	SHRQ         $3, CX
	JZ           axpy64AVX512_done

axpy64AVX512_loop:
	VMULPD  (SI), Z0, Z1
	VADDPD  (DI), Z1, Z1
	VMOVUPD Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     axpy64AVX512_loop

axpy64AVX512_done:
	VZEROUPPER
	RET

// func addMul4AVX2(dst, x, m []float64, stride int)
// Requires: AVX, AVX2
TEXT ·addMul4AVX2(SB), NOSPLIT, $0-80
	ADDMUL4SETUP(VBROADCASTSD, Y0, Y1, Y2, Y3)
	JZ addMul4AVX2_done

addMul4AVX2_loop:
	ADDMUL4(0, Y0, Y1, Y2, Y3, Y4, Y5)
	ADDMUL4(32, Y0, Y1, Y2, Y3, Y6, Y7)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  addMul4AVX2_loop

addMul4AVX2_done:
	VZEROUPPER
	RET

// func addMul4AVX512(dst, x, m []float64, stride int)
// Requires: AVX, AVX512F
TEXT ·addMul4AVX512(SB), NOSPLIT, $0-80
	ADDMUL4SETUP(VBROADCASTSD, Z0, Z1, Z2, Z3)
	JZ addMul4AVX512_done

addMul4AVX512_loop:
	ADDMUL4(0, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  addMul4AVX512_loop

addMul4AVX512_done:
	VZEROUPPER
	RET

// func subFrom64AVX2(dst []float64, c float64, h []float64)
// Requires: AVX
TEXT ·subFrom64AVX2(SB), NOSPLIT, $0-56
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	VBROADCASTSD c+24(FP), Y0
	MOVQ         h_base+32(FP), SI
	SHRQ         $3, CX
	JZ           subFrom64AVX2_done

subFrom64AVX2_loop:
	VSUBPD  (SI), Y0, Y1
	VSUBPD  32(SI), Y0, Y2
	VMOVUPD Y1, (DI)
	VMOVUPD Y2, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     subFrom64AVX2_loop

subFrom64AVX2_done:
	VZEROUPPER
	RET

// func subFrom64AVX512(dst []float64, c float64, h []float64)
// Requires: AVX, AVX512F
TEXT ·subFrom64AVX512(SB), NOSPLIT, $0-56
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	VBROADCASTSD c+24(FP), Z0
	MOVQ         h_base+32(FP), SI
	SHRQ         $3, CX
	JZ           subFrom64AVX512_done

subFrom64AVX512_loop:
	VSUBPD  (SI), Z0, Z1
	VMOVUPD Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     subFrom64AVX512_loop

subFrom64AVX512_done:
	VZEROUPPER
	RET

// func scale64AVX2(alpha float64, x []float64)
// Requires: AVX
TEXT ·scale64AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x_base+8(FP), DI
	MOVQ         x_len+16(FP), CX
	SHRQ         $3, CX
	JZ           scale64AVX2_done

scale64AVX2_loop:
	VMULPD  (DI), Y0, Y1
	VMULPD  32(DI), Y0, Y2
	VMOVUPD Y1, (DI)
	VMOVUPD Y2, 32(DI)
	ADDQ    $64, DI
	DECQ    CX
	JNZ     scale64AVX2_loop

scale64AVX2_done:
	VZEROUPPER
	RET

// func scale64AVX512(alpha float64, x []float64)
// Requires: AVX, AVX512F
TEXT ·scale64AVX512(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Z0
	MOVQ         x_base+8(FP), DI
	MOVQ         x_len+16(FP), CX
	SHRQ         $3, CX
	JZ           scale64AVX512_done

scale64AVX512_loop:
	VMULPD  (DI), Z0, Z1
	VMOVUPD Z1, (DI)
	ADDQ    $64, DI
	DECQ    CX
	JNZ     scale64AVX512_loop

scale64AVX512_done:
	VZEROUPPER
	RET
