//go:build !purego

#include "textflag.h"

// ExpSum for the AVX2 and AVX-512 levels, on whole blocks of 8 float64
// elements (the Go wrapper in exp64.go runs the rest). The operations and
// their order are those of exp64 and expSumFrom, so the results equal the
// generic ones bit for bit:
//
//	y = x - shift
//	t = y*log2e + shifter             (fused; k + 1023 in the low bits)
//	k = t - shifter
//	r = y - k*ln2hi, then r - k*ln2lo (fused)
//	p = Horner over 1/13! ... 1/2!, 1, 1 in r (fused)
//	e = p * (t << 52), 0 where y < -708 (or y is -Inf), +Inf where y > 709
//
// The comparison for 0 is "not less than" with unordered true, so NaN
// keeps the NaN that p carries. Element i adds to partial sum i mod 8, in
// the order of i. Each constant is stored 8 times, for one 256-bit or
// 512-bit load.

#define EXPCONST(name, bits) \
	DATA name<>+0(SB)/8, bits; DATA name<>+8(SB)/8, bits; \
	DATA name<>+16(SB)/8, bits; DATA name<>+24(SB)/8, bits; \
	DATA name<>+32(SB)/8, bits; DATA name<>+40(SB)/8, bits; \
	DATA name<>+48(SB)/8, bits; DATA name<>+56(SB)/8, bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $64

EXPCONST(expLog2e, $0x3ff71547652b82fe)   // 1/ln 2
EXPCONST(expShifter, $0x43380000000003ff) // 1.5*2^52 + 1023
EXPCONST(expLn2Hi, $0x3fe62e42fefa39ef)   // ln 2 rounded
EXPCONST(expLn2Lo, $0x3c7abc9e3b39803f)   // ln 2 - expLn2Hi
EXPCONST(expLo, $0xc086200000000000)      // -708
EXPCONST(expHi, $0x4086280000000000)      // 709
EXPCONST(expInf, $0x7ff0000000000000)     // +Inf
EXPCONST(expOne, $0x3ff0000000000000)     // 1
EXPCONST(expC2, $0x3fe0000000000000)      // 1/2!
EXPCONST(expC3, $0x3fc5555555555555)
EXPCONST(expC4, $0x3fa5555555555555)
EXPCONST(expC5, $0x3f81111111111111)
EXPCONST(expC6, $0x3f56c16c16c16c17)
EXPCONST(expC7, $0x3f2a01a01a01a01a)
EXPCONST(expC8, $0x3efa01a01a01a01a)
EXPCONST(expC9, $0x3ec71de3a556c734)
EXPCONST(expC10, $0x3e927e4fb7789f5c)
EXPCONST(expC11, $0x3e5ae64567f544e4)
EXPCONST(expC12, $0x3e21eed8eff8d898)
EXPCONST(expC13, $0x3de6124613a86d09) // 1/13!

// EXP4 computes four exponentials from off(SI) into off(DI) and adds them
// to ACC. Y13 holds shift, Y14 log2e and Y15 the shifter; Y, T, R and P
// are scratch.
#define EXP4(off, Y, T, R, P, ACC) \
	VMOVUPD      off(SI), Y;           \
	VSUBPD       Y13, Y, Y;            \
	VMOVAPD      Y15, T;               \
	VFMADD231PD  Y14, Y, T;            \
	VSUBPD       Y15, T, P;            \
	VMOVAPD      Y, R;                 \
	VFNMADD231PD expLn2Hi<>(SB), P, R; \
	VFNMADD231PD expLn2Lo<>(SB), P, R; \
	VMOVUPD      expC13<>(SB), P;      \
	VFMADD213PD  expC12<>(SB), R, P;   \
	VFMADD213PD  expC11<>(SB), R, P;   \
	VFMADD213PD  expC10<>(SB), R, P;   \
	VFMADD213PD  expC9<>(SB), R, P;    \
	VFMADD213PD  expC8<>(SB), R, P;    \
	VFMADD213PD  expC7<>(SB), R, P;    \
	VFMADD213PD  expC6<>(SB), R, P;    \
	VFMADD213PD  expC5<>(SB), R, P;    \
	VFMADD213PD  expC4<>(SB), R, P;    \
	VFMADD213PD  expC3<>(SB), R, P;    \
	VFMADD213PD  expC2<>(SB), R, P;    \
	VFMADD213PD  expOne<>(SB), R, P;   \
	VFMADD213PD  expOne<>(SB), R, P;   \
	VPSLLQ       $52, T, T;            \
	VMULPD       T, P, P;              \
	VCMPPD       $0x15, expLo<>(SB), Y, T; \
	VANDPD       T, P, P;              \
	VCMPPD       $0x1e, expHi<>(SB), Y, T; \
	VBLENDVPD    T, expInf<>(SB), P, P; \
	VMOVUPD      P, off(DI);           \
	VADDPD       P, ACC, ACC

