/* Prints through both consoles and exits with status 3. */
#include "guest.h"

int main(void) {
    uart_puts("hello from the UART\n");
    semi_write0("hello from semihosting\n");
    put_dec(-12345);
    uart_putc(' ');
    put_hex(0xdeadbeef);
    uart_putc('\n');
    return 3;
}
