@ Harness for the random-instruction tester (tests/random_insns.rs).
@
@ The generated code at 0x40200000 is a run of segments, each
@     bl load_state ; <random instructions> ; bl dump_state
@ and ends with a branch to harness_exit. load_state sets r0-r12 and the
@ APSR flags from the next 64-byte record at 0x40310000; dump_state prints
@ r0-r12, the APSR and a checksum of the 64 KiB scratch area at 0x40300000
@ on the UART, one line per segment. Unpatched, the harness just exits.
@
@ Floating-point programs call load_state_fp and dump_state_fp instead:
@ 512-byte records, the core state as above, then D0-D31 at offset 64
@ and the FPSCR at 320; the dump adds D0-D31 and the FPSCR. The harness
@ enables VFP (CPACR, FPEXC.EN) before the random code runs.
    .syntax unified
    .arm
    .fpu vfpv3
    .text
    .global _start
@ Fixed entry points for the generated code.
_start:
    b       start               @ 0x40100000
    b       load_state          @ 0x40100004
    b       dump_state          @ 0x40100008
    b       harness_exit        @ 0x4010000c
    b       load_state_fp       @ 0x40100010
    b       dump_state_fp       @ 0x40100014
    b       load_state_sys      @ 0x40100018
    b       dump_state_sys      @ 0x4010001c
    b       mmu_on              @ 0x40100020
start:
    ldr     sp, =__stack_top
    ldr     r0, =state_index
    mov     r1, #0
    str     r1, [r0]
    @ Enable CP10 and CP11, then VFP.
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #0x00f00000
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #0x40000000
    vmsr    fpexc, r0
    @ A stack for every other mode, 4 KiB each below SVC's 16 KiB: the
    @ random code never writes SP.
    ldr     r0, =__stack_top - 0x4000
    cps     #0x11                       @ FIQ
    mov     sp, r0
    sub     r0, r0, #0x1000
    cps     #0x12                       @ IRQ
    mov     sp, r0
    sub     r0, r0, #0x1000
    cps     #0x17                       @ Abort
    mov     sp, r0
    sub     r0, r0, #0x1000
    cps     #0x1b                       @ Undefined
    mov     sp, r0
    sub     r0, r0, #0x1000
    cps     #0x1f                       @ System (and User)
    mov     sp, r0
    cps     #0x13
    @ Data aborts are counted and skipped (privileged-state programs).
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
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

@ Prints r0-r12, APSR and the scratch checksum as 15 hex words (the
@ caller pushed {r0-r12, lr} right before).
.macro DUMP_CORE
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
    add     sp, sp, #8
.endm

dump_state:
    push    {r0-r12, lr}
    DUMP_CORE
    mov     r0, #'\n'
    bl      put_char
    pop     {r0-r12, lr}
    bx      lr

