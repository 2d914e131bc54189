/* The i386 random-instruction harness. The test writes generated code
 * at RAND_CODE: a count of segments, then each segment's entry offset;
 * every segment is a function that saves the harness's registers, loads
 * its state record, runs its random instructions, stores the registers
 * and flags into its record's output half and returns. The harness
 * prints one line per segment: the seven registers (not ESP), the
 * arithmetic flags and DF, and a checksum of scratch memory. */
#include "guest.h"

#define RAND_CODE 0x200000
#define RAND_STATES 0x280000
#define RAND_SCRATCH 0x2c0000
#define SCRATCH_SIZE 0x10000

__attribute__((section(".randcode"), used)) static u8 code[0x80000];
__attribute__((section(".randstates"), used)) static u8 states[0x40000];
__attribute__((section(".randscratch"), used)) static u8 scratch[SCRATCH_SIZE];

int main(void)
{
    const u32 *table = (const u32 *)RAND_CODE;
    u32 n = table[0];
    for (u32 i = 0; i < n; i++) {
        void (*seg)(void) = (void (*)(void))(RAND_CODE + table[1 + i]);
        seg();
        const u32 *out = (const u32 *)(RAND_STATES + 64 * i + 32);
        for (int r = 0; r < 8; r++) {
            if (r == 4)
                continue;
            put_hex(out[r]);
            putc(' ');
        }
        put_hex(out[4] & 0xcd5);
        u32 h = 2166136261u;
        const u32 *s = (const u32 *)RAND_SCRATCH;
        for (u32 k = 0; k < SCRATCH_SIZE / 4; k++)
            h = (h ^ s[k]) * 16777619u;
        putc(' ');
        put_hex(h);
        putc('\n');
    }
    return 0;
}
