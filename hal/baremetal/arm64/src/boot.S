// Entry of the arm64 kernel (boot CPU and PSCI-started CPUs): exception level, page tables,
// MMU and caches, stack, then C++.
//
// QEMU virt loads the ELF at its link address and enters _start at EL1 (EL2 with
// virtualization=on), MMU off, x0 = 0 (for an ELF no DTB pointer: the tree is at the base of
// RAM, see FACTS). PSCI CPU_ON enters secondary_entry at the boot CPU's exception level, MMU
// off, x0 = the context id (a struct ApStart *, arch.hpp).

// SCTLR_EL1 (Arm ARM D17.2.118): RES1 bits of ARMv8.0 (11, 20, 22, 23, 28, 29); M, C, SA, I.
#define SCTLR_RES1      0x30d00800
#define SCTLR_MMU_ON    (SCTLR_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 12))
// MAIR_EL1 (D17.2.97): attribute 0 = Device-nGnRnE, attribute 1 = Normal write-back RW-allocate.
#define MAIR_VALUE      0xff00
// TCR_EL1 (D17.2.131): T0SZ 25 (39-bit VA, walks start at level 1), inner/outer write-back
// write-allocate, inner shareable, 4 KiB granule, no TTBR1 walks (EPD1), 40-bit IPS.
#define TCR_VALUE       (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
// Level-1 block descriptors (D8.3): 1 GiB each. Normal: AttrIndx 1, inner shareable, AF, UXN.
// Device: AttrIndx 0, AF, PXN, UXN.
#define BLOCK_NORMAL    0x0040000000000705
#define BLOCK_DEVICE    0x0060000000000401
#define BLOCK_DEVICE_EXEC 0x0000000000000401
#define TABLE_DESC      0x3
// HCR_EL2.RW (D17.2.48): EL1 is AArch64. CNTHCTL_EL2 EL1PCTEN | EL1PCEN: EL1 may use the
// physical counter and timer. SPSR: EL1h, DAIF masked.
#define HCR_RW          (1 << 31)
#define CPTR_EL2_RES1   0x33ff
#define SPSR_EL1H_MASKED 0x3c5
// GICv3 ICC_SRE_EL2 (GICv3 spec 12.2.17): SRE | Enable (EL1 may use ICC_SRE_EL1).
#define ICC_SRE_EL2     S3_4_C12_C9_5
#define ICH_HCR_EL2     S3_4_C12_C11_0

    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x9, CurrentEL
    adrp    x10, arm64_entry_el
    str     x9, [x10, :lo12:arm64_entry_el]
    bl      drop_to_el1
    bl      build_page_tables
    bl      mmu_on
    // .bss is cleared with caches on (the page tables live in .data, not cleared).
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  ldr     x0, =boot_stack_top
    mov     sp, x0
    msr     tpidr_el1, xzr
    ldr     x0, =arm64_vectors
    msr     vbar_el1, x0
    isb
    bl      kernel_main_arm64
3:  wfi
    b       3b

    .global secondary_entry
