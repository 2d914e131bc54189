/* The Performance Monitors Extension (PMUv2) of a Cortex-A15 on arm-virt.

   What is printed holds on any correct implementation, however fast it
   runs: identification (PMCR.N, IDCODE, IMP), which counters move and
   which stand still, the software-increment event counted exactly, the
   reset bits, overflow flags and the overflow interrupt (PPI 23 through
   the GICv2) for an event counter and for the cycle counter, User-mode
   access as PMUSERENR allows it. The cycle count itself follows the host
   clock on QEMU and the instruction count on Lockstep, so it is never
   printed. Instructions retired must be either not counted at all (QEMU
   counts them only with -icount) or counted to the instruction
   (Lockstep).

   PMCEID0/1 are left out: QEMU 7.2 makes them UNDEFINED on this core
   (they are architected in PMUv2, and Lockstep has them). */
#include "guest.h"
#include "sysreg.h"

#define GICD(off) (*(volatile u32 *)(0x08000000 + (off)))
#define GICC(off) (*(volatile u32 *)(0x08010000 + (off)))
#define PMU_PPI 23

#define PMCR_R() MRC(c9, 0, c12, 0)
#define PMCR_W(v) MCR(c9, 0, c12, 0, v)
#define PMCNTENSET_R() MRC(c9, 0, c12, 1)
#define PMCNTENSET_W(v) MCR(c9, 0, c12, 1, v)
#define PMCNTENCLR_W(v) MCR(c9, 0, c12, 2, v)
#define PMOVSR_R() MRC(c9, 0, c12, 3)
#define PMOVSR_W(v) MCR(c9, 0, c12, 3, v)
#define PMOVSSET_W(v) MCR(c9, 0, c14, 3, v)
#define PMSWINC_W(v) MCR(c9, 0, c12, 4, v)
#define PMSELR_R() MRC(c9, 0, c12, 5)
#define PMSELR_W(v) MCR(c9, 0, c12, 5, v)
#define PMCEID0_R() MRC(c9, 0, c12, 6)
#define PMCCNTR_R() MRC(c9, 0, c13, 0)
#define PMCCNTR_W(v) MCR(c9, 0, c13, 0, v)
#define PMXEVTYPER_R() MRC(c9, 0, c13, 1)
#define PMXEVTYPER_W(v) MCR(c9, 0, c13, 1, v)
#define PMXEVCNTR_R() MRC(c9, 0, c13, 2)
#define PMXEVCNTR_W(v) MCR(c9, 0, c13, 2, v)
#define PMUSERENR_R() MRC(c9, 0, c14, 0)
#define PMUSERENR_W(v) MCR(c9, 0, c14, 0, v)
#define PMINTENSET_R() MRC(c9, 0, c14, 1)
#define PMINTENSET_W(v) MCR(c9, 0, c14, 1, v)
#define PMINTENCLR_W(v) MCR(c9, 0, c14, 2, v)

#define PMCR_E 1u
#define PMCR_P 2u
#define PMCR_C 4u
#define CCNT (1u << 31)

#define EV_SW_INCR 0x00
#define EV_INST_RETIRED 0x08

__asm__(
    "   .section .text\n"
    "   .balign 32\n"
    "vectors:\n"
    "   b .\n"
    "   b und_entry\n"
    "   b svc_entry\n"
    "   b .\n"
    "   b .\n"
    "   b .\n"
    "   b irq_entry\n"
    "   b .\n"
    "irq_entry:\n"
    "   sub lr, lr, #4\n"
    "   push {r0-r3, r12, lr}\n"
    "   bl irq_handler\n"
    "   ldm sp!, {r0-r3, r12, pc}^\n"
    /* Undefined instruction (a User-mode PMU access): note it, skip it. */
    "und_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   sub r0, lr, #4\n"
    "   bl und_handler\n"
    "   ldm sp!, {r0-r3, r12, pc}^\n"
    /* SVC #n from User mode: n = 0 returns to the caller of enter_user in
       SVC mode, n = 1 returns to User mode. */
    "svc_entry:\n"
    "   ldr r12, [lr, #-4]\n"
    "   ands r12, r12, #0xff\n"
    "   movnes pc, lr\n"
    "   ldr sp, =svc_saved_sp\n"
    "   ldr sp, [sp]\n"
    "   pop {r4-r11, pc}\n"
    /* void enter_user(void (*fn)(void), u32 *usp) */
    "enter_user:\n"
    "   push {r4-r11, lr}\n"
    "   ldr r2, =svc_saved_sp\n"
    "   str sp, [r2]\n"
    "   push {r1}\n"
    "   ldm sp, {sp}^\n"
    "   add sp, sp, #4\n"
    "   mov r2, #0xd0\n" /* User, IRQ and FIQ masked */
    "   msr spsr_cxsf, r2\n"
    "   movs pc, r0\n"
    /* In User mode: PMCCNTR and PMUSERENR, as the handler reports. */
    "user_reads:\n"
    "   mrc p15, 0, r0, c9, c13, 0\n"
    "   mrc p15, 0, r0, c9, c14, 0\n"
    "   mcr p15, 0, r0, c9, c14, 0\n"
    "   mcr p15, 0, r0, c9, c12, 4\n"
    "   mrc p15, 0, r0, c9, c14, 1\n"
    "   svc #0\n");

