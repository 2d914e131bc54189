@ Entry for C guest programs: clear .bss, set up a stack, call main and
@ exit through semihosting with main's return value.
    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    ldr     sp, =__stack_top
    bl      main
    bl      guest_exit
2:  b       2b

    .section .note.GNU-stack,"",%progbits
