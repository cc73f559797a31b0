// Exception vectors (Arm ARM D1.10.2), the full-frame entry/exit, and context switching.
//
// Every slot builds a struct Frame (arch.hpp: x0-x30, ELR, SPSR, ESR, FAR, SP before the
// exception; 288 bytes) on the current stack and calls arm64_exception(frame, slot). The
// kernel runs at EL1h only, so the IRQ slot of "current EL with SP_ELx" is the one in use;
// the others end in the fault report. Interrupts stay masked in the handler (PSTATE.I is set
// on entry); the core may switch contexts inside it and return much later, on another CPU, so
// everything the return needs is in the frame on this flow's own stack.

#define FRAME_SIZE 288

.macro VECTOR slot
    .balign 128
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\slot
    b       exception_common
.endm

    .text
    .balign 2048
    .global arm64_vectors
arm64_vectors:
    VECTOR 0     // current EL, SP_EL0: synchronous
    VECTOR 1     //   IRQ
    VECTOR 2     //   FIQ
    VECTOR 3     //   SError
    VECTOR 4     // current EL, SP_ELx: synchronous
    VECTOR 5     //   IRQ
    VECTOR 6     //   FIQ
    VECTOR 7     //   SError
    VECTOR 8     // lower EL, AArch64
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12    // lower EL, AArch32
    VECTOR 13
    VECTOR 14
    VECTOR 15

exception_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el1
    stp     x30, x2, [sp, #240]
    mrs     x2, spsr_el1
    mrs     x3, esr_el1
    stp     x2, x3, [sp, #256]
    mrs     x2, far_el1
    add     x3, sp, #FRAME_SIZE
    stp     x2, x3, [sp, #272]
    mov     x1, x0
    mov     x0, sp
    mov     x29, #0              // Ends frame-pointer chains at the exception.
    bl      arm64_exception
    ldp     x30, x2, [sp, #240]
    msr     elr_el1, x2
    ldr     x2, [sp, #256]
    msr     spsr_el1, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #FRAME_SIZE
    eret

// void lockstep::hal::context_switch(Context& from, Context& to): the callee-saved registers
// x19-x30 (AAPCS64 6.1.1; no FP/SIMD registers: the kernel is built -mgeneral-regs-only) go on
// the old stack, Context::sp is the stack pointer.
    .global _ZN8lockstep3hal14context_switchERNS0_7ContextES2_
_ZN8lockstep3hal14context_switchERNS0_7ContextES2_:
    sub     sp, sp, #96
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mov     x2, sp
    str     x2, [x0]
    ldr     x2, [x1]
    mov     sp, x2
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #96
    ret

// First switch-in of a context made by context_init(): x19 = entry, x20 = argument.
    .global arm64_context_start
arm64_context_start:
    mov     x0, x20
    mov     x29, #0
    blr     x19
    brk     #0x1                 // An entry must never return (hal/context.hpp).

// std::int64_t arm64_semihost_call(op, param): the A64 semihosting trap (HLT #0xF000). When
// the machine has no semihosting the HLT is undefined; arm64_exception() recognises this
// address, steps over it and returns -1 in x0.
    .global arm64_semihost_call
    .global arm64_semihost_insn
arm64_semihost_call:
arm64_semihost_insn:
    hlt     #0xf000
    ret
