/* Integer instructions and the flags they define: every result and
 * EFLAGS (defined bits only) printed, for QEMU and Lockstep to agree. */
#include "guest.h"

#define OSZAPC 0x8d5u
#define OSZPC 0x8c5u
#define C 0x001u
#define OC 0x801u
#define SZP 0x0c4u

static u32 flags_in[] = {0x002, 0x8d7};

static void show(const char *name, u32 r, u32 f, u32 mask)
{
    puts(name);
    putc(' ');
    put_hex(r);
    putc(' ');
    put_hex(f & mask);
    putc('\n');
}

/* r = op(a, b) with EFLAGS set to fin first. */
#define BIN(name, insn, mask)                                                  \
    static void t_##name(u32 a, u32 b, u32 fin)                                \
    {                                                                          \
        u32 r = a, f;                                                          \
        __asm__ volatile("push %3; popf; " insn " %2, %0; pushf; pop %1"       \
                         : "+r"(r), "=r"(f)                                    \
                         : "r"(b), "r"(fin)                                    \
                         : "cc");                                              \
        show(#name, r, f, mask);                                               \
    }
BIN(add, "addl", OSZAPC)
BIN(adc, "adcl", OSZAPC)
BIN(sub, "subl", OSZAPC)
BIN(sbb, "sbbl", OSZAPC)
BIN(and, "andl", OSZPC)
BIN(or, "orl", OSZPC)
BIN(xor, "xorl", OSZPC)
BIN(cmp, "cmpl", OSZAPC)
BIN(test, "testl", OSZPC)

#define BIN8(name, insn, mask)                                                 \
    static void t_##name(u32 a, u32 b, u32 fin)                                \
    {                                                                          \
        u32 r = a, f;                                                          \
        __asm__ volatile("push %3; popf; " insn " %b2, %b0; pushf; pop %1"     \
                         : "+q"(r), "=r"(f)                                    \
                         : "q"(b), "r"(fin)                                    \
                         : "cc");                                              \
        show(#name, r, f, mask);                                               \
    }
BIN8(addb, "addb", OSZAPC)
BIN8(sbbb, "sbbb", OSZAPC)

#define UN(name, insn, mask)                                                   \
    static void t_##name(u32 a, u32 fin)                                       \
    {                                                                          \
        u32 r = a, f;                                                          \
        __asm__ volatile("push %2; popf; " insn " %0; pushf; pop %1"           \
                         : "+r"(r), "=r"(f)                                    \
                         : "r"(fin)                                            \
                         : "cc");                                              \
        show(#name, r, f, mask);                                               \
    }
UN(inc, "incl", OSZAPC)
UN(dec, "decl", OSZAPC)
UN(neg, "negl", OSZAPC)
UN(not, "notl", 0xfff)

/* Shifts by CL: OF is defined for a count of 1 only, AF never. */
#define SH(name, insn)                                                         \
    static void t_##name(u32 a, u32 n, u32 fin)                                \
    {                                                                          \
        u32 r = a, f;                                                          \
        __asm__ volatile("push %3; popf; " insn " %%cl, %0; pushf; pop %1"     \
                         : "+r"(r), "=r"(f)                                    \
                         : "c"(n), "r"(fin)                                    \
                         : "cc");                                              \
        u32 mask = (n & 31) == 0 ? 0xfff : (n & 31) == 1 ? OSZPC : SZP | C;    \
        show(#name, r, f, mask);                                               \
    }
SH(shl, "shll")
SH(shr, "shrl")
SH(sar, "sarl")
/* Rotates: CF always, OF for a count of 1. */
#define ROT(name, insn)                                                        \
    static void t_##name(u32 a, u32 n, u32 fin)                                \
    {                                                                          \
        u32 r = a, f;                                                          \
        __asm__ volatile("push %3; popf; " insn " %%cl, %0; pushf; pop %1"     \
                         : "+r"(r), "=r"(f)                                    \
                         : "c"(n), "r"(fin)                                    \
                         : "cc");                                              \
        u32 mask = (n & 31) == 0 ? 0xfff : (n & 31) == 1 ? OC : C;             \
        show(#name, r, f, mask);                                               \
    }
ROT(rol, "roll")
ROT(ror, "rorl")
ROT(rcl, "rcll")
ROT(rcr, "rcrl")

static void t_shld(u32 a, u32 b, u32 n, u32 fin)
{
    u32 r = a, f;
    __asm__ volatile("push %4; popf; shldl %%cl, %2, %0; pushf; pop %1"
                     : "+r"(r), "=r"(f)
                     : "r"(b), "c"(n), "r"(fin)
                     : "cc");
    show("shld", r, f, (n & 31) == 0 ? 0xfff : (n & 31) == 1 ? OSZPC : SZP | C);
    r = a;
    __asm__ volatile("push %4; popf; shrdl %%cl, %2, %0; pushf; pop %1"
                     : "+r"(r), "=r"(f)
                     : "r"(b), "c"(n), "r"(fin)
                     : "cc");
    show("shrd", r, f, (n & 31) == 0 ? 0xfff : (n & 31) == 1 ? OSZPC : SZP | C);
}

static void t_mul(u32 a, u32 b)
{
    u32 lo, hi, f;
    __asm__ volatile("mull %3; pushf; pop %2" : "=a"(lo), "=d"(hi), "=r"(f) : "r"(b), "0"(a) : "cc");
    show("mul.lo", lo, f, OC);
    show("mul.hi", hi, 0, 0);
    __asm__ volatile("imull %3; pushf; pop %2" : "=a"(lo), "=d"(hi), "=r"(f) : "r"(b), "0"(a) : "cc");
    show("imul.lo", lo, f, OC);
    show("imul.hi", hi, 0, 0);
    __asm__ volatile("imull %2, %0; pushf; pop %1" : "=r"(lo), "=r"(f) : "r"(b), "0"(a) : "cc");
    show("imul2", lo, f, OC);
}

static void t_div(u32 hi, u32 lo, u32 d)
{
    u32 q, r;
    __asm__ volatile("divl %4" : "=a"(q), "=d"(r) : "0"(lo), "1"(hi), "r"(d) : "cc");
    show("div.q", q, 0, 0);
    show("div.r", r, 0, 0);
    /* Signed: EDX:EAX = EAX sign-extended, which cannot overflow here. */
    __asm__ volatile("cltd; idivl %3" : "=a"(q), "=d"(r) : "0"(lo), "r"(d) : "cc");
    show("idiv.q", q, 0, 0);
    show("idiv.r", r, 0, 0);
}

static void t_bits(u32 a, u32 n)
{
    u32 r, f;
    __asm__ volatile("btl %2, %3; setc %b0; movzbl %b0, %0; pushf; pop %1" : "=q"(r), "=r"(f) : "r"(n), "r"(a) : "cc");
    show("bt", r, f, C);
    r = a;
    __asm__ volatile("btsl %2, %0; pushf; pop %1" : "+r"(r), "=r"(f) : "r"(n) : "cc");
    show("bts", r, f, C);
    r = a;
    __asm__ volatile("btrl %2, %0; pushf; pop %1" : "+r"(r), "=r"(f) : "r"(n) : "cc");
    show("btr", r, f, C);
    r = a;
    __asm__ volatile("btcl %2, %0; pushf; pop %1" : "+r"(r), "=r"(f) : "r"(n) : "cc");
    show("btc", r, f, C);
    r = 0x12345678;
    __asm__ volatile("bsfl %2, %0; pushf; pop %1" : "+r"(r), "=r"(f) : "r"(a) : "cc");
    show("bsf", r, f, 0x40);
    r = 0x12345678;
    __asm__ volatile("bsrl %2, %0; pushf; pop %1" : "+r"(r), "=r"(f) : "r"(a) : "cc");
    show("bsr", r, f, 0x40);
    r = a;
    __asm__ volatile("bswap %0" : "+r"(r));
    show("bswap", r, 0, 0);
}

static void t_misc(u32 a, u32 b)
{
    u32 r = a, f, acc = b;
    __asm__ volatile("cmpxchgl %3, %1; pushf; pop %2" : "+a"(acc), "+m"(r), "=r"(f) : "r"(0x77u) : "cc");
    show("cmpxchg.mem", r, f, OSZAPC);
    show("cmpxchg.acc", acc, 0, 0);
    r = a;
    u32 s = b;
    __asm__ volatile("xaddl %1, %0; pushf; pop %2" : "+r"(r), "+r"(s), "=r"(f) : : "cc");
    show("xadd.dst", r, f, OSZAPC);
    show("xadd.src", s, 0, 0);
    u32 setg, cmov = 5;
    __asm__ volatile("cmpl %3, %2; setg %b0; cmovl %4, %1" : "=&q"(setg), "+r"(cmov) : "r"(a), "r"(b), "r"(a) : "cc");
    show("setg", setg & 0xff, 0, 0);
    show("cmovl", cmov, 0, 0);
    u32 ah;
    __asm__ volatile("push %1; popf; lahf; movzbl %%ah, %0" : "=r"(ah) : "r"(0x8d7u | (a & 0x8d5)) : "eax", "cc");
    show("lahf", ah & 0xd5, 0, 0);
}

static void t_string(void)
{
    static char src[64] = "The quick brown fox jumps over the lazy dog.";
    static char dst[64];
    u32 c = 44, d = (u32)dst, s = (u32)src;
    __asm__ volatile("cld; rep movsb" : "+c"(c), "+D"(d), "+S"(s) : : "memory");
    puts(dst);
    putc('\n');
    show("movs.ecx", c, 0, 0);
    show("movs.edi", d - (u32)dst, 0, 0);
    /* Backwards, dwords. */
    u32 words[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8] = {0};
    c = 8;
    d = (u32)&out[7];
    s = (u32)&words[7];
    __asm__ volatile("std; rep movsl; cld" : "+c"(c), "+D"(d), "+S"(s) : : "memory");
    u32 sum = 0;
    for (int i = 0; i < 8; i++)
        sum = sum * 3 + out[i];
    show("movsl.back", sum, 0, 0);
    /* repne scasb: strlen. */
    c = 0xffffffff;
    d = (u32)src;
    __asm__ volatile("cld; repne scasb" : "+c"(c), "+D"(d) : "a"(0) : "memory", "cc");
    show("strlen", ~c - 1, 0, 0);
    /* repe cmpsb: where two strings differ. */
    static char other[64] = "The quick brown cat jumps over the lazy dog.";
    u32 f;
    c = 44;
    d = (u32)other;
    s = (u32)src;
    __asm__ volatile("cld; repe cmpsb; pushf; pop %3" : "+c"(c), "+D"(d), "+S"(s), "=r"(f) : : "memory", "cc");
    show("cmps.at", 44 - c, f, OSZAPC);
    /* rep stosl. */
    c = 8;
    d = (u32)out;
    __asm__ volatile("cld; rep stosl" : "+c"(c), "+D"(d) : "a"(0xabcd1234) : "memory");
    show("stos", out[0] ^ out[7], 0, 0);
    /* rep with ecx = 0 does nothing. */
    c = 0;
    d = (u32)out;
    __asm__ volatile("cld; rep stosl" : "+c"(c), "+D"(d) : "a"(0) : "memory");
    show("stos0", out[0], 0, 0);
}

static const u32 vals[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0x0000ff80, 0xdeadbeef};
#define N (sizeof(vals) / sizeof(vals[0]))

int main(void)
{
    for (u32 i = 0; i < N; i++) {
        for (u32 j = 0; j < N; j++) {
            for (u32 k = 0; k < 2; k++) {
                u32 a = vals[i], b = vals[j], fin = flags_in[k];
                t_add(a, b, fin);
                t_adc(a, b, fin);
                t_sub(a, b, fin);
                t_sbb(a, b, fin);
                t_and(a, b, fin);
                t_or(a, b, fin);
                t_xor(a, b, fin);
                t_cmp(a, b, fin);
                t_test(a, b, fin);
                t_addb(a, b, fin);
                t_sbbb(a, b, fin);
                t_shl(a, b, fin);
                t_shr(a, b, fin);
                t_sar(a, b, fin);
                t_rol(a, b, fin);
                t_ror(a, b, fin);
                t_rcl(a, b, fin);
                t_rcr(a, b, fin);
                t_shld(a, b, b >> 3, fin);
            }
            t_mul(vals[i], vals[j]);
            if (vals[j] > 0x10 && vals[j] < 0x80000000 && vals[i] < vals[j])
                t_div(vals[i], vals[(i + 3) % N], vals[j]);
            t_bits(vals[i], vals[j]);
            t_misc(vals[i], vals[j]);
        }
        for (u32 k = 0; k < 2; k++) {
            t_inc(vals[i], flags_in[k]);
            t_dec(vals[i], flags_in[k]);
            t_neg(vals[i], flags_in[k]);
            t_not(vals[i], flags_in[k]);
        }
    }
    t_string();
    puts("alu done\n");
    return 0;
}
