/* The MMU with short-descriptor translation tables (TTBCR.EAE = 0).

   1 MiB sections identity-map RAM and the UART; a second-level table maps
   4 KiB small pages at 0x80000000: an alias of another physical page, a
   page read-only at PL0, one read-only at PL1, an execute-never page, an
   unmapped one. Then, with the MMU on: reads through the alias, faults of
   every kind (translation, permission, domain, execute-never, alignment,
   access flag) whose handlers print DFSR/DFAR or IFSR/IFAR and go on after
   the faulting instruction, address translations (ATS1C**) printed from
   PAR, LDRT/STRT with PL0 permissions, descriptor changes made visible
   by TLBIMVA and TLBIALL (for data and for code), non-global pages under
   two ASIDs, the TTBR0/TTBR1 split, a large page and a supersection.

   Fields the architecture leaves UNKNOWN are masked before printing: the
   DFSR domain field of alignment and first-level translation faults,
   DFSR.ExT (the external abort type is IMPLEMENTATION DEFINED), the
   PAR attribute bits (IMPLEMENTATION DEFINED), IFSR's reserved bits. */
#include "guest.h"
#include "sysreg.h"


#define SCTLR_R() MRC(c1, 0, c0, 0)
#define SCTLR_W(v) MCR(c1, 0, c0, 0, v)
#define DACR_W(v) MCR(c3, 0, c0, 0, v)
#define TLBIALL() MCR(c8, 0, c7, 0, 0)
#define TLBIMVA(va) MCR(c8, 0, c7, 1, va)
#define ICIALLU() MCR(c7, 0, c5, 0, 0)
#define CONTEXTIDR_W(v) MCR(c13, 0, c0, 1, v)
#define TTBCR_W(v) MCR(c2, 0, c0, 2, v)
#define PAR() MRC(c7, 0, c4, 0)

#define SCTLR_M (1u << 0)
#define SCTLR_A (1u << 1)
#define SCTLR_AFE (1u << 29)

/* Section: AP[2] bit 15, AP[1:0] bits 11:10, domain 8:5, XN bit 4. */
#define SECT(pa, ap, dom, xn, attr)                                             \
    (((pa) & 0xfff00000u) | (((ap) & 4u) << 13) | (((ap) & 3u) << 10) |         \
     ((dom) << 5) | ((xn) << 4) | (attr) | 2u)
#define S_NORMAL ((1u << 12) | (1u << 3) | (1u << 2)) /* TEX 001, C, B */
#define S_DEVICE (1u << 2)                            /* shareable device */
/* Small page: AP[2] bit 9, TEX 8:6, AP[1:0] 5:4, C, B, XN bit 0. */
#define PAGE(pa, ap, xn)                                                        \
    (((pa) & 0xfffff000u) | (((ap) & 4u) << 7) | (((ap) & 3u) << 4) |          \
     (1u << 6) | (1u << 3) | (1u << 2) | 2u | (xn))
#define TABLE(pa, dom) (((pa) & 0xfffffc00u) | ((dom) << 5) | 1u)

/* AP[2:0] with SCTLR.AFE = 0. */
#define AP_NONE 0u
#define AP_PRIV 1u     /* PL1 read/write, PL0 none */
#define AP_USER_RO 2u  /* PL1 read/write, PL0 read-only */
#define AP_FULL 3u
#define AP_PRIV_RO 5u  /* PL1 read-only, PL0 none */

#define VBASE 0x80000000u
#define VPAGE(n) (VBASE + (n) * 0x1000u)

static u32 l1[4096] __attribute__((aligned(16384)));
static u32 l2[256] __attribute__((aligned(1024)));
static u32 pages[12][1024] __attribute__((aligned(4096)));
static u32 l1b[4096] __attribute__((aligned(16384))); /* TTBR1's table */
static u32 abt_stack[512] __attribute__((aligned(8)));
static u32 und_stack[256] __attribute__((aligned(8)));

volatile u32 aborts;
volatile u32 mask_domain; /* the next DFSR's domain field is UNKNOWN */
u32 recover_pc;           /* where a prefetch abort resumes */

