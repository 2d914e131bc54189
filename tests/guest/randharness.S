@ Harness for the random-instruction tester (tests/random_insns.rs).
@
@ The generated code at 0x40200000 is a run of segments, each
@     bl load_state ; <random instructions> ; bl dump_state
@ and ends with a branch to harness_exit. load_state sets r0-r12 and the
@ APSR flags from the next 64-byte record at 0x40310000; dump_state prints
@ r0-r12, the APSR and a checksum of the 64 KiB scratch area at 0x40300000
@ on the UART, one line per segment. Unpatched, the harness just exits.
    .syntax unified
    .arm
    .text
    .global _start
@ Fixed entry points for the generated code.
_start:
    b       start               @ 0x40100000
    b       load_state          @ 0x40100004
    b       dump_state          @ 0x40100008
    b       harness_exit        @ 0x4010000c
start:
    ldr     sp, =__stack_top
    ldr     r0, =state_index
    mov     r1, #0
    str     r1, [r0]
    bl      random_code
harness_exit:
    ldr     r1, =exit_block
    mov     r0, #0x20
    svc     0x123456
1:  b       1b

load_state:
    ldr     r0, =state_index
    ldr     r1, [r0]
    add     r2, r1, #1
    str     r2, [r0]
    ldr     r0, =0x40310000
    add     r0, r0, r1, lsl #6
    ldr     r1, [r0, #52]
    msr     APSR_nzcvqg, r1
    ldm     r0, {r0-r12}
    bx      lr

@ Prints r0-r12, APSR and the scratch checksum as 15 hex words.
dump_state:
    push    {r0-r12, lr}
    mrs     r0, APSR
    bic     r0, r0, #0x1f       @ mode bits: not part of the comparison
    push    {r0}
    @ Checksum: rotate-xor-add over the scratch words.
    ldr     r1, =0x40300000
    add     r2, r1, #0x10000
    mov     r3, #0
2:  ldr     r4, [r1], #4
    eor     r3, r4, r3, ror #27
    add     r3, r3, r1
    cmp     r1, r2
    blo     2b
    push    {r3}
    @ Print the 15 words: r0..r12 (from sp+8), APSR (sp+4), checksum (sp).
    add     r5, sp, #8
    mov     r6, #13
3:  ldr     r0, [r5], #4
    bl      put_word
    subs    r6, r6, #1
    bne     3b
    ldr     r0, [sp, #4]
    bl      put_word
    ldr     r0, [sp]
    bl      put_word
    mov     r0, #'\n'
    bl      put_char
    add     sp, sp, #8
    pop     {r0-r12, lr}
    bx      lr

@ Prints r0 as 8 hex digits and a space. Clobbers r0-r3.
put_word:
    push    {r4, lr}
    mov     r4, r0
    mov     r2, #28
4:  lsr     r0, r4, r2
    and     r0, r0, #15
    cmp     r0, #10
    addlo   r0, r0, #'0'
    addhs   r0, r0, #('a' - 10)
    bl      put_char
    subs    r2, r2, #4
    bpl     4b
    mov     r0, #' '
    bl      put_char
    pop     {r4, lr}
    bx      lr

put_char:
    ldr     r1, =0x09000000
    str     r0, [r1]
    bx      lr

    .ltorg
    .data
    .balign 4
state_index: .word 0
exit_block:  .word 0x20026, 0

    .section .random_code, "awx", %progbits
    .global random_code
random_code:
    b       harness_exit
    .space  0x3fffc

    .section .scratch, "aw", %progbits
    .space  0x10000

    .section .states, "aw", %progbits
    .space  0x40000

    .section .note.GNU-stack,"",%progbits
