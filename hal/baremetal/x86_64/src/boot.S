// Boot CPU entry: QEMU loads this ELF64 and, through the Xen PVH entry note, enters _start32 in
// 32-bit protected mode without paging, %ebx = physical address of struct hvm_start_info
// (Xen public/arch-x86/hvm/start_info.h). We build identity page tables for the low 4 GiB,
// switch to long mode with our own GDT and call kernel_main_x86(start_info).

#include "boot_layout.h"

#define PVH_NOTE_PHYS32_ENTRY 18   /* Xen public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY */
#define PTE_P_RW 0x3
#define PDE_2M_PRW 0x83            /* present, writable, 2 MiB page (PS) */
#define PDE_PCD_PWT 0x18           /* uncached: the top GiB holds the LAPIC and IOAPIC */

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         // namesz
    .long 8                         // descsz
    .long PVH_NOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad _start32
    .balign 4

    .section .text.boot, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov %ebx, %ebp                  // start_info survives the .bss clear in %ebp
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov %ebp, pvh_start_info

    // PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages (0..4 GiB).
    mov $boot_pdpt, %eax
    or $PTE_P_RW, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $PTE_P_RW, %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $PDE_2M_PRW, %eax
    cmp $1536, %ecx
    jb 3f
    or $PDE_PCD_PWT, %eax
3:  mov %eax, boot_pd(,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 2b

    lgdt gdt_pointer
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
    or $(X86_CR0_PG | X86_CR0_PE), %eax
    mov %eax, %cr0
    ljmp $X86_SEL_CODE64, $start64

    .code64
start64:
    mov $X86_SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov pvh_start_info(%rip), %edi
    call kernel_main_x86
4:  cli
    hlt
    jmp 4b

// Where every application processor arrives in long mode (from the trampoline at 0x8000), on
// no stack yet. It finds its start slot by APIC id (CPUID leaf 0x0B x2APIC id, else leaf 1's
// initial APIC id) and continues on the stack start_cpu() gave it. A CPU without an armed slot
// (a late or unexpected one) parks for good.
    .global ap_entry64
ap_entry64:
    mov $X86_SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    xor %eax, %eax
    cpuid
    cmp $0x0B, %eax
    jb 5f
    mov $0x0B, %eax
    xor %ecx, %ecx
    cpuid
    test %ebx, %ebx
    jz 5f
    mov %edx, %r8d
    jmp 6f
5:  mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %ebx, %r8d
6:  lea ap_slots(%rip), %rsi
    mov ap_slot_count(%rip), %ecx
7:  test %ecx, %ecx
    jz 9f
    cmp X86_AP_SLOT_APIC_ID(%rsi), %r8d
    jne 8f
    cmpl $1, X86_AP_SLOT_ARMED(%rsi)
    jne 9f
    mov X86_AP_SLOT_STACK_TOP(%rsi), %rsp
    mov %rsi, %rdi
    xor %ebp, %ebp
    call ap_main_x86
    jmp 9f
8:  add $X86_AP_SLOT_SIZE, %rsi
    dec %ecx
    jmp 7b
9:  cli
    hlt
    jmp 9b

    .section .rodata
    .balign 16
    .global gdt
gdt:
    .quad 0                         // null
    .quad 0x00AF9A000000FFFF        // 0x08: 64-bit code (L=1)
    .quad 0x00CF92000000FFFF        // 0x10: flat data
    .quad 0x00CF9A000000FFFF        // 0x18: 32-bit flat code (AP trampoline)
gdt_end:
    .global gdt_pointer
gdt_pointer:
    .word gdt_end - gdt - 1
    .quad gdt

    .section .bss
    .balign 4096
    .global boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
    .balign 16
boot_stack: .skip 65536
boot_stack_top:
    .global pvh_start_info
pvh_start_info: .skip 8
