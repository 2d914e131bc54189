/* User mode (PL0) on a small MMU map, and the ways back to PL1.

   The program enters User mode with an exception return, then from there:
   SVCs (the handler saves and restores the User registers with STM/LDM
   of User registers, `stm sp, {r0-r14}^` / `ldm sp, {r0-r14}^`, prints
   the immediate and returns with `movs pc, lr`), CPS and MSR to the
   control field (no effect in User mode), privileged CP15 accesses
   (UNDEFINED; the handler returns with `ldmfd sp!, {..., pc}^`), the
   thread ID registers (TPIDRURO readable, not writable; TPIDRURW both),
   the generic timer as CNTKCTL allows, loads and stores against PL1-only
   and PL0-read-only sections (data aborts, handled with SRS/RFE), BKPT,
   the semihosting immediate (a plain SVC from User mode), a timer
   interrupt taken from a loop in User mode (saved with SRS onto the SVC
   stack, returned from with RFE), an SVC whose
   handler moves the User stack pointer, and finally an SVC whose handler
   returns to SVC mode. Back in SVC mode, LDRT/STRT use PL0 permissions.

   Only exactly defined state is printed: SPSRs, fault status, the
   instructions that trapped; never the CPSR as read from User mode. */
#include "guest.h"
#include "sysreg.h"


#define SECT(pa, ap, xn, attr)                                                  \
    (((pa) & 0xfff00000u) | (((ap) & 4u) << 13) | (((ap) & 3u) << 10) |         \
     ((xn) << 4) | (attr) | 2u)
#define S_NORMAL ((1u << 12) | (1u << 3) | (1u << 2))
#define S_DEVICE (1u << 2)
#define AP_PRIV 1u
#define AP_USER_RO 2u
#define AP_FULL 3u

#define PRIV_ALIAS 0x50000000u /* PL1-only view of 0x40100000 */
#define RO_ALIAS 0x50100000u   /* PL0 read-only view of 0x40100000 */

static u32 l1[4096] __attribute__((aligned(16384)));
static u32 abt_stack[512] __attribute__((aligned(8)));
static u32 und_stack[512] __attribute__((aligned(8)));
static u32 irq_stack[64] __attribute__((aligned(8)));
u32 usr_stack[512] __attribute__((aligned(8)));
volatile u32 magic = 0x600df00d;
volatile u32 irq_seen;
u32 user_ro_addr, user_priv_addr;

/* The frame the SVC handler builds: User r0-r14, the SPSR, LR_svc. */
struct svc_frame {
    u32 r[15];
    u32 spsr;
    u32 lr, pad;
};

