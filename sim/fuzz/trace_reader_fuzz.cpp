// libFuzzer target: the trace reader must turn any input into a TraceData or an InputError,
// never a crash, a hang or an unbounded allocation.

#include <cstdint>
#include <cstdio>
#include <lockstep/sim/trace_file.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;  // fmemopen rejects an empty buffer.
  std::FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (f == nullptr) return 0;
  try {
    (void)lockstep::sim::read_trace(f, "fuzz-input");
  } catch (const lockstep::sim::InputError&) {
  }
  std::fclose(f);
  return 0;
}
