# Run by `lockstep boot --machine qemu --arch arm64 --gdb-batch` (qemu.gdb.arm64): stop at the
# kernel's C++ entry on the boot CPU, show where and which vCPUs exist, then let the run finish.
hbreak kernel_main_arm64
continue
info symbol $pc
info threads
delete
detach
