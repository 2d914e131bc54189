@ Exceptions taken to Thumb handlers (SCTLR.TE = 1) from Thumb code: an
@ SVC, 16- and 32-bit undefined instructions (LR is the instruction's
@ address + 2 for both), a semihosting call by HLT 0x3C, and an alignment
@ fault in the middle of an IT block, whose handler returns into the
@ block: the SPSR's IT bits must put the rest of the block back under its
@ conditions. Every handler prints what it saw.
    .syntax unified
    .thumb
    .text
    .global main

    .balign 32
vectors:
    b.w     .                   @ reset
    b.w     und_handler
    b.w     svc_handler
    b.w     .                   @ prefetch abort
    b.w     dabt_handler
    b.w     .
    b.w     .                   @ irq
    b.w     .                   @ fiq

    .thumb_func
main:
    push    {r4-r11, lr}
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    cps     #0x17
    ldr     sp, =abt_stack_top
    cps     #0x1b
    ldr     sp, =und_stack_top
    cps     #0x13
    mrc     p15, 0, r0, c1, c0, 0
    orr     r0, r0, #0x40000000         @ SCTLR.TE: take exceptions in Thumb
    mcr     p15, 0, r0, c1, c0, 0
    isb
    mrs     r0, cpsr
    bl      print_word

    @ SVC: LR_svc is the next instruction; the handler adds 1 to r0.
    movs    r0, #1
    svc     #5
    bl      print_word

    @ Undefined instructions, 16- and 32-bit.
    udf     #7
    udf.w   #0x1234

    @ Semihosting from Thumb state: HLT 0x3C, SYS_WRITE0.
    movs    r0, #4
    ldr     r1, =message
    .inst.n 0xbabc                      @ hlt 0x3c

    @ An alignment fault inside an IT block (LDRD needs word alignment).
    ldr     r1, =data
    adds    r1, #2
    movs    r2, #0
    movs    r3, #0
    movs    r4, #0
    cmp     r2, #0                      @ Z set
    itete   eq
    moveq   r4, #0x11
    movne   r4, #0x22
    ldrdeq  r2, r3, [r1]                @ faults; the handler aligns r1
    addne.w r4, r4, #0x100
    mov     r0, r4
    bl      print_word
    mov     r0, r2
    bl      print_word
    mov     r0, r3
    bl      print_word
    @ The same block with Z clear: the other half runs.
    cmp     r4, #0
    itete   eq
    moveq   r4, #0x11
    movne   r4, #0x22
    ldrdeq  r2, r3, [r1]
    addne.w r4, r4, #0x100
    mov     r0, r4
    bl      print_word
    movs    r0, #0
    pop     {r4-r11, pc}

@ Prints r0 in hex and a newline; preserves r0-r3 and r12.
    .thumb_func
print_word:
    push    {r0-r3, r12, lr}
    bl      put_hex
    movs    r0, #'\n'
    bl      uart_putc
    pop     {r0-r3, r12, pc}

    .thumb_func
svc_handler:
    push    {r0-r3, r12, lr}
    mov     r0, lr
    bl      print_word
    mrs     r0, spsr
    bl      print_word
    ldr     r1, [sp, #20]
    ldrh    r0, [r1, #-2]               @ the SVC instruction
    bl      print_word
    pop     {r0-r3, r12, lr}
    adds    r0, #1
    movs    pc, lr

    .thumb_func
und_handler:
    push    {r0-r3, r12, lr}
    mov     r0, lr
    bl      print_word
    mrs     r0, spsr
    bl      print_word
    ldr     r1, [sp, #20]
    ldrh    r0, [r1, #-2]               @ the instruction's first halfword
    bl      print_word
    cmp     r0, #0xe800
    blo     1f
    adds    r1, #2                      @ a 32-bit one: skip its second half
    str     r1, [sp, #20]
1:  pop     {r0-r3, r12, lr}
    movs    pc, lr

    .thumb_func
dabt_handler:
    push    {r0-r3, r12, lr}
    mov     r0, lr
    bl      print_word
    mrs     r0, spsr
    bl      print_word
    mrc     p15, 0, r0, c5, c0, 0       @ DFSR
    bl      print_word
    mrc     p15, 0, r0, c6, c0, 0       @ DFAR
    bl      print_word
    pop     {r0-r3, r12, lr}
    bic     r1, r1, #3
    subs    pc, lr, #8

    .ltorg
    .data
    .balign 8
data:
    .word   0x12345678, 0x9abcdef0
message:
    .asciz  "semihosting from Thumb\n"
    .bss
    .balign 8
    .space  512
abt_stack_top:
    .space  512
und_stack_top:

    .section .note.GNU-stack,"",%progbits