__asm__(
    "   .section .text\n"
    "   .balign 32\n"
    "vectors:\n"
    "   b .\n"
    "   b und_entry\n"
    "   b .\n"
    "   b pabt_entry\n"
    "   b dabt_entry\n"
    "   b .\n"
    "   b .\n"
    "   b .\n"
    "dabt_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   mrc p15, 0, r0, c5, c0, 0\n"  /* DFSR */
    "   mrc p15, 0, r1, c6, c0, 0\n"  /* DFAR */
    "   mov r2, lr\n"
    "   bl dabt_report\n"
    "   pop {r0-r3, r12, lr}\n"
    "   subs pc, lr, #4\n"            /* skip the faulting instruction */
    "pabt_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   mrc p15, 0, r0, c5, c0, 1\n"  /* IFSR */
    "   mrc p15, 0, r1, c6, c0, 2\n"  /* IFAR */
    "   mov r2, lr\n"
    "   bl pabt_report\n"
    "   pop {r0-r3, r12, lr}\n"
    "   movw lr, #:lower16:recover_pc\n"
    "   movt lr, #:upper16:recover_pc\n"
    "   ldr lr, [lr]\n"
    "   movs pc, lr\n"
    "und_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   ldr r0, [lr, #-4]\n"
    "   bl und_report\n"
    "   pop {r0-r3, r12, lr}\n"
    "   movs pc, lr\n"
    /* u32 probe_read(u32 va): the word, or 0xbad0bad0 if the load faulted */
    "probe_read:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldr r0, [r1]\n"
    "   bx lr\n"
    "probe_read16:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldrh r0, [r1]\n"
    "   bx lr\n"
    "probe_write:\n"
    "   str r1, [r0]\n"
    "   bx lr\n"
    "probe_ldrt:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldrt r0, [r1]\n"
    "   bx lr\n"
    /* u32 probe_ldrd(u32 va), probe_ldm(u32 va): the sum of the two
       words loaded, or 0xbad0bad0 if the load faulted */
    "probe_ldrd:\n"
    "   push {r4, r5}\n"
    "   movw r4, #0xbad0\n"
    "   movt r4, #0xbad0\n"
    "   mov r5, #0\n"
    "   ldrd r4, r5, [r0]\n"
    "   add r0, r4, r5\n"
    "   pop {r4, r5}\n"
    "   bx lr\n"
    "probe_ldm:\n"
    "   push {r4, r5}\n"
    "   movw r4, #0xbad0\n"
    "   movt r4, #0xbad0\n"
    "   mov r5, #0\n"
    "   ldm r0, {r4, r5}\n"
    "   add r0, r4, r5\n"
    "   pop {r4, r5}\n"
    "   bx lr\n"
    "probe_strt:\n"
    "   strt r1, [r0]\n"
    "   bx lr\n"
    /* u32 call_guarded(u32 va): calls va; 0xdead if its fetch aborted */
    "call_guarded:\n"
    "   push {r4, lr}\n"
    "   movw r1, #:lower16:recover_pc\n"
    "   movt r1, #:upper16:recover_pc\n"
    "   adr r2, 1f\n"
    "   str r2, [r1]\n"
    "   mov r3, r0\n"
    "   movw r0, #0xdead\n"
    "   blx r3\n"
    "1: pop {r4, pc}\n");

extern char vectors[];
u32 probe_read(u32 va);
u32 probe_read16(u32 va);
u32 probe_ldrd(u32 va);
u32 probe_ldm(u32 va);
void probe_write(u32 va, u32 v);
u32 probe_ldrt(u32 va);
void probe_strt(u32 va, u32 v);
u32 call_guarded(u32 va);

static void say(const char *label, u32 v) {
    uart_puts(label);
    put_hex(v);
    uart_putc('\n');
}

