#include <lockstep/baremetal/protocol_writer.hpp>

namespace lockstep::baremetal {

void protocol_line(const char* text) noexcept {
  core::TextBuffer b;
  b.put(protocol::kLinePrefix);
  b.put(text);
  b.put('\n');
  b.flush();
}

}  // namespace lockstep::baremetal
