// A compute-bound ARM64 guest for bench_unicorn: every CPU runs `work` (ALU only, no memory
// access in the loop) and leaves; the last CPU out powers the machine off. The benchmark also
// runs `work` alone on a bare engine (it sits first in .text, at the link address, so the flat
// binary of .text can be loaded and entered there) to compare the machine against a free run of
// the same code.

.equ PSCI_CPU_ON,  0xc4000003
.equ PSCI_CPU_OFF, 0x84000002
.equ PSCI_OFF,     0x84000008
.equ ITERATIONS,   2000000         // Ten instructions each: 20 M instructions per CPU.

.section .text.work, "ax"
.global work
// x0 = iterations. Ten instructions per iteration, one translated block.
work:
  mov x1, #1
  mov x2, #3
1:add x1, x1, x2
  eor x2, x2, x1, lsl #3
  add x3, x1, x2, lsr #7
  orr x4, x3, x1
  sub x2, x2, x4
  add x1, x1, #5
  eor x3, x3, x2
  add x2, x2, x3, lsl #1
  subs x0, x0, #1
  b.ne 1b
  ret

.section .text.boot, "ax"
.global _start
_start:
  // Start every other CPU; PSCI says INVALID_PARAMETERS for ones that do not exist. `remaining`
  // counts this CPU from the start, so it cannot reach 0 before this CPU has done its own work.
  mov x21, #1
1:cmp x21, #8
  b.ge 3f
  ldr x0, =remaining
  mov x1, #1
  bl add_remaining
  ldr x0, =PSCI_CPU_ON
  mov x1, x21
  adr x2, secondary
  mov x3, x21
  hvc #0
  cbz x0, 2f
  ldr x0, =remaining
  mov x1, #-1
  bl add_remaining
2:add x21, x21, #1
  b 1b
3:b leave

secondary:
leave:
  ldr x0, =ITERATIONS
  bl work
  ldr x0, =remaining
  mov x1, #-1
  bl add_remaining
  cbz x2, 5f
  ldr x0, =PSCI_CPU_OFF
  hvc #0
  b .
5:ldr x0, =PSCI_OFF
  hvc #0
  b .

// [x0] += x1 atomically; x2 = the new value.
add_remaining:
4:ldaxr x2, [x0]
  add x2, x2, x1
  stlxr w3, x2, [x0]
  cbnz w3, 4b
  ret

.data
.balign 8
remaining: .quad 1
