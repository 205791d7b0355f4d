//go:build amd64 && !purego

// Hand-written; the constants are the IEEE bits of sigmoid.go's, each
// repeated 8 times.

#include "textflag.h"

// Each constant 8 times: one YMM load.
DATA sigc<>+0(SB)/4, $0x80000000
DATA sigc<>+4(SB)/4, $0x80000000
DATA sigc<>+8(SB)/4, $0x80000000
DATA sigc<>+12(SB)/4, $0x80000000
DATA sigc<>+16(SB)/4, $0x80000000
DATA sigc<>+20(SB)/4, $0x80000000
DATA sigc<>+24(SB)/4, $0x80000000
DATA sigc<>+28(SB)/4, $0x80000000
DATA sigc<>+32(SB)/4, $0x42b0c0a5
DATA sigc<>+36(SB)/4, $0x42b0c0a5
DATA sigc<>+40(SB)/4, $0x42b0c0a5
DATA sigc<>+44(SB)/4, $0x42b0c0a5
DATA sigc<>+48(SB)/4, $0x42b0c0a5
DATA sigc<>+52(SB)/4, $0x42b0c0a5
DATA sigc<>+56(SB)/4, $0x42b0c0a5
DATA sigc<>+60(SB)/4, $0x42b0c0a5
DATA sigc<>+64(SB)/4, $0xc2b0c0a5
DATA sigc<>+68(SB)/4, $0xc2b0c0a5
DATA sigc<>+72(SB)/4, $0xc2b0c0a5
DATA sigc<>+76(SB)/4, $0xc2b0c0a5
DATA sigc<>+80(SB)/4, $0xc2b0c0a5
DATA sigc<>+84(SB)/4, $0xc2b0c0a5
DATA sigc<>+88(SB)/4, $0xc2b0c0a5
DATA sigc<>+92(SB)/4, $0xc2b0c0a5
DATA sigc<>+96(SB)/4, $0x3fb8aa3b
DATA sigc<>+100(SB)/4, $0x3fb8aa3b
DATA sigc<>+104(SB)/4, $0x3fb8aa3b
DATA sigc<>+108(SB)/4, $0x3fb8aa3b
DATA sigc<>+112(SB)/4, $0x3fb8aa3b
DATA sigc<>+116(SB)/4, $0x3fb8aa3b
DATA sigc<>+120(SB)/4, $0x3fb8aa3b
DATA sigc<>+124(SB)/4, $0x3fb8aa3b
DATA sigc<>+128(SB)/4, $0x3f000000
DATA sigc<>+132(SB)/4, $0x3f000000
DATA sigc<>+136(SB)/4, $0x3f000000
DATA sigc<>+140(SB)/4, $0x3f000000
DATA sigc<>+144(SB)/4, $0x3f000000
DATA sigc<>+148(SB)/4, $0x3f000000
DATA sigc<>+152(SB)/4, $0x3f000000
DATA sigc<>+156(SB)/4, $0x3f000000
DATA sigc<>+160(SB)/4, $0x3f318000
DATA sigc<>+164(SB)/4, $0x3f318000
DATA sigc<>+168(SB)/4, $0x3f318000
DATA sigc<>+172(SB)/4, $0x3f318000
DATA sigc<>+176(SB)/4, $0x3f318000
DATA sigc<>+180(SB)/4, $0x3f318000
DATA sigc<>+184(SB)/4, $0x3f318000
DATA sigc<>+188(SB)/4, $0x3f318000
DATA sigc<>+192(SB)/4, $0xb95e8083
DATA sigc<>+196(SB)/4, $0xb95e8083
DATA sigc<>+200(SB)/4, $0xb95e8083
DATA sigc<>+204(SB)/4, $0xb95e8083
DATA sigc<>+208(SB)/4, $0xb95e8083
DATA sigc<>+212(SB)/4, $0xb95e8083
DATA sigc<>+216(SB)/4, $0xb95e8083
DATA sigc<>+220(SB)/4, $0xb95e8083
DATA sigc<>+224(SB)/4, $0x39506967
DATA sigc<>+228(SB)/4, $0x39506967
DATA sigc<>+232(SB)/4, $0x39506967
DATA sigc<>+236(SB)/4, $0x39506967
DATA sigc<>+240(SB)/4, $0x39506967
DATA sigc<>+244(SB)/4, $0x39506967
DATA sigc<>+248(SB)/4, $0x39506967
DATA sigc<>+252(SB)/4, $0x39506967
DATA sigc<>+256(SB)/4, $0x3ab743ce
DATA sigc<>+260(SB)/4, $0x3ab743ce
DATA sigc<>+264(SB)/4, $0x3ab743ce
DATA sigc<>+268(SB)/4, $0x3ab743ce
DATA sigc<>+272(SB)/4, $0x3ab743ce
DATA sigc<>+276(SB)/4, $0x3ab743ce
DATA sigc<>+280(SB)/4, $0x3ab743ce
DATA sigc<>+284(SB)/4, $0x3ab743ce
DATA sigc<>+288(SB)/4, $0x3c088908
DATA sigc<>+292(SB)/4, $0x3c088908
DATA sigc<>+296(SB)/4, $0x3c088908
DATA sigc<>+300(SB)/4, $0x3c088908
DATA sigc<>+304(SB)/4, $0x3c088908
DATA sigc<>+308(SB)/4, $0x3c088908
DATA sigc<>+312(SB)/4, $0x3c088908
DATA sigc<>+316(SB)/4, $0x3c088908
DATA sigc<>+320(SB)/4, $0x3d2aa9c1
DATA sigc<>+324(SB)/4, $0x3d2aa9c1
DATA sigc<>+328(SB)/4, $0x3d2aa9c1
DATA sigc<>+332(SB)/4, $0x3d2aa9c1
DATA sigc<>+336(SB)/4, $0x3d2aa9c1
DATA sigc<>+340(SB)/4, $0x3d2aa9c1
DATA sigc<>+344(SB)/4, $0x3d2aa9c1
DATA sigc<>+348(SB)/4, $0x3d2aa9c1
DATA sigc<>+352(SB)/4, $0x3e2aaaaa
DATA sigc<>+356(SB)/4, $0x3e2aaaaa
DATA sigc<>+360(SB)/4, $0x3e2aaaaa
DATA sigc<>+364(SB)/4, $0x3e2aaaaa
DATA sigc<>+368(SB)/4, $0x3e2aaaaa
DATA sigc<>+372(SB)/4, $0x3e2aaaaa
DATA sigc<>+376(SB)/4, $0x3e2aaaaa
DATA sigc<>+380(SB)/4, $0x3e2aaaaa
DATA sigc<>+384(SB)/4, $0x3f000000
DATA sigc<>+388(SB)/4, $0x3f000000
DATA sigc<>+392(SB)/4, $0x3f000000
DATA sigc<>+396(SB)/4, $0x3f000000
DATA sigc<>+400(SB)/4, $0x3f000000
DATA sigc<>+404(SB)/4, $0x3f000000
DATA sigc<>+408(SB)/4, $0x3f000000
DATA sigc<>+412(SB)/4, $0x3f000000
DATA sigc<>+416(SB)/4, $0x3f800000
DATA sigc<>+420(SB)/4, $0x3f800000
DATA sigc<>+424(SB)/4, $0x3f800000
DATA sigc<>+428(SB)/4, $0x3f800000
DATA sigc<>+432(SB)/4, $0x3f800000
DATA sigc<>+436(SB)/4, $0x3f800000
DATA sigc<>+440(SB)/4, $0x3f800000
DATA sigc<>+444(SB)/4, $0x3f800000
DATA sigc<>+448(SB)/4, $0x7f
DATA sigc<>+452(SB)/4, $0x7f
DATA sigc<>+456(SB)/4, $0x7f
DATA sigc<>+460(SB)/4, $0x7f
DATA sigc<>+464(SB)/4, $0x7f
DATA sigc<>+468(SB)/4, $0x7f
DATA sigc<>+472(SB)/4, $0x7f
DATA sigc<>+476(SB)/4, $0x7f
GLOBL sigc<>(SB), RODATA|NOPTR, $480

