#pragma once
// Trials of a search: runs seeds in order until one fails, each trial in its own process (a
// failing run leaves the scenario's state behind), several trials at a time. Shared by the
// bug-finding benchmark and the search regression tests.

#include <cstdint>
#include <lockstep/sim/scenario_run.hpp>
#include <vector>

namespace lockstep::bugs {

struct Trial {
  std::uint64_t runs = 0;  ///< Runs until the first failure (inclusive); 0: none in the budget.
  double seconds = 0;      ///< The trial's time; per run when nothing was found.
};

/// `trials` trials of at most `budget` runs of `o`, `jobs` processes at a time; trial i tries
/// the seeds first_seed + i * budget onwards. Throws std::runtime_error if a trial's process dies.
std::vector<Trial> run_trials(const sim::RunOptions& o, unsigned trials, std::uint64_t budget, unsigned jobs,
                              std::uint64_t first_seed = 1);

/// How many of the seeds first_seed .. first_seed + runs - 1 fail, run one after another in a
/// child process (for programs whose failures end cleanly, as bench/bugs' do).
std::uint64_t count_failures(const sim::RunOptions& o, std::uint64_t first_seed, std::uint64_t runs);

}  // namespace lockstep::bugs
