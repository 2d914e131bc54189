/* Console and exit for bare-metal i386 test programs. */
#include "guest.h"

void putc(char c)
{
    if (c == '\n')
        putc('\r');
    while (!(inb(0x3f8 + 5) & 0x20))
        ;
    outb(0x3f8, c);
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

void put_hex(u32 v)
{
    for (int i = 28; i >= 0; i -= 4)
        putc("0123456789abcdef"[(v >> i) & 15]);
}

void put_dec(i32 v)
{
    char buf[12];
    int n = 0;
    u32 u = v < 0 ? -(u32)v : (u32)v;
    if (v < 0)
        putc('-');
    do {
        buf[n++] = '0' + u % 10;
        u /= 10;
    } while (u);
    while (n)
        putc(buf[--n]);
}

void exit(int status)
{
    outb(0xf4, status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((weak)) void trap(struct frame *f)
{
    puts("unexpected vector ");
    put_dec(f->vector);
    puts(" at ");
    put_hex(f->eip);
    puts(" error ");
    put_hex(f->error);
    putc('\n');
    exit(1);
}
