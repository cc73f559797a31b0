// A small ARM64 guest for the Unicorn machine's own tests: every CPU adds to a shared counter
// under a spinlock, secondaries are started with PSCI CPU_ON and report back with an SGI that
// wakes the boot CPU from wfi, and the boot CPU prints PASS or FAIL and powers off.
// Built twice: with a correct exclusive-monitor lock, and (-DBROKEN_LOCK) with a test-then-set
// lock that exploration must catch.

.equ UART,        0x09000000
.equ GICD,        0x08000000
.equ GICC,        0x08010000
.equ ROUNDS,      200
.equ PSCI_CPU_ON, 0xc4000003
.equ PSCI_OFF,    0x84000008

.macro putc ch
  mov w9, #\ch
  str w9, [x20]
.endm

.section .text.boot, "ax"
.global _start
_start:
  ldr x20, =UART
  mrs x1, mpidr_el1
  and x1, x1, #0xff               // Aff0 = CPU index on this machine.
  bl setup_cpu
  putc 'B'
  putc '\n'
  // Start every other CPU; PSCI says INVALID_PARAMETERS for ones that do not exist.
  mov x19, #0                     // Secondaries started.
  mov x21, #1
1:cmp x21, #8
  b.ge 2f
  ldr x0, =PSCI_CPU_ON
  mov x1, x21
  adr x2, secondary
  mov x3, x21
  hvc #0
  cbnz x0, 3f
  add x19, x19, #1
3:add x21, x21, #1
  b 1b
2:bl add_rounds
  // Wait until every secondary has reported: check with interrupts masked, wfi while still
  // masked (it wakes on a pending interrupt anyway), then unmask briefly to take it. Unmasking
  // before the wfi would lose a wake-up that arrives in between.
  ldr x22, =done
4:ldr x0, [x22]
  cmp x0, x19
  b.ge 5f
  wfi
  msr daifclr, #2
  isb
  msr daifset, #2
  b 4b
5:ldr x0, =counter
  ldr x0, [x0]
  add x1, x19, #1
  mov x2, #ROUNDS
  mul x1, x1, x2
  cmp x0, x1
  b.ne 6f
  putc 'P'
  putc 'A'
  putc 'S'
  putc 'S'
  putc '\n'
  b 7f
6:putc 'F'
  putc 'A'
  putc 'I'
  putc 'L'
  putc '\n'
7:ldr x0, =PSCI_OFF
  hvc #0
  b .

secondary:                        // x0 = CPU index (context id).
  ldr x20, =UART
  mov x1, x0
  bl setup_cpu
  bl add_rounds
  ldr x1, =done
8:ldaxr x2, [x1]
  add x2, x2, #1
  stlxr w3, x2, [x1]
  cbnz w3, 8b
  ldr x1, =GICD + 0xf00           // GICD_SGIR: SGI 0 to CPU 0.
  mov w2, #(1 << 16)
  str w2, [x1]
9:wfi
  b 9b

// x1 = CPU index: stack, vectors, GIC interface, SGI 0 enabled.
setup_cpu:
  ldr x2, =stacks_top
  lsl x3, x1, #12
  sub sp, x2, x3
  ldr x2, =vectors
  msr vbar_el1, x2
  isb
  ldr x2, =GICD
  mov w3, #1
  str w3, [x2]                    // GICD_CTLR
  str w3, [x2, #0x100]            // GICD_ISENABLER0: SGI 0 (banked per CPU).
  ldr x2, =GICC
  str w3, [x2]                    // GICC_CTLR
  mov w3, #0xff
  str w3, [x2, #4]                // GICC_PMR
  ret

// ROUNDS times: lock; counter = counter + 1 (a load, some work, a store); unlock.
add_rounds:
  mov x5, #ROUNDS
  ldr x6, =lock
  ldr x7, =counter
10:
#ifdef BROKEN_LOCK
11:ldr w8, [x6]
  cbnz w8, 11b
  mov w8, #1
  str w8, [x6]
#else
11:ldaxr w8, [x6]
  cbz w8, 12f
  yield
  b 11b
12:mov w8, #1
  stxr w9, w8, [x6]
  cbnz w9, 11b
#endif
  ldr x8, [x7]
  add x8, x8, #1
  b 13f                           // A branch inside the critical section, as real ones have:
13:str x8, [x7]                   // a time slice may end between the load and the store.
  stlr wzr, [x6]
  subs x5, x5, #1
  b.ne 10b
  ret

irq_handler:
  stp x0, x1, [sp, #-16]!
  ldr x0, =GICC
  ldr w1, [x0, #0xc]              // GICC_IAR
  str w1, [x0, #0x10]             // GICC_EOIR
  ldr x0, =irqs
  ldr x1, [x0]
  add x1, x1, #1
  str x1, [x0]
  ldp x0, x1, [sp], #16
  eret

.balign 2048
vectors:
  .rept 5
  b .
  .balign 128
  .endr
  b irq_handler                   // 0x280: IRQ, current EL with SPx.
  .balign 128
  .rept 10
  b .
  .balign 128
  .endr

.data
.balign 8
.global counter, done, irqs, lock
counter: .quad 0
done:    .quad 0
irqs:    .quad 0
lock:    .quad 0

.bss
.balign 16
stacks: .space 8 * 4096
stacks_top:
