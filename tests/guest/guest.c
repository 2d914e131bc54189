/* Console output through the PL011 and exit through semihosting. */
#include "guest.h"

#define UART_DR (*(volatile u32 *)0x09000000)
#define UART_FR (*(volatile u32 *)0x09000018)

void uart_putc(char c) {
    while (UART_FR & (1 << 5)) {
    }
    UART_DR = (u32)c;
}

void uart_puts(const char *s) {
    while (*s) uart_putc(*s++);
}

void put_hex(u32 v) {
    for (int i = 28; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

void put_dec(i32 v) {
    char buf[12];
    int n = 0;
    u32 u = v < 0 ? -(u32)v : (u32)v;
    if (v < 0) uart_putc('-');
    do {
        buf[n++] = '0' + u % 10;
        u /= 10;
    } while (u);
    while (n) uart_putc(buf[--n]);
}

static u32 semihost(u32 op, const void *arg) {
    register u32 r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
#ifdef __thumb__
    __asm__ volatile("svc 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
    __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
#endif
    return r0;
}

void semi_write0(const char *s) { semihost(0x04, s); }

void guest_exit(int code) {
    u32 block[2] = {0x20026, (u32)code};
    semihost(0x20, block);
    for (;;) {
    }
}

/* libgcc's division by zero (Linux flavour) raises SIGFPE. */
int raise(int sig) {
    uart_puts("raise ");
    put_dec(sig);
    uart_putc('\n');
    guest_exit(128 + sig);
}