// func sigmoidAVX2(y, x *float32, n int)
// y[i] = 1/(1+e^-x[i]) for n (a multiple of 8) values: e^v as in expf32
// (v clamped to ±88.376, v = k·ln2 + r, a degree-6 polynomial in r, 2^k
// put in the exponent bits), NaN kept.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $8
	JL   done
	VMOVUPS (SI), Y0
	VCMPPS  $3, Y0, Y0, Y1           // Y1: x is NaN
	VXORPS  sigc<>+0(SB), Y0, Y0      // v = -x
	VMINPS  sigc<>+32(SB), Y0, Y0
	VMAXPS  sigc<>+64(SB), Y0, Y0
	VMOVUPS sigc<>+96(SB), Y2
	VFMADD213PS sigc<>+128(SB), Y0, Y2  // t = v·log2e + 0.5
	VROUNDPS $1, Y2, Y2              // k = floor(t)
	VMOVAPS Y0, Y3
	VFNMADD231PS sigc<>+160(SB), Y2, Y3 // r = v - k·ln2hi
	VFNMADD231PS sigc<>+192(SB), Y2, Y3 //     - k·ln2lo
	VMOVUPS sigc<>+224(SB), Y4
	VFMADD213PS sigc<>+256(SB), Y3, Y4
	VFMADD213PS sigc<>+288(SB), Y3, Y4
	VFMADD213PS sigc<>+320(SB), Y3, Y4
	VFMADD213PS sigc<>+352(SB), Y3, Y4
	VFMADD213PS sigc<>+384(SB), Y3, Y4
	VMULPS  Y3, Y3, Y5               // r²
	VFMADD213PS Y3, Y5, Y4           // p·r² + r
	VADDPS  sigc<>+416(SB), Y4, Y4       // e^r
	VCVTPS2DQ Y2, Y2
	VPADDD  sigc<>+448(SB), Y2, Y2
	VPSLLD  $23, Y2, Y2              // 2^k
	VMULPS  Y2, Y4, Y4               // e^v
	VADDPS  sigc<>+416(SB), Y4, Y4
	VMOVUPS sigc<>+416(SB), Y5
	VDIVPS  Y4, Y5, Y5               // 1/(1+e^v)
	VMOVUPS (SI), Y0
	VBLENDVPS Y1, Y0, Y5, Y5         // NaN stays NaN
	VMOVUPS Y5, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

done:
	VZEROUPPER
	RET