void dabt_report(u32 dfsr, u32 dfar, u32 lr) {
    aborts++;
    dfsr &= 0x2cff; /* CM, WnR, FS[4], domain, FS[3:0]; not ExT */
    if (mask_domain) dfsr &= ~0xf0u;
    mask_domain = 0;
    uart_puts("  data abort dfsr ");
    put_hex(dfsr);
    uart_puts(" dfar ");
    put_hex(dfar);
    uart_puts(" lr ");
    put_hex(lr);
    uart_putc('\n');
}

void pabt_report(u32 ifsr, u32 ifar, u32 lr) {
    aborts++;
    uart_puts("  prefetch abort ifsr ");
    put_hex(ifsr & 0x160f); /* ExT, LPAE, FS[4], FS[3:0] */
    uart_puts(" ifar ");
    put_hex(ifar);
    uart_puts(" lr ");
    put_hex(lr);
    uart_putc('\n');
}

void und_report(u32 insn) { say("  undefined ", insn); }

static u32 pa(const void *p) { return (u32)p; }

static void read_at(const char *what, u32 va) {
    uart_puts(what);
    uart_puts(" read ");
    put_hex(va);
    uart_putc('\n');
    u32 v = probe_read(va);
    say("  -> ", v);
}

static void write_at(const char *what, u32 va, u32 v) {
    u32 before = aborts;
    uart_puts(what);
    uart_puts(" write ");
    put_hex(va);
    uart_putc('\n');
    probe_write(va, v);
    if (aborts == before) uart_puts("  -> ok\n");
}

/* PAR after a translation: on success the PA, SS and F (for a
   supersection PAR[31:24] is PA[31:24], PAR[23:16] PA[39:32], PAR[15:12]
   zero); on failure F and FS. */
static void show_par(const char *what, u32 va) {
    u32 par = PAR();
    uart_puts(what);
    uart_putc(' ');
    put_hex(va);
    uart_puts(" par ");
    put_hex(par & 1 ? par & 0x7f : par & 0xfffff003);
    uart_putc('\n');
}
#define ATS(name, op2, va)                                                      \
    do {                                                                       \
        MCR(c7, 0, c8, op2, va);                                               \
        show_par(name, va);                                                    \
    } while (0)

