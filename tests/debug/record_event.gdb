# --stop-at-event record:1:3 (the viewer's event #3 of cpu 1): the engine stops on cpu 1 at its
# first point after it wrote that record, so its trace ring holds exactly 4 records.
python
s = snapshot()
written = int(value("'lockstep::core::(anonymous namespace)::g_cpus'[1].trace.written"))
if s["current"] != 1 or written != 4:
    raise gdb.GdbError("CHECK failed: cpu %d, cpu 1 wrote %d records" % (s["current"], written))
print("CHECK record 3 of cpu 1 at point %d" % s["step"])
end
