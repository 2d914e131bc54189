/* The MMU with long (LPAE) descriptors (TTBCR.EAE = 1, T0SZ = 0: TTBR0
   covers the 4 GiB, the walk starts at level 1 with four entries).

   Level 1: a 1 GiB device block over the UART and GIC, a 1 GiB normal
   block identity-mapping RAM, a table for 0x80000000, nothing at
   0xc0000000. Level 2 at 0x80000000: the level-3 table, a 2 MiB block
   with the access flag clear, an invalid entry, the same level-3 table
   under APTable and XNTable restrictions, and a good 2 MiB block. Level 3:
   4 KiB pages (an alias, access flag clear, PL1 read-only, XN, PXN,
   read-only at every level, PL1 only, unmapped). Then code under a
   changed mapping, and TTBR0/TTBR1 split by T0SZ/T1SZ with EPD1.

   The handlers print DFSR/IFSR in the long format (LPAE bit, STATUS) and
   DFAR/IFAR, and go on after the faulting instruction. PAR is read as 64
   bits; its memory attribute fields are masked (IMPLEMENTATION DEFINED). */
#include "guest.h"
#include "sysreg.h"


#define SCTLR_R() MRC(c1, 0, c0, 0)
#define SCTLR_W(v) MCR(c1, 0, c0, 0, v)
#define TLBIALL() MCR(c8, 0, c7, 0, 0)
#define TLBIMVA(va) MCR(c8, 0, c7, 1, va)

#define SCTLR_M (1u << 0)
#define SCTLR_A (1u << 1)

/* Lower attributes: AttrIndx 4:2, AP[2:1] 7:6, SH 9:8, AF 10.
   Upper: PXN 53, XN 54. Tables: XNTable 60, APTable 62:61. */
#define ATTR_DEVICE 0u /* MAIR attribute 0 */
#define ATTR_NORMAL 1u /* MAIR attribute 1 */
#define AP_PL1 0u      /* PL1 read/write, PL0 none */
#define AP_RW 1u       /* read/write at both */
#define AP_PL1_RO 2u   /* PL1 read-only, PL0 none */
#define AP_RO 3u       /* read-only at both */
#define LOWER(attr, ap, af) (((attr) << 2) | ((ap) << 6) | (3u << 8) | ((af) << 10))
#define XN (1ull << 54)
#define PXN (1ull << 53)
#define L1BLOCK(pa, attr, ap) ((u64)((pa) & 0xc0000000u) | LOWER(attr, ap, 1) | 1u)
#define L2BLOCK(pa, ap, af) ((u64)((pa) & 0xffe00000u) | LOWER(ATTR_NORMAL, ap, af) | 1u)
#define PAGE(pa, ap, af) ((u64)((pa) & 0xfffff000u) | LOWER(ATTR_NORMAL, ap, af) | 3u)
#define TABLE(pa) ((u64)((pa) & 0xfffff000u) | 3u)
#define XNTABLE (1ull << 60)
#define APTABLE(v) ((u64)(v) << 61)

#define VBASE 0x80000000u
#define VPAGE(n) (VBASE + (n) * 0x1000u)
#define VBLOCK(n) (VBASE + (n) * 0x200000u)

static u64 l1[4] __attribute__((aligned(32)));
static u64 l1hi[2] __attribute__((aligned(32))); /* TTBR1 with T1SZ = 1 */
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l3[512] __attribute__((aligned(4096)));
static u32 pages[9][1024] __attribute__((aligned(4096)));
static u32 abt_stack[512] __attribute__((aligned(8)));
static u32 und_stack[256] __attribute__((aligned(8)));

