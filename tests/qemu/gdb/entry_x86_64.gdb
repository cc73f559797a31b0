# Run by `lockstep boot --machine qemu --arch x86_64 --gdb-batch` (qemu.gdb.x86_64): stop at the
# kernel's C++ entry on the boot CPU, show where and which vCPUs exist, then let the run finish.
hbreak kernel_main_x86
continue
info symbol $pc
info threads
delete
detach
