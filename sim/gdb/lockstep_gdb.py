# lockstep's gdb extension for the deterministic engine (`lockstep debug`, docs/DEBUGGING.md).
#
# The inferior is `lockstep run ...`. The engine stops by calling lockstep_debug_stop() at the
# scheduling point gdb asked for (hal/emu/include/lockstep/emu/debug_hook.hpp): every vCPU but
# the current one is then a suspended Boost.Context fiber, whose registers sit on its own stack.
# Commands:
#   info vcpus      every vCPU: state, task, interrupts, held locks, clock, where it is
#   vcpu N          gdb's frames become vCPU N's fiber stack (bt, frame, info locals, ...)
#   vstep CPU       run to CPU's next scheduling point
#   vgoto N         run to scheduling point N (backwards: re-runs from the start)
#   vback [K]       step back K points (default 1) by re-running the seed to point - K
#   reverse-point   the same as vback
# lockstep-start STOP_AT is what `lockstep debug` itself calls to begin. Every run of the session
# also stops where it fails, so running past the failure leaves the machine there to look at.

import gdb
import gdb.unwinder

ANY_CPU = 0xFFFFFFFF
STOP_FUNCTION = "lockstep_debug_stop"
STATE_NAMES = {0: "off", 1: "runnable", 2: "waiting", 3: "halted", 4: "dead"}
# Boost.Context 1.74 jump_fcontext, x86_64 SysV ELF: the suspended flow's stack pointer (fctx)
# points at MXCSR/x87 CW (8 bytes), then r12, r13, r14, r15, rbx, rbp, and the return address;
# the flow resumes with rsp = fctx + 0x40 (jump_x86_64_sysv_elf_gas.S).
FCONTEXT_REGISTERS = (("r12", 0x08), ("r13", 0x10), ("r14", 0x18), ("r15", 0x20), ("rbx", 0x28), ("rbp", 0x30))
FCONTEXT_RETURN = 0x38
FCONTEXT_SIZE = 0x40
# Frames that are the machine, not the program: where a vCPU "is" is the first frame below them.
MACHINE_FRAMES = ("lockstep_debug_stop", "lockstep::emu::", "lockstep::hal::", "lockstep::sim::", "jump_fcontext",
                  "make_fcontext", "boost::", "std::")
MACHINE_FILES = ("/hal/emu/", "/sim/src/")  # The driver's lambdas have no namespace in their name.
MAX_FRAMES = 64  # Bound on every stack walk of a fiber (a damaged stack must not loop).


class Session:
    """What the extension knows between commands."""

    def __init__(self):
        self.selected = None  # vCPU whose fiber the unwinder shows, None: the real stack.
        self.selected_fctx = 0
        self.breakpoint = None


SESSION = Session()


def value(expr):
    return gdb.parse_and_eval(expr)


def set_var(name, v):
    gdb.execute("set var %s = %d" % (name, v), to_string=True)


def running():
    inferior = gdb.selected_inferior()
    return inferior is not None and inferior.pid != 0


def snapshot():
    """The engine's view at the last stop (lockstep_debug)."""
    d = value("lockstep_debug")
    return {
        "step": int(d["step"]),
        "reason": int(d["reason"]),
        "cpus": int(d["cpus"]),
        "current": int(d["current"]),
        "failure": d["failure"].string() if int(d["failure"]) != 0 else "",
        "vcpus": d["vcpus"],
    }


def require_stop():
    if not running():
        raise gdb.GdbError("lockstep: the run is not stopped in the engine (use vgoto N to start it again)")
    s = snapshot()
    if s["reason"] == 0:
        # The engine fills its view and reads the stop variables only at its own stops.
        raise gdb.GdbError("lockstep: not stopped by the engine (a breakpoint of yours?): vgoto N re-runs to point N")
    return s


def function_range(name):
    symbol = gdb.lookup_global_symbol(name)
    if symbol is None:
        raise gdb.GdbError("lockstep: %s not found: is this a lockstep binary with debug info?" % name)
    start = int(symbol.value().address)
    block = gdb.block_for_pc(start)
    return start, int(block.end) if block is not None else start + 1


class FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class VcpuUnwinder(gdb.unwinder.Unwinder):
    """Makes the caller of lockstep_debug_stop() the selected vCPU's suspended flow, so that frames
    1, 2, ... are that vCPU's stack (frame 0 stays the stop function)."""

    def __init__(self):
        super().__init__("lockstep-vcpu")
        self.range = None

    def __call__(self, pending):
        if SESSION.selected is None or SESSION.selected_fctx == 0:
            return None
        if self.range is None:
            self.range = function_range(STOP_FUNCTION)
        pc = int(pending.read_register("rip"))
        if not (self.range[0] <= pc < self.range[1]):
            return None
        fctx = SESSION.selected_fctx
        memory = gdb.selected_inferior().read_memory(fctx, FCONTEXT_SIZE).tobytes()

        def word(offset):
            return int.from_bytes(memory[offset:offset + 8], "little")

        long_type = gdb.lookup_type("long")
        # gdb refuses a caller whose frame lies below its callee's ("previous frame inner to this
        # frame"), and the fiber's stack may lie anywhere: the stop frame claims the lower of the two.
        sp = min(int(pending.read_register("rsp")), fctx)
        frame_id = FrameId(gdb.Value(sp).cast(long_type), gdb.Value(self.range[0]).cast(long_type))
        info = pending.create_unwind_info(frame_id)
        info.add_saved_register("rip", gdb.Value(word(FCONTEXT_RETURN)).cast(long_type))
        info.add_saved_register("rsp", gdb.Value(fctx + FCONTEXT_SIZE).cast(long_type))
        for reg, offset in FCONTEXT_REGISTERS:
            info.add_saved_register(reg, gdb.Value(word(offset)).cast(long_type))
        return info


def select_vcpu(cpu, s):
    """Points the unwinder at vCPU `cpu` (None or the current one: the real stack)."""
    if cpu is None or cpu == s["current"]:
        SESSION.selected, SESSION.selected_fctx = None, 0
    else:
        fctx = int(s["vcpus"][cpu]["fctx"])
        if fctx == 0:
            raise gdb.GdbError("lockstep: cpu %d has no suspended flow (it never started)" % cpu)
        SESSION.selected, SESSION.selected_fctx = cpu, fctx
    gdb.invalidate_cached_frames()


def program_frame():
    """The innermost frame that is not the machine (engine, HAL, Boost.Context): (level, frame)."""
    frame = gdb.newest_frame()
    level = 0
    while frame is not None and level < MAX_FRAMES:
        name = frame.name() or ""
        sal = frame.find_sal()
        path = sal.symtab.filename if sal.symtab is not None else ""
        if name and not name.startswith(MACHINE_FRAMES) and not any(part in path for part in MACHINE_FILES):
            return level, frame
        try:
            frame = frame.older()
        except gdb.error:
            return None, None
        level += 1
    return None, None


def describe_frame(frame):
    if frame is None:
        return "?"
    sal = frame.find_sal()
    where = ""
    if sal.symtab is not None:
        where = " (%s:%d)" % (sal.symtab.filename.rsplit("/", 1)[-1], sal.line)
    return "%s%s" % (frame.name(), where)


def where_is(cpu, s):
    """vCPU `cpu`'s program frame, found by unwinding its fiber."""
    v = s["vcpus"][cpu]
    if cpu != s["current"] and int(v["fctx"]) == 0:
        return "-"
    saved = SESSION.selected, SESSION.selected_fctx
    try:
        select_vcpu(cpu, s)
        return describe_frame(program_frame()[1])
    except gdb.error:
        return "?"
    finally:
        SESSION.selected, SESSION.selected_fctx = saved
        gdb.invalidate_cached_frames()


def held_locks(cpu):
    """The locks `cpu` holds, as the lock validator tracks them (none when it is off)."""
    try:
        held = value("'lockstep::core::(anonymous namespace)::g_held'")[cpu]
        classes = value("'lockstep::core::(anonymous namespace)::g_graph'")["classes"]
        depth = min(int(held["depth"]), 16)
        names = []
        for i in range(depth):
            cls = int(held["held"][i]["cls"])
            names.append("'%s'" % classes[cls]["name"].string() if cls != 0xFF else "'?'")
        return names
    except gdb.error:
        return None


def word_at(v, type_name):
    """The integer an atomic (hal::Atomic over std::atomic: the value is its only member) holds."""
    return int(v.address.cast(gdb.lookup_type(type_name).pointer()).dereference())


def wait_of(percpu):
    """What the CPU spins on, from PerCpu::waits_for (core/src/wait_for.cpp's encoding): a lock
    pointer, or a CPU id << 2 with bit 0 set for a cross-CPU call; bit 1 is interrupts off."""
    if int(percpu) == 0:
        return ""
    record = percpu.cast(gdb.lookup_type("lockstep::core::PerCpu").pointer()).dereference()
    w = word_at(record["waits_for"], "unsigned long")
    if w == 0:
        return ""
    if w & 1:
        return ", waits for its call on cpu %d" % (w >> 2)
    owner = gdb.Value(w & ~3).cast(gdb.lookup_type("lockstep::core::detail::LockOwner").pointer()).dereference()
    holder = word_at(owner["holder"], "unsigned int")
    held_by = "free" if holder == ANY_CPU else "held by cpu %d" % holder
    return ", waits for '%s' (%s)" % (owner["stats"]["name"].string(), held_by)


