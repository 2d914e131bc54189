@ Entry for C guest programs: clear .bss, set up a stack, enable the
@ floating-point unit, call main and exit through semihosting with main's
@ return value.
    .syntax unified
    .arm
    .fpu vfpv3
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
    @ Enable VFP and Advanced SIMD: CP10 and CP11 full access in CPACR,
    @ then FPEXC.EN (programs built for the FPU need it; the others do
    @ not notice).
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #0x00f00000
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #0x40000000
    vmsr    fpexc, r0
    bl      main
    bl      guest_exit
2:  b       2b

    .section .note.GNU-stack,"",%progbits