secondary_entry:
    mov     x19, x0
    bl      drop_to_el1
    bl      mmu_on
    ldr     x0, [x19, #0]        // ApStart::stack_top
    mov     sp, x0
    ldr     x0, [x19, #8]        // ApStart::cpu_local
    msr     tpidr_el1, x0
    ldr     x0, =arm64_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      ap_main_arm64
4:  wfi
    b       4b

// Returns to x30 at EL1. At EL2: EL1 is AArch64, nothing trapped to EL2, EL1 owns the
// counters, the virtual counter equals the physical one, EL1 sees the real MIDR/MPIDR, and,
// with a GICv3 CPU interface, EL1 may use the ICC_* system registers. Clobbers x9.
drop_to_el1:
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    cmp     x9, #1
    b.eq    9f
    cmp     x9, #2
    b.ne    8f                   // EL3: not supported (QEMU virt enters at EL1 or EL2).
    mov     x9, #HCR_RW
    msr     hcr_el2, x9
    mov     x9, #CPTR_EL2_RES1
    msr     cptr_el2, x9
    mov     x9, #3
    msr     cnthctl_el2, x9
    msr     cntvoff_el2, xzr
    mrs     x9, midr_el1
    msr     vpidr_el2, x9
    mrs     x9, mpidr_el1
    msr     vmpidr_el2, x9
    mrs     x9, id_aa64pfr0_el1  // GIC field, bits 27:24: system register interface present.
    ubfx    x9, x9, #24, #4
    cbz     x9, 5f
    mrs     x9, ICC_SRE_EL2
    orr     x9, x9, #0x1         // SRE
    orr     x9, x9, #0x8         // Enable
    msr     ICC_SRE_EL2, x9
    isb
    msr     ICH_HCR_EL2, xzr
5:  ldr     x9, =SCTLR_RES1
    msr     sctlr_el1, x9
    mov     x9, #SPSR_EL1H_MASKED
    msr     spsr_el2, x9
    msr     elr_el2, x30
    isb
    eret
8:  wfe
    b       8b
9:  ret

// Identity map of the first 512 GiB: RAM (1-4 GiB, where QEMU virt and the Unicorn machine
// put it) normal memory in 1 GiB blocks; everything else device memory, execute-never. The
// first GiB goes through a level-2 table (2 MiB blocks) so that its top 2 MiB, just below RAM,
// stays executable: the Unicorn machine enters exceptions through a stub there ("clrex; b
// vector" at 0x3ffff000, docs/ARCHITECTURE.md), QEMU virt has no device the kernel uses in it.
// Runs with the MMU and caches off, so the tables' lines are invalidated afterwards (nothing
// stale may hide them). Clobbers x0-x4.
build_page_tables:
    adrp    x0, kernel_l1_table
    add     x0, x0, :lo12:kernel_l1_table
    mov     x1, #0
1:  lsl     x2, x1, #30
    ldr     x3, =BLOCK_DEVICE
    cmp     x1, #1
    b.lo    2f
    cmp     x1, #3
    b.hi    2f
    ldr     x3, =BLOCK_NORMAL
2:  orr     x3, x3, x2
    str     x3, [x0, x1, lsl #3]
    add     x1, x1, #1
    cmp     x1, #512
    b.lo    1b
    // Entry 0: the level-2 table.
    adrp    x4, kernel_l2_low_table
    add     x4, x4, :lo12:kernel_l2_low_table
    orr     x3, x4, #TABLE_DESC
    str     x3, [x0]
    mov     x1, #0
3:  lsl     x2, x1, #21
    ldr     x3, =BLOCK_DEVICE
    cmp     x1, #511
    b.ne    4f
    ldr     x3, =BLOCK_DEVICE_EXEC
4:  orr     x3, x3, x2
    str     x3, [x4, x1, lsl #3]
    add     x1, x1, #1
    cmp     x1, #512
    b.lo    3b
    dsb     sy
    mov     x1, x0
    add     x2, x0, #8192        // Both tables: kernel_l2_low_table follows kernel_l1_table.
5:  dc      ivac, x1
    add     x1, x1, #64
    cmp     x1, x2
    b.lo    5b
    dsb     sy
    ret

// MMU and caches on with the shared table (every CPU). Clobbers x9.
mmu_on:
    ldr     x9, =MAIR_VALUE
    msr     mair_el1, x9
    ldr     x9, =TCR_VALUE
    msr     tcr_el1, x9
    adrp    x9, kernel_l1_table
    add     x9, x9, :lo12:kernel_l1_table
    msr     ttbr0_el1, x9
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x9, =SCTLR_MMU_ON
    msr     sctlr_el1, x9
    isb
    ret
    .ltorg

    .section .data.boot, "aw"
    .balign 8
    .global arm64_entry_el
arm64_entry_el:
    .quad   0

    .section .data.pagetables, "aw"
    .balign 4096
    .global kernel_l1_table
kernel_l1_table:
    .fill   512, 8, 0
    .global kernel_l2_low_table
kernel_l2_low_table:
    .fill   512, 8, 0

    .section .bss.stack, "aw", %nobits
    .balign 16
boot_stack:
    .space  64 * 1024
    .global boot_stack_top
boot_stack_top:
