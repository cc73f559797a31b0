# Compile flags as INTERFACE targets; nothing is set directory-wide or in toolchain files.

add_library(lockstep_warnings INTERFACE)
target_compile_options(lockstep_warnings INTERFACE -Wall -Wextra -Werror)

# Every build of core/ is freestanding, the host one included, so portability is proven on
# every build. No exceptions, no RTTI, no hosted library.
add_library(lockstep_freestanding INTERFACE)
target_compile_options(lockstep_freestanding INTERFACE -ffreestanding -fno-exceptions -fno-rtti)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(lockstep_freestanding INTERFACE -Wthread-safety)
endif()

# Flags of the bare-metal kernels' code (core and hal/baremetal), per architecture. -g gives gdb
# the types, variables and lines of a kernel under `boot --gdb` and `debug --machine unicorn`
# (it adds sections the loaders ignore and changes no instruction).
add_library(lockstep_kernel_flags INTERFACE)
target_compile_options(lockstep_kernel_flags INTERFACE -g)
if(LOCKSTEP_KERNEL_ARCH STREQUAL "x86_64")
  target_compile_options(lockstep_kernel_flags INTERFACE
    -nostdlib -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-pic -fno-pie
    -fno-stack-protector -fno-asynchronous-unwind-tables)
elseif(LOCKSTEP_KERNEL_ARCH STREQUAL "arm64")
  # Outline atomics would call into libgcc (FACTS: __aarch64_ldadd4_acq_rel); inline LL/SC.
  target_compile_options(lockstep_kernel_flags INTERFACE
    -nostdlib -mgeneral-regs-only -mno-outline-atomics -fno-pic -fno-pie
    -fno-stack-protector -fno-asynchronous-unwind-tables)
elseif(NOT LOCKSTEP_KERNEL_ARCH STREQUAL "")
  message(FATAL_ERROR "LOCKSTEP_KERNEL_ARCH must be x86_64, arm64 or empty, not '${LOCKSTEP_KERNEL_ARCH}'")
endif()

# Host sanitizers, applied to every host target through lockstep_host_flags.
add_library(lockstep_host_flags INTERFACE)
if(LOCKSTEP_SANITIZE STREQUAL "address")
  target_compile_options(lockstep_host_flags INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(lockstep_host_flags INTERFACE -fsanitize=address,undefined)
elseif(LOCKSTEP_SANITIZE STREQUAL "thread")
  # -Wno-tsan: Boost.Asio's handler fences (std_fenced_block) are atomic_thread_fence, which TSan
  # does not model; GCC warns at every use. Asio's cross-thread hand-offs (post, the scheduler's
  # queue) also take a mutex, which TSan does see, so the warning is noise, not a blind spot.
  target_compile_options(lockstep_host_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  target_link_options(lockstep_host_flags INTERFACE -fsanitize=thread)
elseif(NOT LOCKSTEP_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LOCKSTEP_SANITIZE must be address, thread or empty")
endif()
