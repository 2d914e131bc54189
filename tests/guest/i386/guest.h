/* Bare-metal i386 test programs: console on COM1, exit through
 * isa-debug-exit, exceptions through trap(). */
#ifndef GUEST_I386_H
#define GUEST_I386_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;

/* What start.S pushes for every vector, lowest address first. */
struct frame {
    u32 es, ds;
    u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    u32 vector, error;
    u32 eip, cs, eflags;
    u32 esp, ss; /* only from ring 3 */
};

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

void putc(char c);
void puts(const char *s);
void put_hex(u32 v);
void put_dec(i32 v);
void exit(int status) __attribute__((noreturn));
/* Called for every vector; the default reports it and exits 1. */
void trap(struct frame *f);

#endif