def task_of(percpu):
    if int(percpu) == 0:
        return "-", 0
    record = percpu.cast(gdb.lookup_type("lockstep::core::PerCpu").pointer()).dereference()
    current = record["current"]
    task = "idle" if int(current) == 0 else "task %d" % int(current.dereference()["id"])
    return task, int(record["irq_depth"])


def stop_line(s):
    if s["reason"] == 2:
        return "lockstep: stopped at the failure, scheduling point %d on cpu %d: %s" % (s["step"], s["current"],
                                                                                        s["failure"])
    return "lockstep: stopped at scheduling point %d on cpu %d" % (s["step"], s["current"])


def report_stop(what):
    if not running():
        raise gdb.GdbError("lockstep: the run ended before %s" % what)
    s = snapshot()
    if s["reason"] == 0:
        raise gdb.GdbError("lockstep: stopped outside the engine's stop hook (%s not reached)" % what)
    select_vcpu(None, s)
    print(stop_line(s))
    level, frame = program_frame()
    if level is not None:
        gdb.execute("frame %d" % level)
    return s


def resume(command):
    """Runs a gdb run command quietly: the stop is reported by report_stop(), not as gdb's own
    "Breakpoint -N, lockstep_debug_stop () ..." (the engine's stop function is no news)."""
    gdb.execute("set suppress-cli-notifications on", to_string=True)
    try:
        gdb.execute(command, to_string=True)
    finally:
        gdb.execute("set suppress-cli-notifications off", to_string=True)


def ensure_breakpoint():
    if SESSION.breakpoint is None or not SESSION.breakpoint.is_valid():
        SESSION.breakpoint = gdb.Breakpoint(STOP_FUNCTION, internal=True)


def run_from_start(stop_at):
    """Starts (or restarts) the inferior and runs it to `stop_at` (0: none) or the failure."""
    gdb.execute("set startup-with-shell off", to_string=True)
    # Stopped in main, before any run: the variables are set there (the program is loaded and
    # relocated by then; starti would do too, but says "Program stopped." at every re-run).
    gdb.Breakpoint("main", internal=True, temporary=True)
    resume("run")
    SESSION.selected, SESSION.selected_fctx = None, 0
    ensure_breakpoint()
    set_var("lockstep_debug_stop_at", stop_at)
    set_var("lockstep_debug_stop_cpu", ANY_CPU)
    set_var("lockstep_debug_watch", 0)
    set_var("lockstep_debug_stop_on_failure", 1)
    resume("continue")
    return report_stop("scheduling point %d" % stop_at if stop_at else "a failure")


def go_to(point):
    """Runs to scheduling point `point`: onwards when it lies ahead, else again from the start."""
    if point < 1:
        raise gdb.GdbError("lockstep: scheduling points are numbered from 1")
    if running() and snapshot()["reason"] != 0 and point > snapshot()["step"]:
        set_var("lockstep_debug_stop_at", point)
        set_var("lockstep_debug_stop_cpu", ANY_CPU)
        SESSION.selected, SESSION.selected_fctx = None, 0
        gdb.invalidate_cached_frames()
        resume("continue")
        return report_stop("scheduling point %d" % point)
    return run_from_start(point)


def parse_int(arg, what):
    try:
        return int(arg, 0)
    except ValueError:
        raise gdb.GdbError("lockstep: %s must be a number, not '%s'" % (what, arg))


class StartCommand(gdb.Command):
    """lockstep-start STOP_AT: run the inferior to scheduling point STOP_AT, or (0, or if it fails
    first) to the failure."""

    def __init__(self):
        super().__init__("lockstep-start", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) != 1:
            raise gdb.GdbError("usage: lockstep-start STOP_AT")
        run_from_start(parse_int(words[0], "STOP_AT"))


LIST_LIMIT = 64  # vCPUs `info vcpus` lists without a range (each costs a stack walk).


