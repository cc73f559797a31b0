#include <lockstep/sim/lock_facts.hpp>
#include <set>

namespace lockstep::sim {
namespace {

constexpr const char* kKindNames[] = {"order", "in-irq", "task-irqs-on", "irqs-off"};

/// The graph keeps name pointers: imported names live as long as the process.
const char* interned(const std::string& name) {
  static std::set<std::string> names;
  return names.insert(name).first->c_str();
}

}  // namespace

std::vector<LockFact> new_lock_facts(std::uint32_t& cursor) {
  std::vector<LockFact> out;
  cursor = core::lockdep_facts(
      cursor,
      [](const core::LockdepFact& f, void* arg) {
        static_cast<std::vector<LockFact>*>(arg)->push_back(
            LockFact{f.kind, f.lock, f.then != nullptr ? f.then : "", f.run, f.cpu, f.time,
                     f.source.file != nullptr ? f.source.file : "", f.source.line});
      },
      &out);
  return out;
}

std::string merge_lock_facts(const std::vector<LockFact>& facts) {
  core::lockdep_begin_import();
  for (const LockFact& f : facts) {
    const bool order = f.kind == core::LockdepFactKind::kOrder;
    const core::SourceSite source{f.file.empty() ? nullptr : interned(f.file), f.line};
    core::lockdep_import(core::LockdepFact{f.kind, interned(f.lock), order ? interned(f.then) : nullptr, f.run,
                                           static_cast<hal::CpuId>(f.cpu), f.time, source});
  }
  const char* report = core::lockdep_report();
  return report != nullptr ? report : "";
}

const char* to_string(core::LockdepFactKind kind) { return kKindNames[static_cast<int>(kind)]; }

bool parse_lock_fact_kind(const std::string& name, core::LockdepFactKind& kind) {
  for (int i = 0; i < 4; ++i) {
    if (name != kKindNames[i]) continue;
    kind = static_cast<core::LockdepFactKind>(i);
    return true;
  }
  return false;
}

}  // namespace lockstep::sim
