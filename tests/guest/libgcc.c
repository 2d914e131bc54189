/* Calls into libgcc (64-bit division and remainder, count leading zeros
   and population count helpers), which Debian's armhf toolchain builds
   as Thumb-2 code: from an ARM-state program every call interworks. */
#include "guest.h"

static volatile u64 seeds[4] = {
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x8000000000000001ull, 12345ull};

int main(void) {
    u64 acc = 0;
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            u64 a = seeds[i], b = seeds[j] >> (j * 7) | 1;
            acc += a / b + a % b;
            i64 sa = (i64)a, sb = (i64)b - 1000;
            acc ^= (u64)(sa / (sb | 1)) + (u64)(sa % (sb | 1));
        }
        acc += (u64)__builtin_clzll(seeds[i] | 1) + (u64)__builtin_popcountll(seeds[i]);
        acc += (u64)__builtin_ctzll(seeds[i] | 0x100000000ull);
    }
    put_hex((u32)(acc >> 32));
    put_hex((u32)acc);
    uart_putc('\n');
    return 0;
}
