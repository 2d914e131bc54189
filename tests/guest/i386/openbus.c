/* Physical addresses nothing answers at: reads and writes there do not
 * fault on a PC. Prints what such a read returns before and after a
 * write. */
#include "guest.h"

int main(void)
{
    volatile u32 *p = (volatile u32 *)0x30000000;
    volatile u8 *b = (volatile u8 *)0x30000001;
    puts("read ");
    put_hex(*p);
    puts(" byte ");
    put_hex(*b);
    *p = 0x12345678;
    puts(" after write ");
    put_hex(*p);
    putc('\n');
    return 0;
}