def cpu_range(arg, cpus):
    """`info vcpus` [FIRST[-LAST]]: the vCPUs to list."""
    arg = arg.strip()
    if not arg:
        return range(min(cpus, LIST_LIMIT))
    first, _, last = arg.partition("-")
    lo = parse_int(first, "the first CPU")
    hi = parse_int(last, "the last CPU") if last else lo
    if lo > hi or hi >= cpus:
        raise gdb.GdbError("lockstep: no cpus %s (the machine has %d)" % (arg, cpus))
    return range(lo, hi + 1)


class InfoVcpus(gdb.Command):
    """info vcpus [FIRST[-LAST]]: the vCPUs at this scheduling point (* the current one, whose flow
    is running); the first 64 without a range."""

    def __init__(self):
        super().__init__("info vcpus", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        s = require_stop()
        print("scheduling point %d, current cpu %d" % (s["step"], s["current"]))
        listed = cpu_range(arg, s["cpus"])
        for cpu in listed:
            v = s["vcpus"][cpu]
            task, depth = task_of(v["percpu"])
            irq = "on" if int(v["irq_enabled"]) else "off"
            if depth:
                irq += " (in handler, depth %d)" % depth
            if int(v["pending"]):
                irq += " pending %#x" % int(v["pending"])
            locks = held_locks(cpu)
            holds = "?" if locks is None else (", ".join(locks) if locks else "none")
            try:
                waits = wait_of(v["percpu"])
            except gdb.error:
                waits = ""
            mark = "*" if cpu == s["current"] else " "
            print("%scpu %d: %s, %s, irq %s, holds %s%s, cycles %d, steps %d, last %s, in %s" % (
                mark, cpu, v["state_name"].string(), task, irq, holds, waits, int(v["cycles"]), int(v["steps"]),
                v["last_op"].string(), where_is(cpu, s)))
        if not arg.strip() and s["cpus"] > len(listed):
            print("... %d more vCPUs (info vcpus FIRST-LAST)" % (s["cpus"] - len(listed)))


class VcpuCommand(gdb.Command):
    """vcpu N: show vCPU N's stack in gdb's frames (bt, frame, up, info locals); vcpu: which."""

    def __init__(self):
        super().__init__("vcpu", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        s = require_stop()
        if not arg.strip():
            shown = s["current"] if SESSION.selected is None else SESSION.selected
            print("lockstep: showing cpu %d (current cpu %d)" % (shown, s["current"]))
            return
        cpu = parse_int(arg.strip(), "the CPU")
        if cpu >= s["cpus"]:
            raise gdb.GdbError("lockstep: no cpu %d (the machine has %d)" % (cpu, s["cpus"]))
        select_vcpu(cpu, s)
        print("lockstep: cpu %d%s" % (cpu, " (current)" if cpu == s["current"] else ""))
        level, _ = program_frame()
        gdb.execute("frame %d" % (level if level is not None else 0))


class VstepCommand(gdb.Command):
    """vstep CPU: run until vCPU CPU performs its next scheduling point."""

    def __init__(self):
        super().__init__("vstep", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        s = require_stop()
        cpu = parse_int(arg.strip(), "the CPU") if arg.strip() else s["current"]
        if cpu >= s["cpus"]:
            raise gdb.GdbError("lockstep: no cpu %d (the machine has %d)" % (cpu, s["cpus"]))
        set_var("lockstep_debug_stop_at", s["step"] + 1)
        set_var("lockstep_debug_stop_cpu", cpu)
        SESSION.selected, SESSION.selected_fctx = None, 0
        gdb.invalidate_cached_frames()
        resume("continue")
        if running():
            set_var("lockstep_debug_stop_cpu", ANY_CPU)
        report_stop("cpu %d's next scheduling point" % cpu)


class VgotoCommand(gdb.Command):
    """vgoto N: run to scheduling point N (a point already passed: re-run the seed from the start)."""

    def __init__(self):
        super().__init__("vgoto", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        go_to(parse_int(arg.strip(), "the point"))


class VbackCommand(gdb.Command):
    """vback [K]: go back K scheduling points (default 1): the seed re-runs to the current point - K,
    so every vCPU is exactly as it was there."""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        s = require_stop()
        k = parse_int(arg.strip(), "K") if arg.strip() else 1
        if k < 1 or k >= s["step"]:
            raise gdb.GdbError("lockstep: cannot go back %d from scheduling point %d" % (k, s["step"]))
        run_from_start(s["step"] - k)


gdb.unwinder.register_unwinder(None, VcpuUnwinder(), replace=True)
StartCommand()
InfoVcpus()
VcpuCommand()
VstepCommand()
VgotoCommand()
VbackCommand("vback")
VbackCommand("reverse-point")
