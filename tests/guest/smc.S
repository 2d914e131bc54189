@ Self-modifying code: a loop rewrites an instruction of its own block and
@ of another block, and must see the new instruction the next time round.
    .syntax unified
    .arm
    .text
    .global main
main:
    push    {r4-r7, lr}
    mov     r4, #0              @ accumulator
    mov     r5, #0              @ iteration
    ldr     r6, =patch_here
    ldr     r7, =other_block
1:
patch_here:
    add     r4, r4, #1          @ rewritten to "add r4, r4, #16" on pass 1
    @ Rewrite the instruction above (same block, already executed).
    ldr     r0, =0xe2844010     @ add r4, r4, #16
    cmp     r5, #1
    streq   r0, [r6]
    bl      other_block
    add     r5, r5, #1
    cmp     r5, #4
    blo     1b
    mov     r0, r4
    bl      put_hex
    mov     r0, #'\n'
    bl      uart_putc
    @ Rewrite a later instruction of the running block. The architecture
    @ asks for a barrier before the new instruction is fetched; Lockstep
    @ would see it without one, QEMU only with one.
    ldr     r0, =0xe3a00042     @ mov r0, #0x42
    ldr     r1, =later
    str     r0, [r1]
    dsb
    isb
later:
    mov     r0, #0x17
    bl      put_hex
    mov     r0, #'\n'
    bl      uart_putc
    mov     r0, #0
    pop     {r4-r7, pc}

other_block:
    add     r4, r4, #0x100      @ rewritten to "add r4, r4, #0x1000" on pass 2
    ldr     r0, =0xe2844a01     @ add r4, r4, #0x1000
    cmp     r5, #2
    streq   r0, [r7]
    bx      lr
    .ltorg
    .section .note.GNU-stack,"",%progbits
