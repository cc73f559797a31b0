# At --stop-at 5000: the engine's own counter says 5000, and every vCPU's points add up to it.
info vcpus
python
s = snapshot()
total = sum(int(s["vcpus"][c]["steps"]) for c in range(s["cpus"]))
if s["step"] != 5000 or total != 5000:
    raise gdb.GdbError("CHECK failed: step %d, vCPU points sum to %d" % (s["step"], total))
print("CHECK point %d, vCPU points sum %d" % (s["step"], total))
end
