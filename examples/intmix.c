/* Benchmark workload: a Dhrystone-like integer mix — string copies and
   compares, struct assignment, a linked list, switch dispatch, function
   pointers, 64-bit arithmetic, multiplication and division. */
#include "guest.h"

#define LOOPS 3000000

typedef struct Record {
    struct Record *next;
    int kind;
    int value;
    char name[24];
} Record;

static Record pool[64];

static void str_copy(char *d, const char *s) {
    while ((*d++ = *s++)) {
    }
}

static int str_cmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (u8)*a - (u8)*b;
}

static int op_add(int a, int b) { return a + b; }
static int op_mul(int a, int b) { return a * b + 1; }
static int op_div(int a, int b) { return b ? a / b : a; }
static int op_mix(int a, int b) { return (a ^ (b << 3)) - (b >> 2); }

static int (*const ops[4])(int, int) = {op_add, op_mul, op_div, op_mix};

static int classify(int v) {
    switch (v & 7) {
    case 0: return v >> 1;
    case 1: return v * 3;
    case 2: return -v;
    case 3: return v | 0x100;
    case 4: return v & 0xff;
    case 5: return v / 7;
    case 6: return v % 13;
    default: return v + 42;
    }
}

int main(void) {
    static const char *names[4] = {"DHRYSTONE PROGRAM, SOME STRING", "DHRYSTONE PROGRAM, 2'ND STRING",
                                   "LOCKSTEP EMULATOR, THIRD STRING", "LOCKSTEP EMULATOR, 4TH STRING"};
    for (int i = 0; i < 64; i++) {
        pool[i].next = &pool[(i * 7 + 3) % 64];
        pool[i].kind = i & 3;
        pool[i].value = i * 17;
        str_copy(pool[i].name, names[i & 3] + (i & 7));
    }
    u32 acc = 1;
    u64 wide = 0x123456789abcdefULL;
    Record *r = &pool[0];
    for (int loop = 0; loop < LOOPS; loop++) {
        Record tmp = *r;
        tmp.value = ops[tmp.kind](tmp.value, loop | 1);
        tmp.value = classify(tmp.value + (int)acc);
        char name[24];
        str_copy(name, tmp.name);
        if (str_cmp(name, r->next->name) < 0) acc += 3;
        else acc ^= (u32)tmp.value;
        wide = wide * 6364136223846793005ULL + (u64)acc;
        acc += (u32)(wide >> 40);
        r->value = tmp.value;
        r = r->next;
    }
    uart_puts("intmix ");
    put_hex(acc);
    uart_putc(' ');
    put_hex((u32)wide);
    uart_putc('\n');
    return 0;
}