__asm__(
    "   .section .text\n"
    "   .balign 32\n"
    "vectors:\n"
    "   b .\n"
    "   b und_entry\n"
    "   b svc_entry\n"
    "   b pabt_entry\n"
    "   b dabt_entry\n"
    "   b .\n"
    "   b irq_entry\n"
    "   b .\n"

    /* IRQ: save the return state on the SVC stack (SRS to another mode),
       handle it in SVC mode, return with RFE, as Linux does. */
    "irq_entry:\n"
    "   sub lr, lr, #4\n"
    "   srsdb sp!, #0x13\n"
    "   cps #0x13\n"
    "   push {r0-r3, r12, lr}\n"
    "   ldr r0, [sp, #28]\n"         /* the SPSR */
    "   bl irq_handler\n"
    "   pop {r0-r3, r12, lr}\n"
    "   rfeia sp!\n"

    /* SVC: the User registers go to the frame with STM (User registers);
       the handler may change them (r0, sp) and the SPSR. */
    "svc_entry:\n"
    "   sub sp, sp, #72\n"
    "   stm sp, {r0-r14}^\n"
    "   mrs r0, spsr\n"
    "   str r0, [sp, #60]\n"
    "   str lr, [sp, #64]\n"
    "   mov r0, sp\n"
    "   mov r1, lr\n"
    "   bl svc_handler\n"
    "   ldr r0, [sp, #60]\n"
    "   msr spsr_cxsf, r0\n"
    "   ldr lr, [sp, #64]\n"
    "   ldm sp, {r0-r14}^\n"
    "   add sp, sp, #72\n"
    "   movs pc, lr\n"

    /* Undefined instruction: return after it with LDM (exception
       return). */
    "und_entry:\n"
    "   stmfd sp!, {r0-r12, lr}\n"
    "   mov r0, sp\n"
    "   bl und_handler\n"
    "   ldmfd sp!, {r0-r12, pc}^\n"

    /* Data abort: skip the faulting instruction; SRS/RFE save and
       restore the return state on the abort stack. */
    "dabt_entry:\n"
    "   sub lr, lr, #4\n"
    "   srsdb sp!, #0x17\n"
    "   push {r0-r3, r12, lr}\n"
    "   mrc p15, 0, r0, c5, c0, 0\n"
    "   mrc p15, 0, r1, c6, c0, 0\n"
    "   ldr r2, [sp, #24]\n"          /* the return address SRS stored */
    "   ldr r3, [sp, #28]\n"          /* the SPSR */
    "   bl dabt_handler\n"
    "   pop {r0-r3, r12, lr}\n"
    "   rfeia sp!\n"

    /* Prefetch abort (BKPT): continue after it. */
    "pabt_entry:\n"
    "   srsdb sp!, #0x17\n"
    "   push {r0-r3, r12, lr}\n"
    "   mrc p15, 0, r0, c5, c0, 1\n"
    "   ldr r1, [sp, #24]\n"
    "   ldr r2, [sp, #28]\n"
    "   bl pabt_handler\n"
    "   pop {r0-r3, r12, lr}\n"
    "   rfeia sp!\n"

    /* void enter_user(void (*fn)(void), u32 *sp): runs fn in User mode;
       fn ends with SVC #0xff, whose handler returns to SVC mode, and
       fn's last instructions return from here. */
    "enter_user:\n"
    "   push {r4-r11, lr}\n"
    "   push {r1}\n"
    "   ldm sp, {sp}^\n"              /* the User stack pointer */
    "   add sp, sp, #4\n"
    "   mov r2, #0x50\n"              /* User, FIQ masked */
    "   msr spsr_cxsf, r2\n"
    "   mov lr, r0\n"
    "   movs pc, lr\n"

    "   .balign 64\n"
    "user_main:\n"
    "   ldr r0, =s_hello\n"
    "   bl uart_puts\n"
    "   svc #0x55\n"
    "   mov r1, r0\n"
    "   ldr r0, =s_r0\n"
    "   bl say\n"
    /* Mode changes are ignored in User mode; the flags are not. */
    "   cps #0x1f\n"
    "   msr cpsr_c, #0xdf\n"
    "   msr cpsr_f, #0xf0000000\n"
    "   svc #0x56\n"
    "   msr cpsr_f, #0\n"
    /* Privileged CP15 accesses and an undefined encoding. */
    "   mcr p15, 0, r0, c1, c0, 0\n"
    "   mrc p15, 0, r0, c1, c0, 0\n"
    "   mcr p15, 0, r0, c12, c0, 0\n"
    "   udf #0x1234\n"
    /* Thread ID registers. */
    "   mrc p15, 0, r1, c13, c0, 3\n"
    "   ldr r0, =s_tpidruro\n"
    "   bl say\n"
    "   mcr p15, 0, r0, c13, c0, 3\n"
    "   mrc p15, 0, r1, c13, c0, 3\n"
    "   ldr r0, =s_tpidruro\n"
    "   bl say\n"
    "   ldr r0, =0xcafef00d\n"
    "   mcr p15, 0, r0, c13, c0, 2\n"
    "   mov r1, #0\n"
    "   mrc p15, 0, r1, c13, c0, 2\n"
    "   ldr r0, =s_tpidrurw\n"
    "   bl say\n"
    "   mrc p15, 0, r0, c13, c0, 4\n"
    /* The generic timer: UNDEFINED until CNTKCTL.PL0VCTEN is set, then
       readable, then UNDEFINED again; the same code each time. */
    "   bl read_vct\n"
    "   bl read_frq\n"
    "   svc #0x20\n"
    "   bl read_vct\n"
    "   bl read_frq\n"
    "   svc #0x21\n"
    "   bl read_vct\n"
    "   bl read_frq\n"
    /* Memory: a PL1-only section, a PL0 read-only section. */
    "   ldr r0, =user_priv_addr\n"
    "   ldr r0, [r0]\n"
    "   bl user_read\n"
    "   ldr r0, =user_ro_addr\n"
    "   ldr r0, [r0]\n"
    "   bl user_read\n"
    "   ldr r0, =user_ro_addr\n"
    "   ldr r0, [r0]\n"
    "   bl user_write\n"
    /* The SVC handler moves the User stack pointer (LDM of User
       registers writes the User bank). */
    "   mov r4, sp\n"
    "   svc #0x07\n"
    "   sub r1, r4, sp\n"
    "   mov sp, r4\n"
    "   ldr r0, =s_moved\n"
    "   bl say\n"
    "   bkpt #0x21\n"
    "   svc #0x123456\n"               /* not semihosting in User mode */
    /* An interrupt taken from User mode in the middle of a loop. */
    "   svc #0x30\n"
    "   ldr r1, =irq_seen\n"
    "1: ldr r0, [r1]\n"
    "   cmp r0, #0\n"
    "   beq 1b\n"
    "   svc #0xff\n"
    /* Now in SVC mode, on the stack enter_user left. */
    "   mrs r1, cpsr\n"
    "   and r1, r1, #0x1f\n"
    "   ldr r0, =s_mode\n"
    "   bl say\n"
    "   pop {r4-r11, pc}\n"

    "read_vct:\n"
    "   push {r4, lr}\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   mrrc p15, 1, r0, r1, c14\n"
    "   bl vct_result\n"
    "   pop {r4, pc}\n"
    "read_frq:\n"
    "   push {r4, lr}\n"
    "   movw r1, #0xbad0\n"
    "   movt r1, #0xbad0\n"
    "   mrc p15, 0, r1, c14, c0, 0\n"
    "   ldr r0, =s_cntfrq\n"
    "   bl say\n"
    "   pop {r4, pc}\n"
    "user_read:\n"
    "   push {r4, lr}\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldr r0, [r1]\n"
    "   mov r1, r0\n"
    "   ldr r0, =s_read\n"
    "   bl say\n"
    "   pop {r4, pc}\n"
    "user_write:\n"
    "   mov r1, #0\n"
    "   str r1, [r0]\n"
    "   bx lr\n"
    "probe_ldrt:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldrt r0, [r1]\n"
    "   bx lr\n"
    "probe_ldr:\n"
    "   mov r1, r0\n"
    "   movw r0, #0xbad0\n"
    "   movt r0, #0xbad0\n"
    "   ldr r0, [r1]\n"
    "   bx lr\n"
    "probe_strt:\n"
    "   strt r1, [r0]\n"
    "   bx lr\n"
    "   .ltorg\n"
    "   .section .rodata\n"
    "s_hello: .asciz \"in user mode\\n\"\n"
    "s_r0: .asciz \"  r0 after svc \"\n"
    "s_tpidruro: .asciz \"  tpidruro \"\n"
    "s_tpidrurw: .asciz \"  tpidrurw \"\n"
    "s_cntfrq: .asciz \"  cntfrq \"\n"
    "s_read: .asciz \"  read \"\n"
    "s_moved: .asciz \"  user sp moved by \"\n"
    "s_mode: .asciz \"back in mode \"\n"
    "   .text\n");

