/* Benchmark workload: bitwise CRC-32 (IEEE) over a 64 KiB buffer, repeated.
   Prints the checksum of each pass's result. */
#include "guest.h"

#define SIZE 65536
#define PASSES 160

static u8 buf[SIZE];

static u32 crc32(const u8 *p, u32 n, u32 crc) {
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

int main(void) {
    u32 x = 12345;
    for (u32 i = 0; i < SIZE; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (u8)(x >> 16);
    }
    u32 crc = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        crc = crc32(buf, SIZE, crc);
        buf[pass] ^= (u8)crc;
    }
    uart_puts("crc32 ");
    put_hex(crc);
    uart_putc('\n');
    return 0;
}
