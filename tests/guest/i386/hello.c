/* The first i386 program: prints, computes, exits with status 0 (the
 * exit status the runner sees is 1: isa-debug-exit's 2 * 0 + 1). */
#include "guest.h"

static u32 fib(u32 n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void)
{
    puts("hello from i386\n");
    puts("fib(20) = ");
    put_dec(fib(20));
    putc('\n');
    volatile i32 a = -123456789, b = 1000;
    puts("div ");
    put_dec(a / b);
    puts(" mod ");
    put_dec(a % b);
    putc('\n');
    return 0;
}
