/* Benchmark workload: single-precision 64x64 matrix multiply with
   Advanced SIMD (NEON intrinsics: four-lane loads, multiply-accumulate by
   scalar, stores), repeated, each result fed back into the next input.
   Prints a checksum of the result's bits. */
#include "guest.h"
#include <arm_neon.h>

#define N 64
#define PASSES 600

static float a[N * N], b[N * N], c[N * N];

static void matmul(void) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j += 4) {
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int k = 0; k < N; k++)
                acc = vmlaq_n_f32(acc, vld1q_f32(&b[k * N + j]), a[i * N + k]);
            vst1q_f32(&c[i * N + j], acc);
        }
    }
}

static u32 bits(float f) {
    union {
        float f;
        u32 u;
    } x = {f};
    return x.u;
}

int main(void) {
    u32 x = 12345;
    for (int i = 0; i < N * N; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (float)((i32)(x >> 8 & 0xffff) - 32768) / 32768.0f;
        x = x * 1103515245u + 12345u;
        b[i] = (float)((i32)(x >> 8 & 0xffff) - 32768) / 65536.0f;
    }
    u32 sum = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        matmul();
        /* Feed a result back, scaled so values stay bounded. */
        a[(pass * 37) % (N * N)] = c[(pass * 91) % (N * N)] * 0.125f;
        sum = (sum << 5 | sum >> 27) ^ bits(c[pass % (N * N)]);
    }
    for (int i = 0; i < N * N; i++) sum = (sum << 1 | sum >> 31) ^ bits(c[i]);
    uart_puts("matmul ");
    put_hex(sum);
    uart_putc('\n');
    return 0;
}
