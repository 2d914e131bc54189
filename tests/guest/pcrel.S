@ PC-relative behaviour: reads of the PC as an operand give the
@ instruction's address + 8; stores of the PC; loads and writes of the PC,
@ with and without interworking; conditional and linked branches.
    .syntax unified
    .arm
    .text
    .global main
main:
    push    {r4-r8, lr}
    ldr     r8, =results
here:
    mov     r0, pc              @ here + 8
    ldr     r1, =here
    sub     r0, r0, r1
    str     r0, [r8], #4
    add     r0, pc, #4          @ (here2 + 8) + 4
here2:
    ldr     r1, =here2
    sub     r0, r0, r1
    str     r0, [r8], #4
    ldr     r0, [pc, #-4]       @ loads its own encoding
    str     r0, [r8], #4
store_pc:
    str     pc, [r8], #4        @ address of this store + 8
    ldr     r0, [r8, #-4]
    ldr     r1, =store_pc
    sub     r0, r0, r1
    str     r0, [r8], #4
    @ LDR pc from a table.
    adr     r0, table
    mov     r1, #1
    ldr     pc, [r0, r1, lsl #2]
    b       fail
table:
    .word   fail, target1, fail
target1:
    mov     r0, #0x11
    str     r0, [r8], #4
    @ Data processing that writes the PC.
    adr     r0, target2
    mov     pc, r0
    b       fail
target2:
    mov     r0, #0x22
    str     r0, [r8], #4
    @ BL and return through POP {pc}.
    bl      leaf
    str     r0, [r8], #4
    @ Conditional branches.
    mov     r0, #0
    cmp     r0, #1
    blt     1f
    b       fail
1:  bgt     fail
    movle   r0, #0x33
    str     r0, [r8], #4
    @ BLX to a register and BX LR.
    adr     r4, leaf2
    blx     r4
    str     r0, [r8], #4
    @ ADD PC, PC, Rn: a jump table.
    mov     r1, #2
    add     pc, pc, r1, lsl #2
    b       fail
    b       fail
    b       fail
    mov     r0, #0x55
    str     r0, [r8], #4
    @ Print everything.
    ldr     r4, =results
2:  cmp     r4, r8
    bhs     3f
    ldr     r0, [r4], #4
    bl      put_hex
    mov     r0, #'\n'
    bl      uart_putc
    b       2b
3:  mov     r0, #0
    pop     {r4-r8, pc}
fail:
    ldr     r0, =msg_fail
    bl      uart_puts
    mov     r0, #1
    bl      guest_exit

leaf:
    push    {lr}
    mov     r0, #0x44
    pop     {pc}
leaf2:
    mov     r0, #0x66
    bx      lr

    .ltorg
    .data
msg_fail: .asciz "FAIL\n"
    .balign 4
results: .space 64
    .section .note.GNU-stack,"",%progbits
