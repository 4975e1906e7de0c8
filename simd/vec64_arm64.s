//go:build !purego

#include "textflag.h"

// Axpy64, AddMul4, SubFrom64 and Scale64 for the NEON level, on whole
// blocks of 8 float64 elements (the Go wrappers in vec64.go run the rest).
// Products and sums are rounded separately, as in the generic code, with
// FMUL, FADD and FSUB on two lanes, which Go's assembler lacks and which
// are written as WORD.
//
// Register roles: R0 is the output (for Scale64 also the input), R1 the
// input (Axpy64, SubFrom64) or the four values of x (AddMul4), R3 to R6
// the rows of m, R2 the number of blocks left.

// func axpy64NEON(alpha float64, x, y []float64)
// Requires: NEON
TEXT ·axpy64NEON(SB), NOSPLIT, $0-56
	FMOVD alpha+0(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  x_base+8(FP), R1
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R0
	LSR   $3, R2
	CBZ   R2, axpy64NEON_done

axpy64NEON_loop:
	VLD1.P 64(R1), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1   (R0), [V20.D2, V21.D2, V22.D2, V23.D2]
	WORD $0x6e60de10 // FMUL V16.2D, V16.2D, V0.2D
	WORD $0x6e60de31 // FMUL V17.2D, V17.2D, V0.2D
	WORD $0x6e60de52 // FMUL V18.2D, V18.2D, V0.2D
	WORD $0x6e60de73 // FMUL V19.2D, V19.2D, V0.2D
	WORD $0x4e70d694 // FADD V20.2D, V20.2D, V16.2D
	WORD $0x4e71d6b5 // FADD V21.2D, V21.2D, V17.2D
	WORD $0x4e72d6d6 // FADD V22.2D, V22.2D, V18.2D
	WORD $0x4e73d6f7 // FADD V23.2D, V23.2D, V19.2D
	VST1.P [V20.D2, V21.D2, V22.D2, V23.D2], 64(R0)
	SUB    $1, R2
	CBNZ   R2, axpy64NEON_loop

axpy64NEON_done:
	RET

// func addMul4NEON(dst, x, m []float64, stride int)
// Requires: NEON
TEXT ·addMul4NEON(SB), NOSPLIT, $0-80
	MOVD  dst_base+0(FP), R0
	MOVD  dst_len+8(FP), R2
	MOVD  x_base+24(FP), R1
	MOVD  m_base+48(FP), R3
	MOVD  stride+72(FP), R7
	LSL   $3, R7
	ADD   R3, R7, R4
	ADD   R4, R7, R5
	ADD   R5, R7, R6
	FMOVD 0(R1), F0
	FMOVD 8(R1), F1
	FMOVD 16(R1), F2
	FMOVD 24(R1), F3
	VDUP  V0.D[0], V0.D2
	VDUP  V1.D[0], V1.D2
	VDUP  V2.D[0], V2.D2
	VDUP  V3.D[0], V3.D2
	LSR   $2, R2 // iterations of 4 elements
	CBZ   R2, addMul4NEON_done

addMul4NEON_loop:
	VLD1.P 32(R3), [V16.D2, V17.D2]
	VLD1.P 32(R4), [V18.D2, V19.D2]
	VLD1.P 32(R5), [V20.D2, V21.D2]
	VLD1.P 32(R6), [V22.D2, V23.D2]
	VLD1   (R0), [V24.D2, V25.D2]
	WORD $0x6e60de10 // FMUL V16.2D, V16.2D, V0.2D
	WORD $0x6e60de31 // FMUL V17.2D, V17.2D, V0.2D
	WORD $0x6e61de52 // FMUL V18.2D, V18.2D, V1.2D
	WORD $0x6e61de73 // FMUL V19.2D, V19.2D, V1.2D
	WORD $0x4e72d610 // FADD V16.2D, V16.2D, V18.2D
	WORD $0x4e73d631 // FADD V17.2D, V17.2D, V19.2D
	WORD $0x6e62de94 // FMUL V20.2D, V20.2D, V2.2D
	WORD $0x6e62deb5 // FMUL V21.2D, V21.2D, V2.2D
	WORD $0x4e74d610 // FADD V16.2D, V16.2D, V20.2D
	WORD $0x4e75d631 // FADD V17.2D, V17.2D, V21.2D
	WORD $0x6e63ded6 // FMUL V22.2D, V22.2D, V3.2D
	WORD $0x6e63def7 // FMUL V23.2D, V23.2D, V3.2D
	WORD $0x4e76d610 // FADD V16.2D, V16.2D, V22.2D
	WORD $0x4e77d631 // FADD V17.2D, V17.2D, V23.2D
	WORD $0x4e70d718 // FADD V24.2D, V24.2D, V16.2D
	WORD $0x4e71d739 // FADD V25.2D, V25.2D, V17.2D
	VST1.P [V24.D2, V25.D2], 32(R0)
	SUB    $1, R2
	CBNZ   R2, addMul4NEON_loop

addMul4NEON_done:
	RET

// func subFrom64NEON(dst []float64, c float64, h []float64)
// Requires: NEON
TEXT ·subFrom64NEON(SB), NOSPLIT, $0-56
	MOVD  dst_base+0(FP), R0
	MOVD  dst_len+8(FP), R2
	FMOVD c+24(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  h_base+32(FP), R1
	LSR   $3, R2
	CBZ   R2, subFrom64NEON_done

subFrom64NEON_loop:
	VLD1.P 64(R1), [V16.D2, V17.D2, V18.D2, V19.D2]
	WORD $0x4ef0d410 // FSUB V16.2D, V0.2D, V16.2D
	WORD $0x4ef1d411 // FSUB V17.2D, V0.2D, V17.2D
	WORD $0x4ef2d412 // FSUB V18.2D, V0.2D, V18.2D
	WORD $0x4ef3d413 // FSUB V19.2D, V0.2D, V19.2D
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R0)
	SUB    $1, R2
	CBNZ   R2, subFrom64NEON_loop

subFrom64NEON_done:
	RET

// func scale64NEON(alpha float64, x []float64)
// Requires: NEON
TEXT ·scale64NEON(SB), NOSPLIT, $0-32
	FMOVD alpha+0(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	LSR   $3, R2
	CBZ   R2, scale64NEON_done

scale64NEON_loop:
	VLD1   (R0), [V16.D2, V17.D2, V18.D2, V19.D2]
	WORD $0x6e60de10 // FMUL V16.2D, V16.2D, V0.2D
	WORD $0x6e60de31 // FMUL V17.2D, V17.2D, V0.2D
	WORD $0x6e60de52 // FMUL V18.2D, V18.2D, V0.2D
	WORD $0x6e60de73 // FMUL V19.2D, V19.2D, V0.2D
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R0)
	SUB    $1, R2
	CBNZ   R2, scale64NEON_loop

scale64NEON_done:
	RET
