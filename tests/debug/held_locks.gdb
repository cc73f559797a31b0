# At the first contention on stress.ticket its holder is another vCPU: list it, then show the
# holder's own stack (a suspended fiber), which must be core code, not the current vCPU's.
info vcpus
python
s = snapshot()
holders = [c for c in range(s["cpus"]) if c != s["current"] and "'stress.ticket'" in (held_locks(c) or [])]
if not holders:
    raise gdb.GdbError("CHECK failed: no other vCPU holds stress.ticket")
print("CHECK holder cpu %d, current cpu %d" % (holders[0], s["current"]))
gdb.execute("vcpu %d" % holders[0])
end
bt
