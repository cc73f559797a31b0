# Where the host build finds the two bare-metal kernel images: a prebuilt one named by the cache
# variable, or the one tests/qemu builds into this tree (its external projects). The one home of
# these paths: `lockstep boot`'s defaults, the qemu and Unicorn tests and the benchmarks use them.
set(LOCKSTEP_X86_64_KERNEL "" CACHE FILEPATH "Prebuilt x86_64 kernel for the qemu tests (empty: build it here)")
set(LOCKSTEP_ARM64_KERNEL "" CACHE FILEPATH "Prebuilt arm64 kernel for the qemu tests (empty: build it here)")
set(LOCKSTEP_X86_64_KERNEL_DIR "${CMAKE_BINARY_DIR}/kernel-x86_64")
set(LOCKSTEP_ARM64_KERNEL_DIR "${CMAKE_BINARY_DIR}/kernel-arm64")
if(LOCKSTEP_X86_64_KERNEL)
  set(LOCKSTEP_X86_64_KERNEL_IMAGE "${LOCKSTEP_X86_64_KERNEL}")
else()
  set(LOCKSTEP_X86_64_KERNEL_IMAGE "${LOCKSTEP_X86_64_KERNEL_DIR}/hal/baremetal/x86_64/lockstep-x86_64.elf")
endif()
if(LOCKSTEP_ARM64_KERNEL)
  set(LOCKSTEP_ARM64_KERNEL_IMAGE "${LOCKSTEP_ARM64_KERNEL}")
else()
  set(LOCKSTEP_ARM64_KERNEL_IMAGE "${LOCKSTEP_ARM64_KERNEL_DIR}/hal/baremetal/arm64/lockstep-arm64.elf")
endif()
