/* Reads the UART by polling and answers each line: the line upper-cased,
 * its length and a running checksum of everything received. 'q' ends the
 * program with the number of lines as its exit status. Input arrives
 * whenever the host sends it, so a recording logs it and a replay must
 * deliver it at the same instructions for the output to match. */
#include "guest.h"

#define UART_DR (*(volatile u32 *)0x09000000)
#define UART_FR (*(volatile u32 *)0x09000018)
#define FR_RXFE (1 << 4)

static int getc_poll(u32 *spins) {
    while (UART_FR & FR_RXFE) ++*spins;
    return (int)(UART_DR & 0xff);
}

int main(void) {
    u32 sum = 0, lines = 0, len = 0, spins = 0;
    char line[80];
    uart_puts("echo ready\n");
    for (;;) {
        int c = getc_poll(&spins);
        sum = sum * 31 + (u32)c;
        if (c == 'q') break;
        if (c == '\n' || c == '\r') {
            line[len] = 0;
            uart_puts(line);
            uart_puts(" len=");
            put_dec((i32)len);
            uart_puts(" sum=");
            put_hex(sum);
            uart_putc('\n');
            lines++;
            len = 0;
            continue;
        }
        if (c >= 'a' && c <= 'z') c -= 32;
        if (len < sizeof line - 1) line[len++] = (char)c;
    }
    /* How long the guest waited depends on when input came: the count
     * differs between recordings, never between a recording and its
     * replay. */
    uart_puts("waited ");
    put_hex(spins);
    uart_puts(" polls\n");
    return (int)lines;
}
