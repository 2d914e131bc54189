/* Interrupts: the 8259A pair initialised as Linux does, the 8254's
 * channel 0 as a 1 kHz rate generator on IRQ 0, HLT waiting for it, the
 * UART's transmitter-empty interrupt on IRQ 4, channel 2 through port
 * 0x61 as Linux calibrates the TSC, and the counter latch. */
#include "guest.h"

static volatile u32 ticks, uart_irqs, other;

void trap(struct frame *f)
{
    if (f->vector == 0x20) {
        ticks++;
        outb(0x20, 0x20);
        return;
    }
    if (f->vector == 0x24) {
        /* Reading IIR acknowledges the transmitter-empty interrupt. */
        if ((inb(0x3fa) & 0x0f) == 0x02)
            uart_irqs++;
        outb(0x3f9, 0); /* IER: off again */
        outb(0x20, 0x20);
        return;
    }
    other++;
    puts("unexpected vector ");
    put_dec(f->vector);
    putc('\n');
    exit(1);
}

static void pic_init(void)
{
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa1, 0x28);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static u16 read_ch0(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    u8 lo = inb(0x40);
    u8 hi = inb(0x40);
    return lo | hi << 8;
}

int main(void)
{
    pic_init();
    puts("imr ");
    put_hex(inb(0x21));
    putc('\n');
    /* Channel 0: mode 2, 1193 counts (about 1 ms). */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    u16 a = read_ch0();
    u16 b = read_ch0();
    puts("counts down ");
    puts(a <= 1193 && b <= 1193 && b <= a ? "yes" : "no");
    putc('\n');
    outb(0x21, 0xfe); /* unmask IRQ 0 */
    __asm__ volatile("sti");
    while (ticks < 10)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    puts("ticks ");
    put_dec(ticks >= 10);
    putc('\n');
    /* In service register after an unacknowledged request: none. */
    outb(0x20, 0x0b);
    puts("isr ");
    put_hex(inb(0x20));
    putc('\n');
    outb(0x20, 0x0a);

    /* The UART's THR-empty interrupt through IRQ 4. */
    outb(0x21, 0xef);
    outb(0x3f9, 0x02);
    __asm__ volatile("sti");
    for (volatile int i = 0; i < 1000 && !uart_irqs; i++)
        ;
    __asm__ volatile("cli");
    puts("uart irq ");
    put_dec(uart_irqs);
    putc('\n');

    /* Channel 2 in mode 0, gated through port 0x61: OUT rises when the
     * count runs out (Linux's pit_calibrate_tsc). */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 0xff);
    outb(0x42, 0x10);
    u32 polls = 0;
    while (!(inb(0x61) & 0x20) && polls < 100000000)
        polls++;
    puts("ch2 out ");
    put_dec((inb(0x61) & 0x20) != 0);
    puts(" polled ");
    put_dec(polls > 10);
    putc('\n');
    puts("timer done\n");
    return 0;
}
