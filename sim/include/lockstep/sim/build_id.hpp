#pragma once
// The build id: the project version and a hash of the sources of core/, hal/ and sim/, baked in
// at build time (sim/cmake/build_id.cmake). Trace files record it; replay refuses a trace from
// another build unless forced, since other code makes other schedules.

namespace lockstep::sim {

/// A string such as "0.1.0-3f2a9c0d1e4b5a67". Any thread.
const char* build_id() noexcept;

}  // namespace lockstep::sim
