/*
 * Start-up for bare-metal i386 test programs on a multiboot loader
 * (QEMU's -kernel, Lockstep's pc): a GDT with ring-0 and ring-3 code
 * and data and a TSS, an IDT whose 256 entries push the vector and call
 * trap() in C, a stack, then main(); its return value leaves through
 * the isa-debug-exit port.
 */
    .section .multiboot, "a"
    .align 4
    .long 0x1badb002            /* magic */
    .long 0x00000003            /* flags: align, memory info */
    .long -(0x1badb002 + 3)     /* checksum */

    .text
    .globl _start
_start:
    cli
    mov $stack_top, %esp
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    /* The TSS descriptor's base, then the TSS's ring-0 stack. */
    mov $tss, %eax
    mov %ax, gdt + 0x28 + 2
    shr $16, %eax
    mov %al, gdt + 0x28 + 4
    mov %ah, gdt + 0x28 + 7
    movl $kstack_top, tss + 4
    movl $0x10, tss + 8
    mov $0x28, %ax
    ltr %ax
    /* The IDT: an interrupt gate per vector to its stub. */
    xor %ecx, %ecx
2:  mov stubs(,%ecx,4), %eax
    mov %ax, idt(,%ecx,8)
    movw $0x08, idt+2(,%ecx,8)
    movw $0x8e00, idt+4(,%ecx,8)
    shr $16, %eax
    mov %ax, idt+6(,%ecx,8)
    inc %ecx
    cmp $256, %ecx
    jne 2b
    /* INT 0x80 may be raised from ring 3: DPL 3. */
    movw $0xee00, idt+4+0x80*8
    lidt idt_desc
    call main
    /* Exit status (main's << 1) | 1 through isa-debug-exit. */
    push %eax
    call exit
3:  hlt
    jmp 3b

/* The common path of every vector: build a frame, call trap(frame). */
common:
    pusha
    push %ds
    push %es
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    push %esp
    call trap
    add $4, %esp
    pop %es
    pop %ds
    popa
    add $8, %esp                /* vector and error code */
    iret

/* 256 stubs: vectors with a CPU error code skip the dummy push. */
    .altmacro
    .macro stub n
    .align 16
stub_\n:
    .if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17)
    .else
    push $0
    .endif
    push $\n
    jmp common
    .endm
    .set i, 0
    .rept 256
    stub %i
    .set i, i + 1
    .endr

    .macro addr n
    .long stub_\n
    .endm
    .section .rodata
    .align 4
stubs:
    .set i, 0
    .rept 256
    addr %i
    .set i, i + 1
    .endr

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08 ring-0 code */
    .quad 0x00cf92000000ffff    /* 0x10 ring-0 data */
    .quad 0x00cffa000000ffff    /* 0x18 ring-3 code */
    .quad 0x00cff2000000ffff    /* 0x20 ring-3 data */
    .quad 0x0000890000000067    /* 0x28 TSS (base filled in) */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt_desc:
    .word 256 * 8 - 1
    .long idt

    .bss
    .align 4096
idt:
    .space 256 * 8
tss:
    .space 104
    .align 16
stack:
    .space 16384
stack_top:
/* The ring-0 stack the TSS gives for interrupts from ring 3. */
kstack:
    .space 8192
kstack_top:
    .section .note.GNU-stack, "", @progbits
