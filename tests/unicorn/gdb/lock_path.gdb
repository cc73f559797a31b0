# Run by `lockstep debug --machine unicorn --cpus 4 --gdb-batch` (unicorn.gdb.lock_path): every
# vCPU is a thread; a breakpoint in the kernel's lock path stops the vCPU that runs it; a register
# and a variable read by symbol; reverse-stepi arrives at the previous instruction with the
# earlier registers; reverse-continue and continue to the machine's end.
set pagination off
python
import gdb, os

def check(ok, what):
    if not ok:
        print("CHECK FAILED: " + what)
        gdb.execute("kill")
        os._exit(1)
    print("check: " + what)

def regs():
    return [int(gdb.parse_and_eval("$x%d" % i)) for i in range(31)] + [int(gdb.parse_and_eval("$sp")), int(gdb.parse_and_eval("$pc"))]

threads = gdb.selected_inferior().threads()
check(len(threads) == 4, "4 threads, one per vCPU (got %d)" % len(threads))
gdb.execute("break lockstep::core::TicketSpinlock::lock")
gdb.execute("continue")
frame = gdb.selected_frame()
check("TicketSpinlock::lock" in str(frame.name()), "stopped in TicketSpinlock::lock (%s)" % frame.name())
stopped = gdb.selected_thread().num
info = gdb.execute("monitor vcpus", to_string=True)
vcpu_line = [l for l in info.splitlines() if "(thread %d)" % stopped in l][0]
check(("pc %#x" % int(gdb.parse_and_eval("$pc"))) in vcpu_line, "the stopped thread is the vCPU at the breakpoint: " + vcpu_line.strip())
lock = int(gdb.parse_and_eval("(unsigned long)$x0"))
check(lock != 0, "x0 (the lock) = %#x" % lock)
cpus = int(gdb.parse_and_eval("'lockstep::core::(anonymous namespace)::g_cpu_count'"))
check(cpus == 4, "g_cpu_count read by symbol = %d" % cpus)
before = regs()
gdb.execute("stepi")
after_one = regs()
gdb.execute("stepi")
after_two = regs()
check(after_two[32] != after_one[32], "stepi moved the pc (%#x -> %#x)" % (after_one[32], after_two[32]))
gdb.execute("reverse-stepi")
check(regs() == after_one, "reverse-stepi: back at %#x with the earlier registers" % after_one[32])
gdb.execute("reverse-stepi")
check(regs() == before, "reverse-stepi again: at the breakpoint with its registers")
check(gdb.selected_thread().num == stopped, "still on thread %d" % stopped)
gdb.execute("continue")
check("TicketSpinlock::lock" in str(gdb.selected_frame().name()), "continue: the next lock call")
gdb.execute("reverse-continue")
check(regs() == before, "reverse-continue: back at the first hit")
gdb.execute("delete")
end = gdb.execute("continue", to_string=True)
check("powered off" in end, "continue runs the machine to its end (powered off)")
print("CHECKS PASSED")
gdb.execute("kill")
end