volatile u32 aborts;
u32 recover_pc;

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
    "   subs pc, lr, #4\n"
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
    "probe_read:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldr r0, [r1]\n"
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
    "probe_strt:\n"
    "   strt r1, [r0]\n"
    "   bx lr\n"
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
    uart_puts("  data abort dfsr ");
    put_hex(dfsr & 0x2a3f); /* CM, WnR, LPAE, STATUS; not ExT (IMP DEF) */
    uart_puts(" dfar ");
    put_hex(dfar);
    uart_puts(" lr ");
    put_hex(lr);
    uart_putc('\n');
}

void pabt_report(u32 ifsr, u32 ifar, u32 lr) {
    aborts++;
    uart_puts("  prefetch abort ifsr ");
    put_hex(ifsr & 0x123f); /* ExT, LPAE, STATUS */
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
    say("  -> ", probe_read(va));
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

static void call_at(const char *what, u32 va) {
    uart_puts(what);
    uart_puts(" call ");
    put_hex(va);
    uart_putc('\n');
    say("  -> ", call_guarded(va));
}

/* The 64-bit PAR: on success PA[39:12], LPAE and F; on failure FST,
   S2WLK, FSTAGE, LPAE and F. */
static void show_par(const char *what, u32 va) {
    u64 par = MRRC(0, c7);
    u32 lo = (u32)par;
    uart_puts(what);
    uart_putc(' ');
    put_hex(va);
    uart_puts(" par ");
    if (lo & 1) {
        put_hex(lo & 0xb7f);
    } else {
        put_hex((u32)(par >> 32) & 0xff);
        uart_putc(':');
        put_hex(lo & 0xfffff801);
    }
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
                     "msr cpsr_c, #0xd7\n\t"
                     "mov sp, %0\n\t"
                     "msr cpsr_c, #0xdb\n\t"
                     "mov sp, %1\n\t"
                     "msr cpsr_c, r2" ::"r"(&abt_stack[512]),
                     "r"(&und_stack[256])
                     : "r2", "memory");

    for (u32 n = 0; n < 9; n++)
        for (u32 i = 0; i < 1024; i++) pages[n][i] = (n << 28) | i;
    pages[4][0] = 0xe3a0002a; /* mov r0, #42 */
    pages[4][1] = 0xe12fff1e; /* bx lr */
    pages[4][1022] = 0xe3a00007; /* mov r0, #7 at the page's end */
    pages[4][1023] = 0xe2800001; /* add r0, r0, #1 */
    pages[8][0] = 0xe3a0002b;    /* mov r0, #43 */
    pages[8][1] = 0xe12fff1e;

    l1[0] = L1BLOCK(0x00000000, ATTR_DEVICE, AP_PL1) | XN | PXN;
    l1[1] = L1BLOCK(0x40000000, ATTR_NORMAL, AP_RW);
    l1[2] = TABLE(pa(l2));
    l1[3] = 0;

    l2[0] = TABLE(pa(l3));
    l2[1] = L2BLOCK(0x40000000, AP_RW, 0);       /* access flag clear */
    l2[2] = 0;                                   /* invalid */
    l2[3] = TABLE(pa(l3)) | APTABLE(2);          /* no writes below */
    l2[4] = TABLE(pa(l3)) | XNTABLE;             /* no execution below */
    l2[5] = TABLE(pa(l3)) | APTABLE(1);          /* no PL0 access below */
    l2[6] = L2BLOCK(0x40000000, AP_RW, 1);

    l3[0] = PAGE(pa(pages[0]), AP_RW, 1);
    l3[1] = PAGE(pa(pages[1]), AP_RW, 1);        /* alias of pages[1] */
    l3[2] = PAGE(pa(pages[2]), AP_RW, 0);        /* access flag clear */
    l3[3] = PAGE(pa(pages[3]), AP_PL1_RO, 1);
    l3[4] = PAGE(pa(pages[4]), AP_RW, 1) | XN;   /* code, execute-never */
    l3[5] = PAGE(pa(pages[4]), AP_RW, 1);        /* the same, executable */
    l3[6] = 0;
    l3[7] = PAGE(pa(pages[4]), AP_RW, 1) | PXN;  /* not at PL1 */
    l3[8] = PAGE(pa(pages[5]), AP_RO, 1);
    l3[9] = PAGE(pa(pages[6]), AP_PL1, 1);
    DSB();
    MCR(c7, 0, c5, 0, 0); /* ICIALLU */

    /* MAIR0: attribute 0 Device-nGnRnE, 1 Normal write-back, 2 Normal
       non-cacheable. */
    MCR(c10, 0, c2, 0, 0x0044ff00);
    MCR(c10, 0, c2, 1, 0);
    MCR(c2, 0, c0, 2, 0x80800000); /* TTBCR: EAE, EPD1, T0SZ = 0 */
    MCRR(0, c2, (u64)pa(l1));      /* TTBR0, ASID 0 */
    TLBIALL();
    say("ttbcr ", MRC(c2, 0, c0, 2));
    {
        u64 t = MRRC(0, c2);
        uart_puts("ttbr0 ");
        put_hex((u32)(t >> 32));
        uart_putc(':');
        put_hex((u32)t);
        uart_putc('\n');
    }
    say("mair0 ", MRC(c10, 0, c2, 0));
    say("mair1 ", MRC(c10, 0, c2, 1));
    u32 sctlr = SCTLR_R() & ~(SCTLR_A | (3u << 19) /* WXN, UWXN */);
    SCTLR_W(sctlr | SCTLR_M);
    say("mmu on ", SCTLR_R() & (SCTLR_M | SCTLR_A));

    read_at("alias", VPAGE(1) + 8);
    write_at("alias", VPAGE(1) + 12, 0x11112222);
    say("  identity sees ", pages[1][3]);
    read_at("page0", VPAGE(0) + 4);
    read_at("2m block", VBLOCK(6) + (pa(&pages[3][7]) - 0x40000000));

    /* Nothing at this physical address: a synchronous external abort. */
    read_at("physical hole", 0x08050000);

    /* Translation faults at levels 1, 2 and 3. */
    read_at("level1 invalid", 0xc0000040);
    write_at("level1 invalid", 0xc0000044, 1);
    read_at("level2 invalid", VBLOCK(2) + 0x10);
    read_at("level3 invalid", VPAGE(6) + 0x10);

    /* Access flag faults at levels 2 and 3. */
    read_at("level2 af=0", VBLOCK(1) + 0x20);
    write_at("level3 af=0", VPAGE(2) + 0x20, 5);

    /* Permissions: AP, APTable. */
    read_at("pl1-ro page", VPAGE(3) + 4);
    write_at("pl1-ro page", VPAGE(3) + 4, 0x33);
    read_at("aptable=2", VBLOCK(3) + 4);
    write_at("aptable=2", VBLOCK(3) + 4, 0x34);
    write_at("ro page", VPAGE(8) + 4, 0x35);
    uart_puts("ldrt pl1-only page\n");
    say("  -> ", probe_ldrt(VPAGE(9) + 4));
    uart_puts("ldrt ro page\n");
    say("  -> ", probe_ldrt(VPAGE(8) + 4));
    uart_puts("strt ro page\n");
    probe_strt(VPAGE(8) + 4, 0x36);
    say("  word ", pages[5][1]);
    uart_puts("ldrt aptable=1\n");
    say("  -> ", probe_ldrt(VBLOCK(5) + 4));
    uart_puts("strt rw page\n");
    probe_strt(VPAGE(0) + 8, 0x55);
    say("  word ", pages[0][2]);

    /* Execution: XN, PXN, XNTable. */
    call_at("executable page", VPAGE(5));
    call_at("xn page", VPAGE(4));
    call_at("pxn page", VPAGE(7));
    call_at("xntable", VBLOCK(4) + 0x5000);
    call_at("level1 invalid", 0xc0000000);
    /* Running off the end of a page into an invalid one: the two
       instructions before the boundary complete (r0 = 8). */
    call_at("end of page before a hole", VPAGE(5) + 0xff8);

    /* Alignment. */
    SCTLR_W(SCTLR_R() | SCTLR_A);
    read_at("misaligned A=1", pa(&pages[0][4]) + 1);
    SCTLR_W(SCTLR_R() & ~SCTLR_A);

    /* Address translation operations. */
    ATS("ats1cpr", 0, VPAGE(1) + 0x123);
    ATS("ats1cpr", 0, VBLOCK(6) + 0x12345);
    ATS("ats1cpw", 1, VPAGE(3));
    ATS("ats1cur", 2, VPAGE(3));
    ATS("ats1cur", 2, VPAGE(8));
    ATS("ats1cuw", 3, VPAGE(8));
    ATS("ats1cuw", 3, VPAGE(0));
    ATS("ats1cpw", 1, VBLOCK(3));
    ATS("ats1cur", 2, VBLOCK(5));
    ATS("ats1cpr", 0, VBLOCK(5));
    ATS("ats1cpr", 0, VPAGE(2));
    ATS("ats1cpr", 0, VBLOCK(1));
    ATS("ats1cpr", 0, VPAGE(6));
    ATS("ats1cpr", 0, VBLOCK(2));
    ATS("ats1cpr", 0, 0xc0000000);
    ATS("ats1cpr", 0, 0x09000000);

    /* Descriptor changes: TLBIMVA for one page, TLBIALL for the rest. */
    l3[0] = PAGE(pa(pages[7]), AP_RW, 1);
    DSB();
    TLBIMVA(VPAGE(0));
    read_at("remapped page0", VPAGE(0) + 4);
    l3[0] = PAGE(pa(pages[0]), AP_RW, 1);
    l3[2] = PAGE(pa(pages[2]), AP_RW, 1); /* access flag set */
    l2[2] = L2BLOCK(0x40000000, AP_RW, 1);
    DSB();
    TLBIALL();
    read_at("page0 back", VPAGE(0) + 4);
    read_at("level3 af=1", VPAGE(2) + 0x20);
    read_at("level2 now mapped", VBLOCK(2) + (pa(&pages[3][9]) - 0x40000000));

    /* Code under a changed mapping. */
    call_at("page5 again", VPAGE(5));
    l3[5] = PAGE(pa(pages[8]), AP_RW, 1);
    DSB();
    TLBIMVA(VPAGE(5));
    MCR(c7, 0, c5, 0, 0);
    call_at("page5 remapped", VPAGE(5));

    /* T0SZ = T1SZ = 1: TTBR0 translates the low 2 GiB (its level-1 table
       has two entries), TTBR1 the high 2 GiB; then EPD1 makes TTBR1
       walks fault at level 1. */
    l1hi[0] = TABLE(pa(l2));
    l1hi[1] = 0;
    DSB();
    MCRR(1, c2, (u64)pa(l1hi));
    MCR(c2, 0, c0, 2, 0x80010001); /* EAE, T1SZ = 1, T0SZ = 1 */
    TLBIALL();
    say("ttbcr ", MRC(c2, 0, c0, 2));
    read_at("ttbr1 page0", VPAGE(0) + 4);
    read_at("ttbr1 upper half", 0xc0000000);
    read_at("ttbr0 side", pa(&pages[3][3]));
    MCR(c2, 0, c0, 2, 0x80810001); /* EPD1 */
    TLBIALL();
    read_at("ttbr1 with epd1", VPAGE(0) + 4);
    ATS("ats1cpr", 0, VPAGE(0));
    MCR(c2, 0, c0, 2, 0x80800000);
    TLBIALL();

    SCTLR_W(SCTLR_R() & ~SCTLR_M);
    MCR(c2, 0, c0, 2, 0);
    say("mmu off ", SCTLR_R() & SCTLR_M);
    say("aborts ", aborts);
    semi_write0("mmu_lpae done\n");
    return 0;
}