extern char vectors[], user_reads[];
void enter_user(void (*fn)(void), u32 *usp);
u32 svc_saved_sp;
static u32 irq_stack[256] __attribute__((aligned(8)));
static u32 und_stack[256] __attribute__((aligned(8)));
static u32 usr_stack[256] __attribute__((aligned(8)));
static volatile u32 irq_count, irq_ovs, und_count;

static void say(const char *label, u32 v) {
    uart_puts(label);
    put_hex(v);
    uart_putc('\n');
}

static const char *yes(int c) { return c ? "yes" : "no"; }

static void say_yes(const char *label, int c) {
    uart_puts(label);
    uart_puts(yes(c));
    uart_putc('\n');
}

void irq_handler(void) {
    u32 iar = GICC(0x0c);
    u32 ovs = PMOVSR_R();
    uart_puts("irq ");
    put_dec(iar & 0x3ff);
    uart_puts(" pmovsr ");
    put_hex(ovs);
    uart_putc('\n');
    irq_ovs |= ovs;
    PMOVSR_W(ovs);
    /* The line follows the flags: clear, it drops before EOI. */
    say_yes("  still pending after clearing ", GICD(0x200) & (1u << PMU_PPI));
    irq_count++;
    GICC(0x10) = iar;
}

void und_handler(u32 pc) {
    u32 insn = *(volatile u32 *)pc;
    uart_puts("  undefined ");
    put_hex(insn);
    uart_putc('\n');
    und_count++;
}

static void wait_irq(u32 n) {
    for (u32 spin = 0; irq_count < n && spin < 100000; spin++) {
        __asm__ volatile("dsb\n\twfi\n\tcpsie i\n\tisb\n\tcpsid i" ::: "memory");
    }
}

/* Instructions retired over a loop of `n` iterations of two
   instructions, counted by event counter 0. */
static u32 count_loop(u32 n) {
    u32 c;
    __asm__ volatile("mcr p15, 0, %2, c9, c12, 1\n\t" /* PMCNTENSET: counter 0 */
                     "1: subs %1, %1, #1\n\t"
                     "bne 1b\n\t"
                     "mcr p15, 0, %2, c9, c12, 2\n\t" /* PMCNTENCLR */
                     "mrc p15, 0, %0, c9, c13, 2"
                     : "=r"(c), "+r"(n)
                     : "r"(1u)
                     : "cc", "memory");
    return c;
}

