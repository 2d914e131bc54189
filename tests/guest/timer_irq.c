/* Generic timer interrupts through the GICv2 on arm-virt.

   A vector table at VBAR, the distributor and CPU interface enabled, the
   virtual timer (PPI 27) and the physical timer (PPI 30) programmed with
   TVAL/CTL, WFI until the interrupts arrive. The IRQ handler acknowledges
   through GICC_IAR, re-arms or disables the timer and writes GICC_EOIR.

   Counter values depend on how fast the emulator runs (QEMU follows the
   host clock, Lockstep counts instructions), so only relations that hold
   on any correct implementation are printed: the counter has reached the
   compare value when the interrupt is taken, TVAL reads <= 0, ISTATUS is
   set, which interrupts arrive in which order. */
#include "guest.h"
#include "sysreg.h"

#define GICD(off) (*(volatile u32 *)(0x08000000 + (off)))
#define GICC(off) (*(volatile u32 *)(0x08010000 + (off)))
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER0 0x100
#define GICD_ICENABLER0 0x180
#define GICD_ISPENDR0 0x200
#define GICD_ISACTIVER0 0x300
#define GICD_IPRIORITYR 0x400
#define GICD_SGIR 0xf00
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GICC_RPR 0x14
#define GICC_HPPIR 0x18
#define GICC_DIR 0x1000

#define VTIMER 27
#define PTIMER 30
#define SGI 5
/* 10000 ticks at 62.5 MHz: 160 us. */
#define DELTA 10000


#define CNTV_CTL_R() MRC(c14, 0, c3, 1)
#define CNTV_CTL_W(v) MCR(c14, 0, c3, 1, v)
#define CNTV_TVAL_R() MRC(c14, 0, c3, 0)
#define CNTV_TVAL_W(v) MCR(c14, 0, c3, 0, v)
#define CNTP_CTL_R() MRC(c14, 0, c2, 1)
#define CNTP_CTL_W(v) MCR(c14, 0, c2, 1, v)
#define CNTP_TVAL_R() MRC(c14, 0, c2, 0)
#define CNTP_TVAL_W(v) MCR(c14, 0, c2, 0, v)
#define CNTV_CVAL_W(v) MCRR(3, c14, v)
#define CNTVCT() MRRC(1, c14)
#define CNTPCT() MRRC(0, c14)
#define CNTV_CVAL() MRRC(3, c14)
#define CNTP_CVAL() MRRC(2, c14)

__asm__(
    "   .section .text\n"
    "   .balign 32\n"
    "vectors:\n"
    "   b .\n"          /* reset */
    "   b .\n"          /* undefined */
    "   b .\n"          /* svc (semihosting is served, not taken) */
    "   b .\n"          /* prefetch abort */
    "   b .\n"          /* data abort */
    "   b .\n"
    "   b irq_entry\n"
    "   b fiq_entry\n"
    "irq_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   bl irq_handler\n"
    "   pop {r0-r3, r12, lr}\n"
    "   subs pc, lr, #4\n"
    "fiq_entry:\n"
    "   push {r0-r3, r12, lr}\n"
    "   bl fiq_handler\n"
    "   pop {r0-r3, r12, lr}\n"
    "   subs pc, lr, #4\n");

extern char vectors[];

static u32 irq_stack[512] __attribute__((aligned(8)));
static u32 fiq_stack[512] __attribute__((aligned(8)));
static volatile u32 fiq_count;

static volatile u32 irq_count;
static volatile u32 rearm;           /* virtual-timer re-arms left */
static volatile u32 ids[16];
static volatile u32 restore_pmr;     /* handler of PPI 30 lowers the mask */
static volatile u32 split_eoi;       /* GICC_CTLR.EOImode: EOIR, then DIR */

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

static void enable_irqs_once(void) {
    /* An interrupt pending when the mask clears is taken here. */
    __asm__ volatile("cpsie i\n\tisb\n\tcpsid i" ::: "memory");
}

