// Application processor trampoline. start_cpu() copies [ap_trampoline_start, ap_trampoline_end)
// to physical X86_TRAMPOLINE_ADDRESS (boot_layout.h); the SIPI starts the AP there in real mode
// at CS:IP = 0800:0000 (Intel SDM Vol.3 8.4.4.1). It goes real mode -> protected mode (the
// kernel's GDT) -> long mode (the kernel's page tables) and jumps to ap_entry64. Position: every
// address below is the copy's address plus the offset from the start.

#include "boot_layout.h"

#define REL(sym) (X86_TRAMPOLINE_ADDRESS + (sym - ap_trampoline_start))

    .section .rodata.trampoline, "a"
    .code16
    .global ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl (tramp_gdt_pointer - ap_trampoline_start)
    mov %cr0, %eax
    and $X86_CR0_CD_NW_CLEAR, %eax  // caches on
    or $X86_CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $X86_SEL_CODE32, $REL(tramp32)

    .code32
tramp32:
    mov $X86_SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $X86_CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $X86_MSR_EFER, %ecx
    rdmsr
    or $X86_EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $X86_CR0_PG, %eax
    mov %eax, %cr0
    ljmp $X86_SEL_CODE64, $REL(tramp64)

    .code64
tramp64:
    movabs $ap_entry64, %rax
    jmp *%rax

    .balign 8
tramp_gdt_pointer:
    .word 31
    .long gdt
    .global ap_trampoline_end
ap_trampoline_end:
