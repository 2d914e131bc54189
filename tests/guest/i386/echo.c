/* Reads lines from COM1 by its receive interrupt (IRQ 4 through the
 * 8259A, HLT between them) and answers each in capitals with its length;
 * `q` ends the program. The input is what a recording logs. */
#include "guest.h"

static volatile char buf[128];
static volatile u32 head, tail;

void trap(struct frame *f)
{
    if (f->vector != 0x24) {
        puts("unexpected vector ");
        put_dec(f->vector);
        putc('\n');
        exit(1);
    }
    while (inb(0x3fd) & 1) {
        char c = inb(0x3f8);
        if (head - tail < sizeof(buf))
            buf[head++ % sizeof(buf)] = c;
    }
    outb(0x20, 0x20);
}

static char getc(void)
{
    for (;;) {
        __asm__ volatile("cli");
        if (head != tail) {
            char c = buf[tail++ % sizeof(buf)];
            __asm__ volatile("sti");
            return c;
        }
        /* STI's shadow covers HLT: no interrupt slips in between. */
        __asm__ volatile("sti; hlt");
    }
}

int main(void)
{
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0x21, 0xef); /* IRQ 4 only */
    outb(0x3fa, 0x01); /* FIFO on (keeping what arrived), trigger 1 */
    outb(0x3f9, 0x01); /* receive interrupt */
    puts("echo ready\n");
    char line[64];
    u32 n = 0;
    for (;;) {
        char c = getc();
        if (c == 'q')
            break;
        if (c == '\n' || c == '\r') {
            line[n] = 0;
            for (u32 i = 0; i < n; i++)
                putc(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 32 : line[i]);
            puts(" len=");
            put_dec(n);
            putc('\n');
            n = 0;
        } else if (n < sizeof(line) - 1) {
            line[n++] = c;
        }
    }
    puts("bye\n");
    return 0;
}