// func expBlocksAVX2(dst, x []float64, shift float64, acc *[8]float64)
// Requires: AVX, AVX2, FMA3
TEXT ·expBlocksAVX2(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSD shift+48(FP), Y13
	VMOVUPD      expLog2e<>(SB), Y14
	VMOVUPD      expShifter<>(SB), Y15
	VXORPD       Y11, Y11, Y11 // partial sums 0 to 3
	VXORPD       Y12, Y12, Y12 // partial sums 4 to 7
	SHRQ         $3, CX
	JZ           expBlocksAVX2_done

expBlocksAVX2_loop:
	EXP4(0, Y0, Y1, Y2, Y3, Y11)
	EXP4(32, Y4, Y5, Y6, Y7, Y12)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  expBlocksAVX2_loop

expBlocksAVX2_done:
	MOVQ    acc+56(FP), AX
	VMOVUPD Y11, (AX)
	VMOVUPD Y12, 32(AX)
	VZEROUPPER
	RET

// EXP8 is EXP4 on eight lanes, with the constants in Z8 to Z12 and Z16 to
// Z31 (see expBlocksAVX512) and the partial sums in Z13.
#define EXP8(off, Y, T, R, P) \
	VMOVUPD      off(SI), Y;     \
	VSUBPD       Z16, Y, Y;      \
	VMOVAPD      Z18, T;         \
	VFMADD231PD  Z17, Y, T;      \
	VSUBPD       Z18, T, P;      \
	VMOVAPD      Y, R;           \
	VFNMADD231PD Z19, P, R;      \
	VFNMADD231PD Z20, P, R;      \
	VMOVAPD      Z25, P;         \
	VFMADD213PD  Z26, R, P;      \
	VFMADD213PD  Z27, R, P;      \
	VFMADD213PD  Z28, R, P;      \
	VFMADD213PD  Z29, R, P;      \
	VFMADD213PD  Z30, R, P;      \
	VFMADD213PD  Z31, R, P;      \
	VFMADD213PD  Z8, R, P;       \
	VFMADD213PD  Z9, R, P;       \
	VFMADD213PD  Z10, R, P;      \
	VFMADD213PD  Z11, R, P;      \
	VFMADD213PD  Z12, R, P;      \
	VFMADD213PD  Z24, R, P;      \
	VFMADD213PD  Z24, R, P;      \
	VPSLLQ       $52, T, T;      \
	VCMPPD       $0x15, Z21, Y, K1; \
	VMULPD.Z     T, P, K1, P;    \
	VCMPPD       $0x1e, Z22, Y, K2; \
	VMOVAPD      Z23, K2, P;     \
	VMOVUPD      P, off(DI);     \
	VADDPD       P, Z13, Z13

// func expBlocksAVX512(dst, x []float64, shift float64, acc *[8]float64)
// Requires: AVX, AVX512F
TEXT ·expBlocksAVX512(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSD shift+48(FP), Z16
	VMOVUPD      expLog2e<>(SB), Z17
	VMOVUPD      expShifter<>(SB), Z18
	VMOVUPD      expLn2Hi<>(SB), Z19
	VMOVUPD      expLn2Lo<>(SB), Z20
	VMOVUPD      expLo<>(SB), Z21
	VMOVUPD      expHi<>(SB), Z22
	VMOVUPD      expInf<>(SB), Z23
	VMOVUPD      expOne<>(SB), Z24
	VMOVUPD      expC13<>(SB), Z25
	VMOVUPD      expC12<>(SB), Z26
	VMOVUPD      expC11<>(SB), Z27
	VMOVUPD      expC10<>(SB), Z28
	VMOVUPD      expC9<>(SB), Z29
	VMOVUPD      expC8<>(SB), Z30
	VMOVUPD      expC7<>(SB), Z31
	VMOVUPD      expC6<>(SB), Z8
	VMOVUPD      expC5<>(SB), Z9
	VMOVUPD      expC4<>(SB), Z10
	VMOVUPD      expC3<>(SB), Z11
	VMOVUPD      expC2<>(SB), Z12
	VPXORQ       Z13, Z13, Z13
	SHRQ         $3, CX

expBlocksAVX512_loop16:
	CMPQ CX, $2
	JB   expBlocksAVX512_tail
	EXP8(0, Z0, Z1, Z2, Z3)
	EXP8(64, Z4, Z5, Z6, Z7)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $2, CX
	JMP  expBlocksAVX512_loop16

expBlocksAVX512_tail:
	TESTQ CX, CX
	JZ    expBlocksAVX512_done
	EXP8(0, Z0, Z1, Z2, Z3)

expBlocksAVX512_done:
	MOVQ    acc+56(FP), AX
	VMOVUPD Z13, (AX)
	VZEROUPPER
	RET
