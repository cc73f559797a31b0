# vstep on a vCPU that is not the current one lands on that vCPU's next point; vback from there
# re-runs to the point before, where the vCPUs' points add up to it again.
python
s = snapshot()
other = (s["current"] + 1) % s["cpus"]
gdb.execute("vstep %d" % other)
t = snapshot()
if t["current"] != other or t["step"] <= s["step"]:
    raise gdb.GdbError("CHECK failed: vstep %d stopped at point %d on cpu %d" % (other, t["step"], t["current"]))
print("CHECK vstep cpu %d: point %d" % (other, t["step"]))
gdb.execute("vback")
b = snapshot()
total = sum(int(b["vcpus"][c]["steps"]) for c in range(b["cpus"]))
if b["step"] != t["step"] - 1 or total != b["step"]:
    raise gdb.GdbError("CHECK failed: vback from %d reached %d (vCPU points sum %d)" % (t["step"], b["step"], total))
print("CHECK vback point %d" % b["step"])
end
info vcpus