int main(void) {
    MCR(c12, 0, c0, 0, (u32)vectors);
    __asm__ volatile("mrs r2, cpsr\n\t"
                     "msr cpsr_c, #0xd7\n\t" /* abort */
                     "mov sp, %0\n\t"
                     "msr cpsr_c, #0xdb\n\t" /* undefined */
                     "mov sp, %1\n\t"
                     "msr cpsr_c, r2" ::"r"(&abt_stack[512]),
                     "r"(&und_stack[256])
                     : "r2", "memory");

    /* Physical pages: page n holds 0xn000_0000 + word index. */
    for (u32 n = 0; n < 12; n++)
        for (u32 i = 0; i < 1024; i++) pages[n][i] = (n << 28) | i;
    /* Page 4 holds code: mov r0, #42; bx lr. */
    pages[4][0] = 0xe3a0002a;
    pages[4][1] = 0xe12fff1e;
    /* At its end: mov r0, #7; add r0, r0, #1; then the next page. */
    pages[4][1022] = 0xe3a00007;
    pages[4][1023] = 0xe2800001;
    /* Page 8: mov r0, #43; bx lr. */
    pages[8][0] = 0xe3a0002b;
    pages[8][1] = 0xe12fff1e;

    /* First level. */
    for (u32 mb = 0x400; mb < 0x480; mb++)
        l1[mb] = SECT(mb << 20, AP_FULL, 0, 0, S_NORMAL);
    l1[0x090] = SECT(0x09000000, AP_FULL, 0, 1, S_DEVICE);
    l1[0x080] = SECT(0x08000000, AP_FULL, 0, 1, S_DEVICE); /* GIC, a hole */
    l1[VBASE >> 20] = TABLE(pa(l2), 0);
    l1[(VBASE >> 20) + 1] = TABLE(pa(l2), 1); /* same pages, domain 1 */
    /* 0x90000000: no entry (translation fault). */
    l1[0xa00] = SECT(0x40100000, AP_FULL, 1, 0, S_NORMAL); /* domain 1 */
    l1[0xb00] = SECT(0x40100000, AP_NONE, 2, 0, S_NORMAL); /* domain 2 */

    /* Second level, at 0x80000000. */
    l2[0] = PAGE(pa(pages[0]), AP_FULL, 0);
    l2[1] = PAGE(pa(pages[1]), AP_FULL, 0); /* alias of pages[1] */
    l2[2] = PAGE(pa(pages[2]), AP_USER_RO, 0);
    l2[3] = PAGE(pa(pages[3]), AP_PRIV_RO, 0);
    l2[4] = PAGE(pa(pages[4]), AP_FULL, 1); /* code, execute-never */
    l2[5] = PAGE(pa(pages[4]), AP_FULL, 0); /* the same code, executable */
    l2[6] = 0;                              /* translation fault */
    l2[7] = PAGE(pa(pages[5]), AP_PRIV, 0);
    l2[8] = PAGE(pa(pages[6]), AP_USER_RO, 0); /* AFE: access flag clear */
    DSB();
    MCR(c7, 0, c5, 0, 0); /* ICIALLU: the code in pages[4] */
    MCR(c7, 0, c5, 6, 0); /* BPIALL */

    MCR(c2, 0, c0, 2, 0);      /* TTBCR: N = 0, short descriptors */
    MCR(c2, 0, c0, 0, pa(l1)); /* TTBR0 */
    /* DACR: domain 0 client, 1 no access, 2 manager. */
    DACR_W(0x31);
    TLBIALL();
    say("ttbcr ", MRC(c2, 0, c0, 2));
    say("ttbr0 ", MRC(c2, 0, c0, 0));
    say("dacr ", MRC(c3, 0, c0, 0));
    u32 sctlr = SCTLR_R();
    sctlr &= ~(SCTLR_A | SCTLR_AFE | (1u << 28) /* TRE */ | (3u << 19) /* WXN */);
    SCTLR_W(sctlr | SCTLR_M);
    say("mmu on ", SCTLR_R() & (SCTLR_M | SCTLR_A | SCTLR_AFE));

    /* The alias: the same physical page under two addresses. */
    read_at("alias", VPAGE(1) + 8);
    write_at("alias", VPAGE(1) + 12, 0x11112222);
    say("  identity sees ", pages[1][3]);
    read_at("page0", VPAGE(0) + 4);

    /* Nothing at this physical address (between the GIC's frames): a
       synchronous external abort. (DFSR.ExT, the external abort type, is
       IMPLEMENTATION DEFINED: masked.) */
    read_at("physical hole", 0x08050000);

    /* Translation faults: first level (0x90000000) and second level. */
    mask_domain = 1;
    read_at("unmapped section", 0x90000010);
    mask_domain = 1;
    write_at("unmapped section", 0x90000020, 1);
    read_at("unmapped page", VPAGE(6));

    /* Permissions. */
    read_at("pl1-ro page", VPAGE(3) + 4);
    write_at("pl1-ro page", VPAGE(3) + 4, 0x33);
    write_at("pl0-ro page", VPAGE(2) + 4, 0x22);
    say("  stored ", pages[2][1]);

    /* LDRT/STRT check PL0 permissions from PL1. */
    uart_puts("ldrt pl1-only page\n");
    say("  -> ", probe_ldrt(VPAGE(7) + 4));
    uart_puts("ldr pl1-only page\n");
    say("  -> ", probe_read(VPAGE(7) + 4));
    uart_puts("ldrt pl0-ro page\n");
    say("  -> ", probe_ldrt(VPAGE(2) + 8));
    uart_puts("strt pl0-ro page\n");
    probe_strt(VPAGE(2) + 8, 0x44);
    say("  word ", pages[2][2]);
    uart_puts("strt full page\n");
    probe_strt(VPAGE(0) + 8, 0x55);
    say("  word ", pages[0][2]);

    /* Domains: a section and a page in domain 1 (no access); a section in
       domain 2 (manager: AP not checked), then domain 2 made a client. */
    read_at("domain1 section", 0xa0000000);
    write_at("domain1 section", 0xa0000004, 0);
    read_at("domain1 page", VPAGE(0) + 0x100000);
    u32 off = pa(&pages[3][5]) - 0x40100000;
    read_at("domain2 manager", 0xb0000000 + off);
    DACR_W(0x11);
    read_at("domain2 client", 0xb0000000 + off);
    DACR_W(0x31);

    /* Execution: the executable alias runs, the XN one aborts, and so does
       an unmapped address. */
    uart_puts("call executable page\n");
    say("  -> ", call_guarded(VPAGE(5)));
    uart_puts("call xn page\n");
    say("  -> ", call_guarded(VPAGE(4)));
    uart_puts("call unmapped\n");
    say("  -> ", call_guarded(0x90000000));
    /* Code running off the end of an executable page into an unmapped
       one: the instructions before the boundary complete (r0 = 8). */
    uart_puts("call end of page before a hole\n");
    say("  -> ", call_guarded(VPAGE(5) + 0xff8));

    /* Alignment: misaligned LDR, LDRH, STR and LDRT work with SCTLR.A
       clear and fault with it set. */
    u32 mis = pa(&pages[0][4]) + 1;
    for (int a = 0; a < 2; a++) {
        const char *tag = a ? " A=1" : " A=0";
        if (a) SCTLR_W(SCTLR_R() | SCTLR_A);
        uart_puts("misaligned ldr");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        say("  -> ", probe_read(mis));
        uart_puts("misaligned ldrh");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        say("  -> ", probe_read16(mis + 2));
        uart_puts("misaligned ldrt");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        say("  -> ", probe_ldrt(mis + 4));
        uart_puts("misaligned str");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        probe_write(pa(&pages[0][8]) + 2, a ? 0x99999999 : 0xaabbccdd);
        mask_domain = 0;
        say("  words ", pages[0][8]);
        say("        ", pages[0][9]);
        /* LDRD and LDM need word alignment whatever SCTLR.A says. */
        uart_puts("ldrd at 4 mod 8");
        uart_puts(tag);
        uart_putc('\n');
        say("  -> ", probe_ldrd(pa(&pages[0][5])));
        uart_puts("misaligned ldrd");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        say("  -> ", probe_ldrd(pa(&pages[0][5]) + 2));
        uart_puts("misaligned ldm");
        uart_puts(tag);
        uart_putc('\n');
        mask_domain = 1;
        say("  -> ", probe_ldm(pa(&pages[0][5]) + 2));
    }
    SCTLR_W(SCTLR_R() & ~SCTLR_A);

    /* Address translation operations. */
    ATS("ats1cpr", 1, VPAGE(1));
    ATS("ats1cpr", 0, VPAGE(1) + 0x123);
    ATS("ats1cpw", 1, VPAGE(3));
    ATS("ats1cpr", 0, VPAGE(3));
    ATS("ats1cur", 2, VPAGE(2));
    ATS("ats1cuw", 3, VPAGE(2));
    ATS("ats1cur", 2, VPAGE(3));
    ATS("ats1cur", 2, VPAGE(7));
    ATS("ats1cpr", 0, VPAGE(6));
    ATS("ats1cpr", 0, 0x90000000);
    ATS("ats1cpr", 0, 0xa0000000);
    ATS("ats1cpr", 0, 0x40100000);
    ATS("ats1cuw", 3, 0x09000000);

    /* Changing descriptors: TLBIMVA for one page, TLBIALL for another. */
    l2[0] = PAGE(pa(pages[7]), AP_FULL, 0);
    DSB();
    TLBIMVA(VPAGE(0));
    read_at("remapped page0", VPAGE(0) + 4);
    l2[6] = PAGE(pa(pages[3]), AP_FULL, 0);
    l2[0] = PAGE(pa(pages[0]), AP_FULL, 0);
    DSB();
    TLBIALL();
    read_at("page6 now mapped", VPAGE(6) + 4);
    read_at("page0 back", VPAGE(0) + 4);

    /* Code under a changed mapping: the same virtual address now leads
       to other code; then that code is rewritten through its identity
       mapping (another virtual address of the same physical page). */
    uart_puts("call page5 again\n");
    say("  -> ", call_guarded(VPAGE(5)));
    l2[5] = PAGE(pa(pages[8]), AP_FULL, 0);
    DSB();
    TLBIMVA(VPAGE(5));
    ICIALLU();
    uart_puts("call page5 remapped\n");
    say("  -> ", call_guarded(VPAGE(5)));
    pages[8][0] = 0xe3a0002c; /* mov r0, #44 */
    DSB();
    ICIALLU();
    uart_puts("call page5 rewritten\n");
    say("  -> ", call_guarded(VPAGE(5)));

    /* ASIDs: a non-global page read under ASID 1, its descriptor changed
       without TLB maintenance, then read under ASID 2, which cannot hit
       the old entry. (Going back to ASID 1 could find either: not
       printed.) */
    l2[9] = PAGE(pa(pages[9]), AP_FULL, 0) | (1u << 11); /* nG */
    DSB();
    TLBIALL();
    CONTEXTIDR_W(1);
    read_at("asid 1 ng page", VPAGE(9) + 4);
    l2[9] = PAGE(pa(pages[10]), AP_FULL, 0) | (1u << 11);
    DSB();
    CONTEXTIDR_W(2);
    read_at("asid 2 ng page", VPAGE(9) + 4);
    CONTEXTIDR_W(0);
    TLBIALL();

    /* TTBCR.N = 1: TTBR0 translates the low 2 GiB, TTBR1 the high 2 GiB.
       (PD0/PD1 are not tried: without the Security Extensions they are
       UNK/SBZP, and QEMU ignores them.) */
    l1b[0x800] = SECT(0x40100000, AP_FULL, 0, 0, S_NORMAL);
    DSB();
    MCR(c2, 0, c0, 1, pa(l1b)); /* TTBR1 */
    TTBCR_W(1);
    TLBIALL();
    say("ttbcr ", MRC(c2, 0, c0, 2));
    u32 off3 = pa(&pages[3][3]) - 0x40100000;
    read_at("ttbr1 section", 0x80000000 + off3);
    read_at("ttbr0 side", pa(&pages[3][3]));
    ATS("ats1cpr", 0, 0x80000000 + off3);
    TTBCR_W(0);
    TLBIALL();
    read_at("n=0 again", VPAGE(0) + 4);

    /* A 64 KiB large page and a 16 MiB supersection. */
    *(volatile u32 *)0x4021a5a4 = 0x1a5a4;
    for (u32 i = 16; i < 32; i++)
        l2[i] = 0x40210000u | (3u << 4) | (1u << 12) | (1u << 3) | (1u << 2) | 1u;
    for (u32 i = 0xc00; i < 0xc10; i++)
        l1[i] = 0x40000000u | (1u << 18) | (3u << 10) | S_NORMAL | 2u;
    DSB();
    TLBIALL();
    read_at("large page", 0x8001a5a4);
    read_at("supersection", 0xc021a5a4);
    ATS("ats1cpr", 0, 0x8001a5a4);
    ATS("ats1cpr", 0, 0xc021a5a4);

    /* The access flag model: with SCTLR.AFE, AP[0] is the access flag. */
    SCTLR_W(SCTLR_R() | SCTLR_AFE);
    read_at("afe page0", VPAGE(0) + 4);
    read_at("afe af=0 page", VPAGE(8) + 4);
    SCTLR_W(SCTLR_R() & ~SCTLR_AFE);
    read_at("af=0 page without afe", VPAGE(8) + 4);

    SCTLR_W(SCTLR_R() & ~SCTLR_M);
    say("mmu off ", SCTLR_R() & SCTLR_M);
    say("aborts ", aborts);
    semi_write0("mmu_short done\n");
    return 0;
}