/* Sleeps until `n` interrupts have been handled. IRQs stay masked while
   the count is tested, so an interrupt cannot slip in between the test
   and the WFI (WFI wakes on a pending interrupt even when CPSR.I is set). */
static void wait_for(u32 n) {
    while (irq_count < n) {
        __asm__ volatile("dsb\n\twfi" ::: "memory");
        enable_irqs_once();
    }
}

void irq_handler(void) {
    u32 iar = GICC(GICC_IAR);
    u32 id = iar & 0x3ff;
    uart_puts("irq ");
    put_dec(id);
    uart_puts(" src ");
    put_dec((iar >> 10) & 7);
    uart_puts(" active ");
    uart_puts(yes(GICD(GICD_ISACTIVER0) & (1u << id)));
    uart_puts(" rpr ");
    put_hex(GICC(GICC_RPR) & 0xff);
    if (id == VTIMER) {
        u32 ctl = CNTV_CTL_R();
        u64 now = CNTVCT();
        u64 cval = CNTV_CVAL();
        uart_puts(" ctl ");
        put_hex(ctl);
        uart_puts(" late ");
        uart_puts(yes(now >= cval));
        uart_puts(" tval<=0 ");
        uart_puts(yes((i32)CNTV_TVAL_R() <= 0));
        if (rearm) {
            rearm--;
            CNTV_TVAL_W(DELTA);
            /* TVAL counts from the counter at the write. */
            uart_puts(" rearmed ");
            uart_puts(yes(CNTV_CVAL() >= now + DELTA));
        } else {
            CNTV_CTL_W(0);
        }
    } else if (id == PTIMER) {
        u32 ctl = CNTP_CTL_R();
        u64 now = CNTPCT();
        uart_puts(" ctl ");
        put_hex(ctl);
        uart_puts(" late ");
        uart_puts(yes(now >= CNTP_CVAL()));
        uart_puts(" tval<=0 ");
        uart_puts(yes((i32)CNTP_TVAL_R() <= 0));
        uart_puts(" vctl ");
        put_hex(CNTV_CTL_R());
        uart_puts(" ppi27-pending ");
        uart_puts(yes(GICD(GICD_ISPENDR0) & (1u << VTIMER)));
        CNTP_CTL_W(0);
        if (restore_pmr) {
            restore_pmr = 0;
            GICC(GICC_PMR) = 0xf0;
        }
    }
    uart_putc('\n');
    if (irq_count < 16) ids[irq_count] = id;
    irq_count++;
    GICC(GICC_EOIR) = iar;
    if (split_eoi) {
        /* EOIR only dropped the running priority. */
        uart_puts("  after eoir: active ");
        uart_puts(yes(GICD(GICD_ISACTIVER0) & (1u << id)));
        uart_puts(" rpr ");
        put_hex(GICC(GICC_RPR) & 0xff);
        GICC(GICC_DIR) = iar;
        uart_puts(", after dir: active ");
        uart_puts(yes(GICD(GICD_ISACTIVER0) & (1u << id)));
        uart_putc('\n');
    }
}

/* Group 0 interrupts come as FIQs while GICC_CTLR.FIQEn is set. */
void fiq_handler(void) {
    u32 iar = GICC(GICC_IAR);
    u32 id = iar & 0x3ff;
    u32 spsr;
    __asm__ volatile("mrs %0, spsr" : "=r"(spsr));
    uart_puts("fiq ");
    put_dec(id);
    uart_puts(" from mode ");
    put_hex(spsr & 0x1f);
    if (id == VTIMER) {
        uart_puts(" ctl ");
        put_hex(CNTV_CTL_R());
        CNTV_CTL_W(0);
    }
    uart_putc('\n');
    fiq_count++;
    GICC(GICC_EOIR) = iar;
}

