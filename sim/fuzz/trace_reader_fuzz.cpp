// libFuzzer target: the trace reader must turn any input into a TraceData or an InputError,
// never a crash, a hang or an unbounded allocation.
//
// With LOCKSTEP_FUZZ_FIX_CHECKSUM=1 in the environment the input's last 8 bytes are first
// replaced by the checksum of the rest, so that mutated header fields, counts and strings get
// past the checksum and reach the checks behind it (ctest fuzz.trace_reader_fields).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <lockstep/sim/checksum.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <vector>

namespace {

bool fix_checksum() {
  static const bool on = [] {
    const char* v = std::getenv("LOCKSTEP_FUZZ_FIX_CHECKSUM");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

void read(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (f == nullptr) return;
  try {
    (void)lockstep::sim::read_trace(f, "fuzz-input");
  } catch (const lockstep::sim::InputError&) {
  }
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;  // fmemopen rejects an empty buffer.
  if (!fix_checksum() || size < 8) {
    read(data, size);
    return 0;
  }
  std::vector<std::uint8_t> copy(data, data + size);
  lockstep::sim::Checksum sum;
  sum.update(copy.data(), size - 8);
  const std::uint64_t value = sum.value();
  std::memcpy(copy.data() + size - 8, &value, 8);  // Little-endian, as the writer stores it.
  read(copy.data(), size);
  return 0;
}
