// The trivial x86_64 image: QEMU's own start-up cost, the baseline the kernel's self-test is
// measured against (bench/boot_bench.cpp). Booted exactly like the kernel (PVH entry note,
// -kernel, the same QEMU command line), it writes one serial line and exits through
// isa-debug-exit with the protocol's pass status: no paging, no long mode, no APs.

#define PVH_NOTE_PHYS32_ENTRY 18  /* Xen public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY */
#define COM1_DATA 0x3f8           /* PC serial port 1; QEMU's UART needs no set-up to transmit */
#define DEBUG_EXIT_PORT 0xf4      /* -device isa-debug-exit,iobase=0xf4: status = v * 2 + 1 */
#define EXIT_PASS_VALUE 16        /* serial_protocol.hpp kExitPass = 33 = 16 * 2 + 1 */

    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long PVH_NOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad _start32
    .balign 4

    .section .text, "ax"
    .code32
    .global _start32
_start32:
    cli
    mov $line, %esi
    mov $COM1_DATA, %dx
1:  lodsb
    test %al, %al
    jz 2f
    outb %al, %dx
    jmp 1b
2:  mov $EXIT_PASS_VALUE, %eax
    mov $DEBUG_EXIT_PORT, %dx
    outl %eax, %dx
3:  hlt                           // Without the exit device: stay halted (the host times out).
    jmp 3b

    .section .rodata
line:
    .asciz "LOCKSTEP TRIVIAL\n"
