/* The x86_64 boot facts shared by the assembly (boot.S, trampoline.S) and C++ (arch.hpp):
 * macros only, so the assembler can read it. Each is defined here and nowhere else. */
#ifndef LOCKSTEP_X86_BOOT_LAYOUT_H
#define LOCKSTEP_X86_BOOT_LAYOUT_H

/* Control registers and EFER (Intel SDM Vol.3 2.5, Vol.4 Table 2-2). */
#define X86_CR0_PE (1 << 0)
#define X86_CR0_PG (1 << 31)
#define X86_CR0_CD_NW_CLEAR 0x9FFFFFFF /* AND mask: INIT leaves CR0.CD and CR0.NW set */
#define X86_CR4_PAE (1 << 5)
#define X86_MSR_EFER 0xC0000080
#define X86_EFER_LME (1 << 8)

/* Our GDT (boot.S): its selectors. */
#define X86_SEL_CODE64 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_CODE32 0x18

/* Where start_cpu() copies the AP trampoline: below 1 MiB, page aligned; the SIPI vector is its
 * page number (Intel SDM Vol.3 8.4.4.1). */
#define X86_TRAMPOLINE_ADDRESS 0x8000

/* struct ApSlot (arch.hpp), as ap_entry64 reads it; arch.hpp static_asserts each offset. */
#define X86_AP_SLOT_APIC_ID 0
#define X86_AP_SLOT_ARMED 4
#define X86_AP_SLOT_STACK_TOP 8
#define X86_AP_SLOT_CPU 16
#define X86_AP_SLOT_ENTRY 24
#define X86_AP_SLOT_SIZE 32

#endif
