/* System architecture: exceptions with their error codes, INT n and
 * INT3, segment loads, paging (4 KiB and 4 MiB pages, every page-fault
 * kind with its error code and CR2, accessed and dirty bits, CR0.WP,
 * INVLPG, global pages across a CR3 load), ring 3 and back through the
 * TSS, IRET to ring 3. Everything observed is printed. */
#include "guest.h"

/* Where a faulting instruction resumes: set just before it. */
static volatile u32 resume;
static volatile u32 seen_vector, seen_error, seen_cs, seen_cr2, seen_count;

#define EXPECT_FAULT(insns, ...)                                                     \
    __asm__ volatile("movl $1f, %[r]\n\t" insns "\n1:" : __VA_ARGS__)

static u32 read_cr2(void) { u32 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static u32 read_cr0(void) { u32 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static void write_cr0(u32 v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v)); }
static void write_cr3(u32 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static void write_cr4(u32 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }
static void invlpg(u32 a) { __asm__ volatile("invlpg (%0)" ::"r"(a) : "memory"); }

/* Saved kernel context while ring-3 code runs. */
u32 kernel_esp;
void leave_user(void);

void trap(struct frame *f)
{
    seen_vector = f->vector;
    seen_error = f->error;
    seen_cs = f->cs;
    seen_cr2 = f->vector == 14 ? read_cr2() : 0;
    seen_count++;
    if (f->vector == 0x80) {
        /* A system call: EAX 1 prints EBX, EAX 2 returns to the kernel. */
        if (f->eax == 1) {
            puts("syscall from cpl ");
            put_dec(f->cs & 3);
            puts(" ebx ");
            put_hex(f->ebx);
            puts(" eflags ");
            put_hex(f->eflags & 0x3202);
            putc('\n');
            f->eax = 0x600d;
            return;
        }
        if (f->eax == 2)
            leave_user();
    }
    if (f->vector == 3) {
        /* INT3 is a trap: EIP is already past it. */
        return;
    }
    if ((f->cs & 3) == 3) {
        /* A fault in ring 3: report it and go back to the kernel. */
        puts("user fault ");
        put_dec(f->vector);
        puts(" error ");
        put_hex(f->error);
        puts(" cr2 ");
        put_hex(seen_cr2);
        putc('\n');
        leave_user();
    }
    f->eip = resume;
}

static void report(const char *what)
{
    puts(what);
    puts(": vector ");
    put_dec(seen_vector);
    puts(" error ");
    put_hex(seen_error);
    puts(" cr2 ");
    put_hex(seen_cr2);
    putc('\n');
    seen_vector = seen_error = seen_cr2 = 0xffffffff;
}

static void exceptions(void)
{
    volatile u32 zero = 0, x = 7;
    EXPECT_FAULT("divl %[z]", [r] "=m"(resume) : [z] "m"(zero), "a"(x), "d"(0));
    report("divide by zero");
    EXPECT_FAULT("ud2", [r] "=m"(resume));
    report("ud2");
    EXPECT_FAULT("mov %w[s], %%ds", [r] "=m"(resume) : [s] "r"(0x1234));
    report("bad selector");
    EXPECT_FAULT("mov %w[s], %%ss", [r] "=m"(resume) : [s] "r"(0x0));
    report("null ss");
    EXPECT_FAULT("mov %w[s], %%ds", [r] "=m"(resume) : [s] "r"(0x8003));
    report("beyond the gdt");
    EXPECT_FAULT("mov %w[s], %%ss", [r] "=m"(resume) : [s] "r"(0x18));
    report("code into ss");
    EXPECT_FAULT("ljmp $0x10, $0", [r] "=m"(resume));
    report("jump to a data segment");
    EXPECT_FAULT("int $0x80", [r] "=m"(resume) : "a"(1), "b"(0x1234));
    report("int 0x80");
    seen_count = 0;
    __asm__ volatile("int3");
    report("int3");
    /* A null selector in DS is fine until used. */
    u32 v;
    EXPECT_FAULT("mov %w[s], %%ds\n\tmov $0x10, %%eax\n\tmov %%ax, %%ds", [r] "=m"(resume) : [s] "r"(0) : "eax");
    __asm__ volatile("mov %%ds, %0" : "=r"(v));
    puts("ds ");
    put_hex(v);
    putc('\n');
    /* INTO with OF set. */
    EXPECT_FAULT("movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto", [r] "=m"(resume) : : "eax", "cc");
    report("into");
}

/* Page tables: a directory of 4 MiB pages mapping the first 16 MiB
 * (user accessible) and one 4 KiB table for 0x40000000-0x403fffff. */
static u32 pgdir[1024] __attribute__((aligned(4096)));
static u32 pgtab[1024] __attribute__((aligned(4096)));
static u8 frames[4][4096] __attribute__((aligned(4096)));

#define P 1
#define RW 2
#define US 4
#define A 0x20
#define D 0x40
#define PS 0x80
#define G 0x100

static void paging(void)
{
    for (u32 i = 0; i < 4; i++)
        pgdir[i] = (i << 22) | P | RW | US | PS;
    pgdir[0x100] = (u32)pgtab | P | RW | US;
    pgtab[0] = (u32)frames[0] | P | RW;       /* supervisor read/write */
    pgtab[1] = (u32)frames[1] | P | US;       /* user read-only */
    pgtab[2] = (u32)frames[2] | P | RW | US;  /* user read/write */
    pgtab[3] = 0;                             /* not present */
    pgtab[4] = (u32)frames[3] | P | RW | G;   /* global */
    write_cr4(0x10 | 0x80); /* PSE, PGE */
    write_cr3((u32)pgdir);
    write_cr0(read_cr0() | 0x80000000u);
    puts("paging on\n");

    volatile u32 *page = (u32 *)0x40000000;
    page[0] = 0x11111111;
    puts("pte0 ");
    put_hex(pgtab[0] & (A | D));
    putc('\n');
    u32 r = page[1024 * 2];
    (void)r;
    puts("pte2 after read ");
    put_hex(pgtab[2] & (A | D));
    putc('\n');
    frames[1][0] = 0x5a;
    u32 v;
    EXPECT_FAULT("movl 0x40003000, %[v]", [r] "=m"(resume), [v] "=r"(v));
    report("not present read");
    EXPECT_FAULT("movl $1, 0x40003004", [r] "=m"(resume));
    report("not present write");
    EXPECT_FAULT("movl $1, 0x50000000", [r] "=m"(resume));
    report("no page table");
    /* Read-only, supervisor, WP clear: the write goes through. */
    *(volatile u32 *)0x40001000 = 0x22;
    puts("wp off write ");
    put_hex(frames[1][0]);
    putc('\n');
    write_cr0(read_cr0() | 0x10000);
    EXPECT_FAULT("movl $0x33, 0x40001000", [r] "=m"(resume));
    report("wp on write");
    /* Map page 3 and retry: INVLPG. */
    pgtab[3] = (u32)frames[2] | P | RW;
    invlpg(0x40003000);
    puts("remapped ");
    put_hex(*(volatile u32 *)0x40003000 == *(volatile u32 *)0x40002000);
    putc('\n');
    /* A global page changed without INVLPG: after a CR3 load the TLB
     * may or may not still hold the old mapping (Lockstep keeps global
     * entries, QEMU drops them; both are allowed), so only the value
     * after INVLPG is printed. */
    *(volatile u32 *)0x40004000 = 0x44;
    pgtab[4] = (u32)frames[0] | P | RW | G;
    write_cr3((u32)pgdir);
    invlpg(0x40004000);
    puts("global after invlpg ");
    put_hex(*(volatile u32 *)0x40004000);
    putc('\n');
}

/* Ring 3: enter with IRET, come back through INT 0x80 or a fault. */
__asm__(
    ".globl enter_user\n"
    "enter_user:\n"          /* enter_user(fn, stack) */
    "  push %ebp; push %ebx; push %esi; push %edi\n"
    "  mov %esp, kernel_esp\n"
    "  mov 20(%esp), %eax\n"  /* fn */
    "  mov 24(%esp), %ecx\n"  /* user stack */
    "  mov $0x23, %dx\n"
    "  mov %dx, %ds\n"
    "  mov %dx, %es\n"
    "  push $0x23\n"           /* ss */
    "  push %ecx\n"            /* esp */
    "  push $0x3002\n"         /* eflags: IOPL 3 */
    "  push $0x1b\n"           /* cs */
    "  push %eax\n"            /* eip */
    "  iret\n"
    ".globl leave_user\n"
    "leave_user:\n"
    "  mov $0x10, %ax\n"
    "  mov %ax, %ds\n"
    "  mov %ax, %es\n"
    "  mov kernel_esp, %esp\n"
    "  pop %edi; pop %esi; pop %ebx; pop %ebp\n"
    "  ret\n");
void enter_user(void (*fn)(void), u32 stack);

static u8 user_stack[4096] __attribute__((aligned(16)));

static void user_syscalls(void)
{
    u32 r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(1), "b"(0xcafe));
    __asm__ volatile("int $0x80" ::"a"(1), "b"(r));
    /* IOPL 3: port I/O is allowed here. */
    outb(0x80, 0);
    __asm__ volatile("int $0x80" ::"a"(2));
}

static void user_reads_supervisor_page(void)
{
    (void)*(volatile u32 *)0x40000000;
}

static void user_writes_read_only_page(void)
{
    *(volatile u32 *)0x40001000 = 1;
}

static void user_hlt(void)
{
    __asm__ volatile("hlt");
}

static void user_int_no_dpl(void)
{
    __asm__ volatile("int $0x81");
}

static void user_lgdt(void)
{
    static u8 d[6];
    __asm__ volatile("lgdt %0" ::"m"(d));
}

static void user_mode(void)
{
    u32 top = (u32)user_stack + sizeof(user_stack);
    enter_user(user_syscalls, top);
    puts("back in the kernel\n");
    enter_user(user_reads_supervisor_page, top);
    enter_user(user_writes_read_only_page, top);
    enter_user(user_hlt, top);
    enter_user(user_int_no_dpl, top);
    enter_user(user_lgdt, top);
    puts("user faults done\n");
}

int main(void)
{
    exceptions();
    paging();
    user_mode();
    puts("system done\n");
    return 0;
}
