#pragma once
// The lock validator's facts (core/lockdep.hpp) on the host side: taken from this process's
// graph, carried between processes (explore's workers, shard files), and merged into this
// process's graph, where the validator's own rules judge them. One graph, one set of rules:
// merging reuses the core, it does not re-implement it.

#include <cstdint>
#include <lockstep/core/lockdep.hpp>
#include <string>
#include <vector>

namespace lockstep::sim {

struct LockFact {
  core::LockdepFactKind kind = core::LockdepFactKind::kOrder;
  std::string lock;  ///< The class (for an order: the one held).
  std::string then;  ///< An order's class taken while `lock` was held; empty otherwise.
  std::uint64_t run = 0;
  std::uint32_t cpu = 0;
  std::uint64_t time = 0;
  std::string file;  ///< Where in the source (empty: not known).
  std::uint32_t line = 0;
};

/// The facts this process's graph learned from index `cursor` on; advances `cursor`.
std::vector<LockFact> new_lock_facts(std::uint32_t& cursor);

/// Adds `facts` to this process's graph. Returns the first report they caused ("" if none).
std::string merge_lock_facts(const std::vector<LockFact>& facts);

/// The names of the fact kinds in files: "order", "in-irq", "task-irqs-on", "irqs-off".
const char* to_string(core::LockdepFactKind kind);
bool parse_lock_fact_kind(const std::string& name, core::LockdepFactKind& kind);

}  // namespace lockstep::sim
