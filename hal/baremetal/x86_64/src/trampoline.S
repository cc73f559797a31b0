// Application processor trampoline. start_cpu() copies [ap_trampoline_start, ap_trampoline_end)
// to physical 0x8000; the SIPI vector 0x08 starts the AP there in real mode at CS:IP =
// 0800:0000 (Intel SDM Vol.3 8.4.4.1). It goes real mode -> protected mode (the kernel's GDT)
// -> long mode (the kernel's page tables) and jumps to ap_entry64. Position: every address
// below is 0x8000 + offset from the start, since the code runs from the copy.

#define TRAMPOLINE 0x8000
#define REL(sym) (TRAMPOLINE + (sym - ap_trampoline_start))

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
    and $0x9FFFFFFF, %eax           // caches on: INIT leaves CR0.CD and CR0.NW set
    or $1, %eax                     // PE
    mov %eax, %cr0
    ljmpl $0x18, $REL(tramp32)

    .code32
tramp32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax              // PAE
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx           // EFER.LME
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    mov %cr0, %eax
    or $(1 << 31), %eax             // PG
    mov %eax, %cr0
    ljmp $0x08, $REL(tramp64)

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