int main(void) {
    u32 base;
    MCR(c12, 0, c0, 0, (u32)vectors); /* VBAR */
    __asm__ volatile("mrs r2, cpsr\n\t"
                     "msr cpsr_c, #0xd2\n\t" /* IRQ mode, IRQ/FIQ masked */
                     "mov sp, %0\n\t"
                     "msr cpsr_c, #0xd1\n\t" /* FIQ mode */
                     "mov sp, %1\n\t"
                     "msr cpsr_c, r2" ::"r"(&irq_stack[512]),
                     "r"(&fiq_stack[512])
                     : "r2", "memory");

    say("cntfrq ", MRC(c14, 0, c0, 0));
    say("gicd_typer.itlines ", GICD(GICD_TYPER) & 0x1f);
    say("gicd_typer.cpus ", (GICD(GICD_TYPER) >> 5) & 7);

    /* Distributor: priorities 0xa0 (virtual timer), 0x80 (physical timer),
       0x90 (SGI 5); enable the three; enable forwarding. */
    GICD(GICD_CTLR) = 1;
    volatile u8 *prio = (volatile u8 *)0x08000400;
    prio[VTIMER] = 0xa0;
    prio[PTIMER] = 0x80;
    prio[SGI] = 0x90;
    say("prio27 ", prio[VTIMER]);
    /* (GICD_ITARGETSR is not printed: a one-CPU GIC may make it RAZ/WI,
       as QEMU does, or show the one CPU, as Lockstep does.) */
    GICD(GICD_ISENABLER0) = (1u << VTIMER) | (1u << PTIMER) | (1u << SGI);
    say("enabled ", GICD(GICD_ISENABLER0) & ((1u << VTIMER) | (1u << PTIMER) | (1u << SGI)));
    /* CPU interface: let everything above priority 0xf0 through. */
    GICC(GICC_PMR) = 0xf0;
    GICC(GICC_CTLR) = 1;
    say("spurious ", GICC(GICC_IAR) & 0x3ff);

    /* 1. Three virtual-timer interrupts: the handler re-arms twice. */
    uart_puts("phase 1: virtual timer\n");
    rearm = 2;
    {
        u64 before = CNTVCT();
        CNTV_TVAL_W(DELTA);
        CNTV_CTL_W(1);
        /* Only relations that hold however long the host takes between
           two instructions: ISTATUS would depend on it. */
        say("ctl armed ", CNTV_CTL_R() & 3);
        say_yes("cval>=before+delta ", CNTV_CVAL() >= before + DELTA);
        say_yes("tval<=delta ", (i32)CNTV_TVAL_R() <= DELTA);
    }
    wait_for(3);
    say("count ", irq_count);
    say("ctl after ", CNTV_CTL_R());
    say("spurious ", GICC(GICC_IAR) & 0x3ff);

    /* 2. The virtual timer masked by IMASK fires first but never reaches
       the GIC; WFI waits for the physical timer. */
    uart_puts("phase 2: imask\n");
    CNTV_TVAL_W(100);
    CNTV_CTL_W(3);
    CNTP_TVAL_W(2 * DELTA);
    CNTP_CTL_W(1);
    wait_for(4);
    say("count ", irq_count);
    say("vctl ", CNTV_CTL_R());
    CNTV_CTL_W(0);

    /* 3. An interrupt pending while CPSR.I is set: WFI still wakes, the GIC
       shows it pending, and unmasking takes it at once. */
    uart_puts("phase 3: cpsr.i\n");
    CNTV_TVAL_W(DELTA);
    CNTV_CTL_W(1);
    __asm__ volatile("dsb\n\twfi" ::: "memory");
    /* WFI may also return early (a spurious wake-up is allowed): wait for
       the line itself. */
    while (!(CNTV_CTL_R() & 4)) {
    }
    say("hppir ", GICC(GICC_HPPIR) & 0x3ff);
    say_yes("pending ", GICD(GICD_ISPENDR0) & (1u << VTIMER));
    base = irq_count;
    {
        u32 after;
        __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]\n\tcpsid i"
                         : "=r"(after)
                         : "r"(&irq_count)
                         : "memory");
        say_yes("taken at unmask ", after == base + 1);
    }

    /* 4. The priority mask: PMR 0x90 holds back the virtual timer
       (priority 0xa0) though its deadline comes first; the physical timer
       (0x80) gets through, and its handler lowers the mask, so the virtual
       timer follows as soon as the handler returns. */
    uart_puts("phase 4: priority mask\n");
    GICC(GICC_PMR) = 0x90;
    restore_pmr = 1;
    CNTV_TVAL_W(100);
    CNTV_CTL_W(1);
    CNTP_TVAL_W(2 * DELTA);
    CNTP_CTL_W(1);
    wait_for(base + 3);
    say("count ", irq_count);

    /* 5. A software-generated interrupt to this CPU. */
    uart_puts("phase 5: sgi\n");
    GICD(GICD_SGIR) = (2u << 24) | SGI;
    wait_for(base + 4);

    /* 6. A deadline set through CVAL, waited for in a busy loop: the
       interrupt arrives in the middle of the loop, not at a WFI. */
    uart_puts("phase 6: cval, busy loop\n");
    {
        /* How many times the loop ran depends on the host's speed under
           QEMU: it is not printed. */
        u32 spins = 0, n = irq_count;
        u64 cval = CNTVCT() + DELTA;
        CNTV_CVAL_W(cval);
        CNTV_CTL_W(1);
        u32 back = CNTV_CVAL() == cval;
        __asm__ volatile("cpsie i\n"
                         "1: add %0, %0, #1\n\t"
                         "ldr r1, [%1]\n\t"
                         "cmp r1, %2\n\t"
                         "beq 1b\n\t"
                         "cpsid i"
                         : "+r"(spins)
                         : "r"(&irq_count), "r"(n)
                         : "r1", "cc", "memory");
        say_yes("cval read back ", back);
    }

    /* 7. A compare value in the past: the condition holds as soon as the
       timer is enabled. */
    uart_puts("phase 7: cval in the past\n");
    CNTV_CVAL_W(0);
    CNTV_CTL_W(1);
    say("ctl at once ", CNTV_CTL_R());
    base = irq_count;
    {
        u32 after;
        __asm__ volatile("cpsie i\n\tisb\n\tldr %0, [%1]\n\tcpsid i"
                         : "=r"(after)
                         : "r"(&irq_count)
                         : "memory");
        say_yes("taken at unmask ", after == base + 1);
    }

    /* 8. With FIQEn the same timer interrupt (group 0) comes as an FIQ;
       IRQs stay masked meanwhile. */
    uart_puts("phase 8: fiq\n");
    GICC(GICC_CTLR) = 1 | (1u << 3);
    CNTV_TVAL_W(DELTA);
    CNTV_CTL_W(1);
    while (fiq_count == 0) {
        __asm__ volatile("dsb\n\twfi\n\tcpsie f\n\tisb\n\tcpsid f" ::: "memory");
    }
    GICC(GICC_CTLR) = 1;
    say("fiqs ", fiq_count);

    /* 9. GICC_CTLR.EOImode: EOIR drops the priority, GICC_DIR
       deactivates. */
    uart_puts("phase 9: eoimode\n");
    GICC(GICC_CTLR) = 1 | (1u << 9);
    split_eoi = 1;
    CNTV_TVAL_W(DELTA);
    CNTV_CTL_W(1);
    wait_for(irq_count + 1);
    split_eoi = 0;
    GICC(GICC_CTLR) = 1;

    uart_puts("order");
    for (u32 i = 0; i < irq_count && i < 16; i++) {
        uart_putc(' ');
        put_dec(ids[i]);
    }
    uart_putc('\n');
    say("total ", irq_count);
    semi_write0("timer_irq done\n");
    return irq_count == 11 ? 0 : 1;
}
