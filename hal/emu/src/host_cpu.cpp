#include <lockstep/emu/host_cpu.hpp>

#include "engine.hpp"

namespace lockstep::emu {

HostCpuScope::HostCpuScope(hal::CpuId id, void* percpu) noexcept
    : saved_cpu_(detail::tl_cpu), saved_det_(detail::tl_det), saved_engine_(detail::tl_engine) {
  cpu_.id = id;
  cpu_.percpu = percpu;
  detail::tl_cpu = &cpu_;
  detail::tl_det = false;
  detail::tl_engine = nullptr;
}

HostCpuScope::~HostCpuScope() {
  detail::tl_cpu = saved_cpu_;
  detail::tl_det = saved_det_;
  detail::tl_engine = static_cast<detail::Engine*>(saved_engine_);
}

}  // namespace lockstep::emu
