/* The small runtime every C guest program links against. */
#ifndef GUEST_H
#define GUEST_H
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned char u8;
typedef unsigned short u16;

void uart_putc(char c);
void uart_puts(const char *s);
void put_hex(u32 v);
void put_dec(i32 v);
void semi_write0(const char *s);
void guest_exit(int code) __attribute__((noreturn));
#endif
