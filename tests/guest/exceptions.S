@ Exceptions on the bare machine: a vector table at VBAR, then SVC from
@ SVC and User mode, an undefined instruction (including a privileged
@ CP15 access from User mode), BKPT (a prefetch abort), and an alignment
@ fault (a data abort). Each handler prints what it saw — the exception,
@ the return address, SPSR, fault registers — and returns with an
@ exception-return instruction.
    .syntax unified
    .arm
    .text
    .global main

    .balign 32
vectors:
    b       .                   @ reset
    b       und_handler
    b       svc_handler
    b       pabt_handler
    b       dabt_handler
    b       .
    b       .                   @ irq
    b       .                   @ fiq

main:
    push    {r4-r11, lr}
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    mrc     p15, 0, r1, c12, c0, 0
    cmp     r0, r1
    bne     fail
    mrc     p15, 0, r0, c0, c0, 0       @ MIDR
    bl      print_word
    @ Stacks for the exception modes.
    cps     #0x17                       @ abort
    ldr     sp, =abt_stack_top
    cps     #0x1b                       @ undefined
    ldr     sp, =und_stack_top
    cps     #0x13                       @ back to supervisor
    mrs     r0, cpsr
    bl      print_word

    @ SVC from SVC mode: LR_svc is the next instruction.
    svc     #0x42
    @ An undefined instruction.
    udf     #0x1234
    @ BKPT: a prefetch abort with a debug-event IFSR.
    bkpt    #0x77
    @ A misaligned LDREX: an alignment fault.
    ldr     r1, =misaligned
    add     r1, r1, #2
    ldrex   r0, [r1]
    @ Flags survive an exception round trip through SPSR.
    mov     r0, #0
    cmp     r0, #1                      @ N set, C clear
    svc     #0x43
    mrs     r0, cpsr
    bl      print_word

    @ User mode: SVC, then a privileged access (UNDEF), then SVC #1,
    @ whose handler returns to SVC mode.
    mov     r4, sp
    cps     #0x10
    ldr     sp, =usr_stack_top
    mrs     r0, cpsr
    bl      print_word
    svc     #0x10
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR write: UNDEF in User mode
    mrc     p15, 0, r0, c13, c0, 2      @ TPIDRURW: allowed
    svc     #1
    mov     sp, r4
    mrs     r0, cpsr
    bl      print_word
    mov     r0, #0
    pop     {r4-r11, pc}

fail:
    mov     r0, #1
    bl      guest_exit

@ Prints r0 in hex and a newline; preserves r0-r3 and r12.
print_word:
    push    {r0-r3, r12, lr}
    bl      put_hex
    mov     r0, #'\n'
    bl      uart_putc
    pop     {r0-r3, r12, pc}

@ Prints the letter in r0, then LR (as given in r1), SPSR and r2.
report:
    push    {r4-r6, lr}
    mov     r4, r1
    mov     r5, r2
    bl      uart_putc
    mov     r0, #' '
    bl      uart_putc
    mov     r0, r4
    bl      put_hex
    mov     r0, #' '
    bl      uart_putc
    mrs     r0, spsr
    bl      put_hex
    mov     r0, #' '
    bl      uart_putc
    mov     r0, r5
    bl      put_hex
    mov     r0, #'\n'
    bl      uart_putc
    pop     {r4-r6, pc}

svc_handler:
    push    {r0-r3, r12, lr}
    ldr     r2, [lr, #-4]
    bic     r2, r2, #0xff000000         @ the SVC immediate
    mov     r0, #'S'
    mov     r1, lr
    bl      report
    ldr     r2, [sp, #20]
    ldr     r2, [r2, #-4]
    bic     r2, r2, #0xff000000
    cmp     r2, #1
    mrseq   r3, spsr                    @ SVC #1: return in SVC mode
    biceq   r3, r3, #0x1f
    orreq   r3, r3, #0x13
    msreq   spsr_cxsf, r3
    pop     {r0-r3, r12, lr}
    movs    pc, lr

und_handler:
    push    {r0-r3, r12, lr}
    ldr     r2, [lr, #-4]               @ the undefined instruction
    mov     r0, #'U'
    mov     r1, lr
    bl      report
    pop     {r0-r3, r12, lr}
    movs    pc, lr

pabt_handler:
    push    {r0-r3, r12, lr}
    mrc     p15, 0, r2, c5, c0, 1       @ IFSR
    mov     r0, #'P'
    mov     r1, lr
    bl      report
    pop     {r0-r3, r12, lr}
    movs    pc, lr                      @ BKPT: continue after it

dabt_handler:
    push    {r0-r3, r12, lr}
    mrc     p15, 0, r2, c5, c0, 0       @ DFSR
    mov     r0, #'D'
    mov     r1, lr
    bl      report
    mrc     p15, 0, r0, c6, c0, 0       @ DFAR
    bl      print_word
    pop     {r0-r3, r12, lr}
    subs    pc, lr, #4                  @ skip the faulting instruction

    .ltorg
    .data
    .balign 8
misaligned: .word 0, 0
    .bss
    .balign 8
    .space 512
abt_stack_top:
    .space 512
und_stack_top:
    .space 512
usr_stack_top:
    .section .note.GNU-stack,"",%progbits