extern char vectors[];
extern char user_main[];
void enter_user(char *fn, u32 *sp);
u32 probe_ldrt(u32 va);
u32 probe_ldr(u32 va);
void probe_strt(u32 va, u32 v);

void say(const char *label, u32 v) {
    uart_puts(label);
    put_hex(v);
    uart_putc('\n');
}

void vct_result(u32 r0) {
    uart_puts(r0 == 0xbad0bad0 ? "  cntvct not read\n" : "  cntvct read\n");
}

u32 svc_handler(struct svc_frame *f, u32 ret) {
    u32 imm = *(u32 *)(ret - 4) & 0xffffff;
    uart_puts("svc ");
    put_hex(imm);
    uart_puts(" spsr ");
    put_hex(f->spsr);
    uart_putc('\n');
    switch (imm) {
    case 0x55:
        say("  user sp ", f->r[13]);
        say("  user lr ", f->r[14]);
        f->r[0] = imm + 1;
        break;
    case 0x20:
        MCR(c14, 0, c1, 0, 2); /* CNTKCTL.PL0VCTEN */
        break;
    case 0x21:
        MCR(c14, 0, c1, 0, 0);
        break;
    case 0x07:
        f->r[13] -= 0x100;
        break;
    case 0x30: /* the virtual timer, PPI 27, through the GIC */
        *(volatile u32 *)0x08000000 = 1;             /* GICD_CTLR */
        *(volatile u32 *)0x08000100 = 1u << 27;      /* GICD_ISENABLER0 */
        *(volatile u32 *)0x08010004 = 0xf0;          /* GICC_PMR */
        *(volatile u32 *)0x08010000 = 1;             /* GICC_CTLR */
        MCR(c14, 0, c3, 0, 10000);                   /* CNTV_TVAL */
        MCR(c14, 0, c3, 1, 1);                       /* CNTV_CTL */
        break;
    case 0xff:
        f->spsr = (f->spsr & ~0x1fu) | 0x13; /* return in SVC mode */
        break;
    }
    return 0;
}