load_state_fp:
    ldr     r0, =state_index
    ldr     r1, [r0]
    add     r2, r1, #1
    str     r2, [r0]
    ldr     r0, =0x40310000
    add     r0, r0, r1, lsl #9
    add     r1, r0, #64
    vldmia  r1!, {d0-d15}
    vldmia  r1!, {d16-d31}
    ldr     r1, [r1]
    vmsr    fpscr, r1
    ldr     r1, [r0, #52]
    msr     APSR_nzcvqg, r1
    ldm     r0, {r0-r12}
    bx      lr

@ Prints what dump_state prints, then D0-D31 (high word first) and the
@ FPSCR, on the same line.
dump_state_fp:
    push    {r0-r12, lr}
    DUMP_CORE
    ldr     r4, =fp_buffer
    vstmia  r4!, {d0-d15}
    vstmia  r4!, {d16-d31}
    vmrs    r0, fpscr
    str     r0, [r4]
    ldr     r6, =fp_buffer
    mov     r7, #32
5:  ldr     r0, [r6, #4]
    bl      put_word
    ldr     r0, [r6], #8
    bl      put_word
    subs    r7, r7, #1
    bne     5b
    ldr     r0, [r6]
    bl      put_word
    mov     r0, #'\n'
    bl      put_char
    pop     {r0-r12, lr}
    bx      lr

@ Privileged-state programs call load_state_sys and dump_state_sys:
@ 128-byte records, the core state as above, then at offset 64 LR of
@ User, FIQ, IRQ, Abort, Undefined and SVC mode, SPSR of FIQ, IRQ,
@ Abort, Undefined and SVC, and R8-R12 of FIQ mode. load_state_sys
@ may be called in any privileged mode and returns in SVC mode.
load_state_sys:
    mov     r0, lr
    cps     #0x13
    push    {r0}                        @ the return address
    ldr     r0, =state_index
    ldr     r1, [r0]
    add     r2, r1, #1
    str     r2, [r0]
    ldr     r4, =0x40310000
    add     r4, r4, r1, lsl #7
    add     r5, r4, #64                 @ the banked part
    ldr     r0, [r5], #4
    cps     #0x1f
    mov     lr, r0
    ldm     r5!, {r0-r3}                @ LR of FIQ, IRQ, Abort, Undefined
    cps     #0x11
    mov     lr, r0
    cps     #0x12
    mov     lr, r1
    cps     #0x17
    mov     lr, r2
    cps     #0x1b
    mov     lr, r3
    cps     #0x13
    ldr     r6, [r5], #4                @ LR of SVC, set last
    ldm     r5!, {r0-r3}                @ SPSR of FIQ, IRQ, Abort, Undefined
    cps     #0x11
    msr     spsr_fsxc, r0
    cps     #0x12
    msr     spsr_fsxc, r1
    cps     #0x17
    msr     spsr_fsxc, r2
    cps     #0x1b
    msr     spsr_fsxc, r3
    cps     #0x13
    ldr     r0, [r5], #4
    msr     spsr_fsxc, r0
    cps     #0x11
    ldm     r5, {r8-r12}
    cps     #0x13
    mov     lr, r6
    ldr     r1, [r4, #52]
    msr     APSR_nzcvqg, r1
    ldm     r4, {r0-r12}
    pop     {pc}

@ Prints r0-r12, the CPSR, the scratch checksum, then the LR of User,
@ FIQ, IRQ, Abort, Undefined and SVC mode, the SPSR of FIQ, IRQ, Abort,
@ Undefined and SVC, R8-R12 of FIQ mode, and the exceptions taken so
@ far (data aborts, undefined instructions, SVCs): their count and a
@ checksum of their syndromes and return addresses; returns in the mode it was
@ called in, with its flags. (SVC's LR is the return address when it is
@ called in SVC mode.)
dump_state_sys:
    push    {r0-r12, lr}                @ on the caller's mode's stack
    mrs     r0, cpsr
    mov     r1, sp
    cps     #0x13
    push    {r0, r1, lr}
    @ r0-r12 as the caller saw them, then the CPSR.
    mov     r5, r1
    mov     r6, #13
3:  ldr     r0, [r5], #4
    bl      put_word
    subs    r6, r6, #1
    bne     3b
    ldr     r0, [sp]
    bl      put_word
    bl      scratch_checksum
    bl      put_word
    @ The banked registers, gathered into sys_buffer, then printed.
    ldr     r4, =sys_buffer
    cps     #0x1f
    str     lr, [r4], #4
    cps     #0x11
    str     lr, [r4], #4
    cps     #0x12
    str     lr, [r4], #4
    cps     #0x17
    str     lr, [r4], #4
    cps     #0x1b
    str     lr, [r4], #4
    cps     #0x13
    ldr     r0, [sp, #8]                @ SVC's LR as the caller left it
    str     r0, [r4], #4
    cps     #0x11
    mrs     r0, spsr
    str     r0, [r4], #4
    cps     #0x12
    mrs     r0, spsr
    str     r0, [r4], #4
    cps     #0x17
    mrs     r0, spsr
    str     r0, [r4], #4
    cps     #0x1b
    mrs     r0, spsr
    str     r0, [r4], #4
    cps     #0x13
    mrs     r0, spsr
    str     r0, [r4], #4
    cps     #0x11
    stmia   r4!, {r8-r12}
    cps     #0x13
    ldr     r0, =fault_count
    ldm     r0, {r0, r1}
    stmia   r4!, {r0, r1}
    ldr     r5, =sys_buffer
    mov     r6, #18
4:  ldr     r0, [r5], #4
    bl      put_word
    subs    r6, r6, #1
    bne     4b
    mov     r0, #'\n'
    bl      put_char
    pop     {r0, r1, lr}
    msr     cpsr_fsxc, r0               @ back to the caller's mode
    pop     {r0-r12, lr}
    bx      lr

@ Turns the MMU on with the short-descriptor format: every 1 MiB section
@ identity-mapped (RAM as Normal memory, the rest Strongly-ordered), full
@ access, but for the 64 KiB scratch area, whose 4 KiB pages cycle
@ through the access permissions (AP[2:0] 011, 010, 001, 101, 111). The
@ tables live at 0x40380000 (first level) and 0x40384000 (second level,
@ for 0x40300000-0x403fffff).
mmu_on:
    push    {r0-r6, lr}
    ldr     r0, =0x40380000
    mov     r1, #0
1:  lsl     r2, r1, #20
    orr     r2, r2, #0xc00              @ AP[1:0] 11
    orr     r2, r2, #0x2                @ section
    cmp     r1, #0x400
    orrhs   r2, r2, #0x1000             @ RAM: TEX 001, Normal non-cacheable
    str     r2, [r0, r1, lsl #2]
    add     r1, r1, #1
    cmp     r1, #0x1000
    blo     1b
    ldr     r3, =0x40384000
    orr     r2, r3, #0x1                @ a page table for section 0x403
    add     r5, r0, #0x1000
    str     r2, [r5, #0xc]              @ entry 0x403
    ldr     r4, =ap_cycle
    mov     r1, #0
2:  ldr     r2, =0x40300000
    add     r2, r2, r1, lsl #12
    orr     r2, r2, #0x42               @ small page, TEX 001
    cmp     r1, #16
    orrhs   r2, r2, #0x30               @ beyond the scratch: AP 011
    blo     3f
    b       4f
3:  and     r5, r1, #7
    ldrb    r5, [r4, r5]
    and     r6, r5, #3
    orr     r2, r2, r6, lsl #4          @ AP[1:0]
    tst     r5, #4
    orrne   r2, r2, #0x200              @ AP[2]
4:  str     r2, [r3, r1, lsl #2]
    add     r1, r1, #1
    cmp     r1, #256
    blo     2b
    dsb
    mov     r1, #0
    mcr     p15, 0, r1, c2, c0, 2       @ TTBCR: short descriptors, TTBR0 only
    mcr     p15, 0, r0, c2, c0, 0       @ TTBR0
    mov     r1, #1
    mcr     p15, 0, r1, c3, c0, 0       @ DACR: domain 0 client
    mcr     p15, 0, r1, c8, c7, 0       @ TLBIALL
    dsb
    isb
    mrc     p15, 0, r1, c1, c0, 0
    orr     r1, r1, #1                  @ SCTLR.M
    mcr     p15, 0, r1, c1, c0, 0
    isb
    pop     {r0-r6, pc}

@ A data abort: count it, fold DFSR and DFAR into fault_sum, and go on
@ after the instruction, in the mode it came from.
dabt_entry:
    push    {r0-r3}
    mrc     p15, 0, r0, c5, c0, 0       @ DFSR
    mrc     p15, 0, r1, c6, c0, 0       @ DFAR
    ldr     r2, =fault_count
    ldr     r3, [r2]
    add     r3, r3, #1
    str     r3, [r2]
    ldr     r3, [r2, #4]
    eor     r3, r0, r3, ror #27
    eor     r3, r3, r1
    str     r3, [r2, #4]
    pop     {r0-r3}
    subs    pc, lr, #4

@ An undefined instruction or an SVC: count it like a data abort, fold
@ its kind (top nibble) and return address into fault_sum, and go on
@ after the instruction in the mode it came from.
und_entry:
    push    {r0-r3}
    mov     r0, #0x10000000
    b       1f
svc_entry:
    push    {r0-r3}
    mov     r0, #0x20000000
1:  eor     r0, r0, lr
    ldr     r2, =fault_count
    ldr     r3, [r2]
    add     r3, r3, #1
    str     r3, [r2]
    ldr     r3, [r2, #4]
    eor     r3, r0, r3, ror #27
    str     r3, [r2, #4]
    pop     {r0-r3}
    movs    pc, lr

    .balign 32
vectors:
    b       .                           @ reset
    b       und_entry
    b       svc_entry
    b       .                           @ prefetch abort
    b       dabt_entry
    b       .
    b       .                           @ IRQ
    b       .                           @ FIQ

ap_cycle:
    .byte   3, 2, 1, 5, 7, 3, 2, 1

@ Returns in r0 the checksum of the scratch area. Clobbers r1-r4.
scratch_checksum:
    ldr     r1, =0x40300000
    add     r2, r1, #0x10000
    mov     r0, #0
2:  ldr     r4, [r1], #4
    eor     r0, r4, r0, ror #27
    add     r0, r0, r1
    cmp     r1, r2
    blo     2b
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
    .balign 8
fp_buffer:   .space 264
sys_buffer:  .space 72
fault_count: .word 0
fault_sum:   .word 0
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
