/* Benchmark workload: sieve of Eratosthenes over 2,000,000 numbers, a few
   times, counting primes. */
#include "guest.h"

#define N 2000000
#define ROUNDS 10

static u8 composite[N + 1];

static u32 sieve(void) {
    u32 count = 0;
    for (u32 i = 0; i <= N; i++) composite[i] = 0;
    for (u32 i = 2; i <= N; i++) {
        if (composite[i]) continue;
        count++;
        for (u32 j = i * 2; j <= N; j += i) composite[j] = 1;
    }
    return count;
}

int main(void) {
    u32 total = 0;
    for (int r = 0; r < ROUNDS; r++) total += sieve();
    uart_puts("primes ");
    put_dec((i32)(total / ROUNDS));
    uart_putc('\n');
    return 0;
}