void irq_handler(u32 spsr) {
    u32 iar = *(volatile u32 *)0x0801000c; /* GICC_IAR */
    uart_puts("irq ");
    put_hex(iar & 0x3ff);
    /* Where in the loop the interrupt lands depends on timing under QEMU,
       and so do the flags: only the mode and masks are printed. */
    uart_puts(" spsr mode and masks ");
    put_hex(spsr & 0x1ff);
    uart_putc('\n');
    MCR(c14, 0, c3, 1, 0); /* CNTV_CTL: off */
    irq_seen = 1;
    *(volatile u32 *)0x08010010 = iar; /* GICC_EOIR */
}

void und_handler(u32 *frame) {
    u32 ret = frame[13];
    u32 spsr;
    __asm__ volatile("mrs %0, spsr" : "=r"(spsr));
    uart_puts("undefined ");
    put_hex(*(u32 *)(ret - 4));
    uart_puts(" at ");
    put_hex(ret - 4);
    uart_puts(" spsr ");
    put_hex(spsr);
    uart_putc('\n');
}

void dabt_handler(u32 dfsr, u32 dfar, u32 ret, u32 spsr) {
    uart_puts("data abort dfsr ");
    put_hex(dfsr & 0x3cff);
    uart_puts(" dfar ");
    put_hex(dfar);
    uart_puts(" return ");
    put_hex(ret);
    uart_puts(" spsr ");
    put_hex(spsr);
    uart_putc('\n');
}

void pabt_handler(u32 ifsr, u32 ret, u32 spsr) {
    uart_puts("prefetch abort ifsr ");
    put_hex(ifsr & 0x160f);
    uart_puts(" return ");
    put_hex(ret);
    uart_puts(" insn ");
    put_hex(*(u32 *)(ret - 4));
    uart_puts(" spsr ");
    put_hex(spsr);
    uart_putc('\n');
}

int main(void) {
    MCR(c12, 0, c0, 0, (u32)vectors);
    __asm__ volatile("mrs r2, cpsr\n\t"
                     "msr cpsr_c, #0xd7\n\t"
                     "mov sp, %0\n\t"
                     "msr cpsr_c, #0xdb\n\t"
                     "mov sp, %1\n\t"
                     "msr cpsr_c, #0xd2\n\t"
                     "mov sp, %2\n\t"
                     "msr cpsr_c, r2" ::"r"(&abt_stack[512]),
                     "r"(&und_stack[512]), "r"(&irq_stack[64])
                     : "r2", "memory");

    for (u32 mb = 0x400; mb < 0x480; mb++) l1[mb] = SECT(mb << 20, AP_FULL, 0, S_NORMAL);
    l1[0x090] = SECT(0x09000000, AP_FULL, 1, S_DEVICE);
    l1[0x080] = SECT(0x08000000, AP_PRIV, 1, S_DEVICE); /* the GIC */
    l1[PRIV_ALIAS >> 20] = SECT(0x40100000, AP_PRIV, 0, S_NORMAL);
    l1[RO_ALIAS >> 20] = SECT(0x40100000, AP_USER_RO, 0, S_NORMAL);
    user_priv_addr = PRIV_ALIAS + ((u32)&magic - 0x40100000);
    user_ro_addr = RO_ALIAS + ((u32)&magic - 0x40100000);
    __asm__ volatile("dsb" ::: "memory");
    MCR(c2, 0, c0, 2, 0);
    MCR(c2, 0, c0, 0, (u32)l1);
    MCR(c3, 0, c0, 0, 1); /* domain 0 client */
    MCR(c8, 0, c7, 0, 0);
    MCR(c1, 0, c0, 0,
        (MRC(c1, 0, c0, 0) & ~((1u << 1) | (1u << 29) | (1u << 28) | (3u << 19))) | 1u);

    MCR(c13, 0, c0, 3, 0x12345678); /* TPIDRURO */
    MCR(c13, 0, c0, 2, 0);          /* TPIDRURW */
    MCR(c14, 0, c1, 0, 0);          /* CNTKCTL: no PL0 timer access */

    say("user stack ", (u32)&usr_stack[512]);
    enter_user(user_main, &usr_stack[512]);

    say("tpidrurw seen from pl1 ", MRC(c13, 0, c0, 2));
    say("tpidruro still ", MRC(c13, 0, c0, 3));
    uart_puts("ldrt pl1-only\n");
    say("  -> ", probe_ldrt(user_priv_addr));
    uart_puts("ldr pl1-only\n");
    say("  -> ", probe_ldr(user_priv_addr));
    uart_puts("ldrt pl0-ro\n");
    say("  -> ", probe_ldrt(user_ro_addr));
    uart_puts("strt pl0-ro\n");
    probe_strt(user_ro_addr, 0x11);
    say("  magic ", magic);

    MCR(c1, 0, c0, 0, MRC(c1, 0, c0, 0) & ~1u);
    semi_write0("user_mode done\n");
    return 0;
}
