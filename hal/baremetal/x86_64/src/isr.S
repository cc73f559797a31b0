// Interrupt entry stubs, the common full-frame path, and the context switch.

    .text
    .code64

// Vectors that push an error code (Intel SDM Vol.3 6.13, Table 6-1).
.macro ISR n
    .balign 16
isr_\n:
.if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
.else
    pushq $0
.endif
    pushq $\n
    jmp isr_common
.endm

.altmacro
.macro ISR_ENTRY n
    .quad isr_\n
.endm

    .set i, 0
.rept 256
    ISR %i
    .set i, i + 1
.endr

// The frame, lowest address first: r15 ... rax, vector, error, rip, cs, rflags, rsp, ss
// (struct Frame in idt.cpp). The hardware aligned %rsp to 16 before pushing its five words;
// 2 + 15 more words keep %rsp 16-byte aligned at the call.
isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call x86_interrupt
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

    .section .rodata
    .balign 8
    .global isr_table
isr_table:
    .set i, 0
.rept 256
    ISR_ENTRY %i
    .set i, i + 1
.endr

    .text
// void lockstep::hal::context_switch(Context& from, Context& to): the callee-saved registers
// (System V AMD64 ABI 3.2.1) go on the old stack, Context::sp is the stack pointer.
    .global _ZN8lockstep3hal14context_switchERNS0_7ContextES2_
_ZN8lockstep3hal14context_switchERNS0_7ContextES2_:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov (%rsi), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

// First switch-in of a context made by context_init(): %r12 = entry, %r13 = argument.
    .global x86_context_start
x86_context_start:
    mov %r13, %rdi
    call *%r12
    ud2