int main(void) {
    MCR(c12, 0, c0, 0, (u32)vectors);
    __asm__ volatile("mrs r2, cpsr\n\t"
                     "msr cpsr_c, #0xd2\n\t" /* IRQ mode */
                     "mov sp, %0\n\t"
                     "msr cpsr_c, #0xdb\n\t" /* Undefined mode */
                     "mov sp, %1\n\t"
                     "msr cpsr_c, r2" ::"r"(&irq_stack[256]),
                     "r"(&und_stack[256])
                     : "r2", "memory");

    /* Identification. */
    u32 pmcr = PMCR_R();
    say("pmcr.imp ", pmcr >> 24);
    say("pmcr.idcode ", (pmcr >> 16) & 0xff);
    say("pmcr.n ", (pmcr >> 11) & 0x1f);
    say("pmcr.e,p,c,d,x,dp ", pmcr & 0x3f);
    say("pmcntenset ", PMCNTENSET_R());
    say("pmintenset ", PMINTENSET_R());
    say("pmuserenr ", PMUSERENR_R());

    /* The cycle counter: still while PMCR.E is clear, then counting. */
    PMCCNTR_W(0);
    PMCNTENSET_W(CCNT);
    {
        u32 a = PMCCNTR_R();
        for (volatile int i = 0; i < 1000; i++) {
        }
        say_yes("ccnt still while pmcr.e=0 ", PMCCNTR_R() == a && a == 0);
    }
    PMCR_W(PMCR_E);
    {
        u32 a = PMCCNTR_R();
        for (volatile int i = 0; i < 1000; i++) {
        }
        u32 b = PMCCNTR_R();
        say_yes("ccnt counts ", b > a);
        PMCNTENCLR_W(CCNT);
        u32 c = PMCCNTR_R();
        for (volatile int i = 0; i < 1000; i++) {
        }
        say_yes("ccnt still when disabled ", PMCCNTR_R() == c && c >= b);
        PMCR_W(PMCR_E | PMCR_C);
        say_yes("pmcr.c resets ccnt ", PMCCNTR_R() == 0);
        say("pmcr after reset bits ", PMCR_R() & 0x3f);
    }

    /* Event counter 0 on the software increment: exact on every
       implementation. */
    PMSELR_W(0);
    PMXEVTYPER_W(EV_SW_INCR);
    say("pmselr ", PMSELR_R());
    say("pmxevtyper ", PMXEVTYPER_R() & 0xff);
    PMXEVCNTR_W(10);
    PMSWINC_W(1); /* counter disabled: no count */
    say("evcnt0 disabled swinc ", PMXEVCNTR_R());
    PMCNTENSET_W(1);
    say("pmcntenset ", PMCNTENSET_R());
    PMSWINC_W(1);
    PMSWINC_W(1);
    PMSWINC_W(2); /* another counter's bit */
    say("evcnt0 after 2 swinc ", PMXEVCNTR_R());
    PMXEVCNTR_W(0xfffffffe);
    PMSWINC_W(1);
    say("pmovsr before wrap ", PMOVSR_R());
    PMSWINC_W(1);
    say("evcnt0 wrapped ", PMXEVCNTR_R());
    say("pmovsr after wrap ", PMOVSR_R());
    PMOVSR_W(0xffffffff);
    say("pmovsr cleared ", PMOVSR_R());
    PMOVSSET_W(0xffffffff); /* the implemented bits: C and six counters */
    say("pmovsset ", PMOVSR_R());
    PMOVSR_W(0xffffffff);
    PMCR_W(PMCR_E | PMCR_P);
    say("pmcr.p resets evcnt0 ", PMXEVCNTR_R());
    /* Another counter keeps its own type and count. */
    PMSELR_W(3);
    PMXEVTYPER_W(EV_SW_INCR);
    PMXEVCNTR_W(7);
    PMCNTENSET_W(1u << 3);
    PMSWINC_W(1u << 3);
    say("evcnt3 ", PMXEVCNTR_R());
    PMSELR_W(0);
    say("evcnt0 ", PMXEVCNTR_R());
    PMCNTENCLR_W(1u << 3);

    /* Instructions retired, if PMCEID0 says they are counted. */
    {
        PMCNTENCLR_W(1);
        PMXEVTYPER_W(EV_INST_RETIRED);
        PMXEVCNTR_W(0);
        u32 n = count_loop(1000);
        int ok;
        if (n != 0) {
            /* The loop's 2000 instructions, plus at most the enabling
               and disabling instructions. */
            ok = n >= 2000 && n <= 2002;
            PMXEVCNTR_W(0);
            u32 m = count_loop(3000);
            ok = ok && m - n == 4000;
        } else {
            ok = 1;
        }
        say_yes("inst_retired none or exact ", ok);
        if (!ok) {
            say("  counted ", n);
        }
    }

    /* The overflow interrupt: PPI 23, level, through the GIC. */
    GICD(0x000) = 1;
    GICD(0x100) = 1u << PMU_PPI;
    GICC(0x004) = 0xf0;
    GICC(0x000) = 1;
    PMXEVTYPER_W(EV_SW_INCR);
    PMXEVCNTR_W(0xffffffff);
    PMCNTENSET_W(1);
    PMSWINC_W(1);
    say("pmovsr ", PMOVSR_R());
    say_yes("ppi 23 pending, interrupt disabled ", GICD(0x200) & (1u << PMU_PPI));
    /* A flag already set raises the interrupt when it is enabled... */
    PMINTENSET_W(1);
    say("pmintenset ", PMINTENSET_R());
    say_yes("ppi 23 pending ", GICD(0x200) & (1u << PMU_PPI));
    wait_irq(1);
    say("irqs ", irq_count);
    /* ...and an enabled one at the overflow. */
    PMXEVCNTR_W(0xffffffff);
    PMSWINC_W(1);
    say_yes("ppi 23 pending at the overflow ", GICD(0x200) & (1u << PMU_PPI));
    wait_irq(2);
    say("irqs ", irq_count);

    /* The cycle counter overflows by itself. */
    PMINTENCLR_W(1);
    PMCNTENCLR_W(1);
    PMCCNTR_W(0xfffff000);
    PMINTENSET_W(CCNT);
    PMCNTENSET_W(CCNT);
    wait_irq(3);
    say("irqs ", irq_count);
    say_yes("ccnt overflowed ", irq_ovs & CCNT);
    say_yes("ccnt wrapped ", PMCCNTR_R() < 0xfffff000);
    PMINTENCLR_W(CCNT);
    say("pmintenset ", PMINTENSET_R());

    /* User mode: UNDEFINED until PMUSERENR.EN; PMUSERENR is read-only
       there and the interrupt enables stay PL1 only. */
    uart_puts("user, pmuserenr 0\n");
    enter_user((void (*)(void))user_reads, &usr_stack[256]);
    say("undefined ", und_count);
    PMUSERENR_W(1);
    say("pmuserenr ", PMUSERENR_R());
    uart_puts("user, pmuserenr 1\n");
    und_count = 0;
    enter_user((void (*)(void))user_reads, &usr_stack[256]);
    say("undefined ", und_count);
    PMUSERENR_W(0);

    PMCR_W(0);
    semi_write0("pmu done\n");
    return 0;
}
