@ Harness for the UNDEFINED-encoding sweep (tests/undef_sweep.rs).
@
@ The test patches a table at 0x40200000: a count, the instruction set
@ (0 for A32, 1 for T32), then that many encodings, each one word as it
@ lies in memory (a T32 encoding's first halfword in bits 15:0). Each is
@ copied into a trampoline of its instruction set, on a page of its own,
@ and executed in SVC mode with VFP and Advanced SIMD enabled and r0-r14
@ pointing into the scratch area at 0x40300000. The harness prints one
@ character per encoding, 64 to a line: D (it executed), U (undefined
@ instruction exception), A (data abort), P (prefetch abort) or S
@ (supervisor call). Whatever the instruction did, the harness goes on
@ in A32 and SVC mode with the FPSCR, FPEXC and its own registers reset.
    .syntax unified
    .arm
    .fpu neon-vfpv4
    .text
    .global _start
_start:
    ldr     sp, =__stack_top
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    cps     #0x1b                       @ Undefined mode
    ldr     sp, =exc_stack_top
    cps     #0x17                       @ Abort mode
    ldr     sp, =exc_stack_top
    cps     #0x13                       @ SVC mode
    mrc     p15, 0, r0, c1, c0, 2       @ CPACR: CP10, CP11 full access
    orr     r0, r0, #0x00f00000
    mcr     p15, 0, r0, c1, c0, 2
    isb
    ldr     r4, =0x40200000
    ldr     r5, [r4], #4                @ the count
    ldr     r0, [r4], #4                @ the instruction set
    ldr     r1, =tramp_a32
    cmp     r0, #0
    ldrne   r1, =tramp_t32 + 1          @ bit 0: Thumb
    ldr     r0, =target
    str     r1, [r0]
    mov     r6, #0                      @ the column
next:
    cmp     r5, #0
    beq     done
    ldr     r0, [r4], #4
    ldr     r1, target
    bic     r1, r1, #1
    str     r0, [r1]
    dsb
    mcr     p15, 0, r0, c7, c5, 0       @ ICIALLU
    isb
    ldr     r1, =flag
    mov     r0, #'D'
    str     r0, [r1]
    mov     r0, #0x40000000
    vmsr    fpexc, r0
    mov     r0, #0
    vmsr    fpscr, r0
    ldr     r0, =saved
    stm     r0, {r4-r6}
    ldr     r0, =0x40300800
    mov     r1, r0
    mov     r2, r0
    mov     r3, r0
    mov     r4, r0
    mov     r5, r0
    mov     r6, r0
    mov     r7, r0
    mov     r8, r0
    mov     r9, r0
    mov     r10, r0
    mov     r11, r0
    mov     r12, r0
    mov     sp, r0
    mov     lr, r0
    ldr     pc, target                  @ interworking: A32 or T32
after:
    ldr     sp, =__stack_top
    ldr     r0, =saved
    ldm     r0, {r4-r6}
    ldr     r0, flag
    bl      putc
    add     r6, r6, #1
    cmp     r6, #64
    bne     1f
    mov     r0, #'\n'
    bl      putc
    mov     r6, #0
1:  sub     r5, r5, #1
    b       next
done:
    mov     r0, #'\n'
    bl      putc
    ldr     r1, =exit_block
    mov     r0, #0x20
    svc     0x123456                    @ semihosting SYS_EXIT
2:  b       2b

@ r0: a character for the PL011 (its FIFO never fills on either machine).
putc:
    ldr     r1, =0x09000000
    str     r0, [r1]
    bx      lr

@ Every exception but reset, IRQ and FIQ notes its letter and goes on
@ at `after` in SVC mode (the instruction's length does not matter, nor
@ whether it was A32 or T32).
    .balign 32
vectors:
    b       .                           @ reset
    b       und_entry
    b       svc_entry
    b       pabt_entry
    b       dabt_entry
    b       .
    b       .                           @ IRQ
    b       .                           @ FIQ
und_entry:
    mov     r0, #'U'
    b       resume
svc_entry:
    mov     r0, #'S'
    b       resume
pabt_entry:
    mov     r0, #'P'
    b       resume
dabt_entry:
    mov     r0, #'A'
resume:
    ldr     r1, =flag
    str     r0, [r1]
    cps     #0x13
    b       after

flag:
    .word   0
target:
    .word   0
    .ltorg
    .balign 4
exit_block:
    .word   0x20026                     @ ADP_Stopped_ApplicationExit
    .word   0

@ The trampolines, alone on their page so rewriting them invalidates
@ nothing else. A T32 encoding of 16 bits is followed by a NOP in its
@ word.
    .balign 4096
tramp_a32:
    .word   0
    b       after
    .thumb
    .balign 4
tramp_t32:
    .word   0
    ldr.w   pc, =after
    .ltorg
    .arm
    .balign 4096

    .data
saved:
    .word   0, 0, 0
    .bss
    .balign 8
    .space  256
exc_stack_top:

@ The table the test patches in (a count of 0: nothing to do), the
@ scratch area and (unused) the state records of the shared layout.
    .section .random_code, "aw", %progbits
    .word   0
    .space  0x3fffc
    .section .scratch, "aw", %progbits
    .space  0x10000
    .section .states, "aw", %progbits
    .space  0x40000
    .section .note.GNU-stack,"",%progbits
