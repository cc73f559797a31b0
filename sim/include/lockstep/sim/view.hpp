#pragma once
// The trace viewer's server (`lockstep view`): an HTTP server on 127.0.0.1 that serves the
// page of tools/trace-viewer (embedded in the binary at build time) and answers the page's
// questions about one or two traces (a time window of lanes, IPI arrows, lock spans, counters,
// search, the profiler table, the first divergence of two traces). The page never receives
// the trace file: the server decodes it and sends at most a screenful of items per request,
// so a 10-million-event trace opens at once. A WebSocket (/api/live) tells pages when a live
// trace has grown. Everything runs on one thread; nothing but its own files is served.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <lockstep/core/trace.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lockstep::sim {

/// Bounds on what a client may send. Requests beyond them are refused (413/431/close), never
/// buffered.
struct ViewLimits {
  std::size_t max_target_bytes = 2048;       ///< Request line target (path + query).
  std::size_t max_header_bytes = 8 * 1024;   ///< All header fields together.
  std::size_t max_body_bytes = 4 * 1024;     ///< The API takes no bodies; a small one is tolerated.
  std::size_t max_ws_message_bytes = 4096;   ///< A larger WebSocket message closes that socket.
  /// At the limit a new connection takes the place of the one that has waited longest for its
  /// request to arrive (a slow or stuck client), so a browser tab still loads; only when every
  /// connection is busy serving is the newcomer closed.
  std::size_t max_connections = 64;
  std::uint32_t idle_timeout_seconds = 30;   ///< An HTTP connection silent this long is closed.
  std::uint32_t header_timeout_seconds = 10; ///< A request whose header takes longer is closed.
  std::size_t max_items = 20'000;            ///< Instants per lane in one window answer.
};

class LiveTrace;

/// What `lockstep view` serves.
struct ViewOptions {
  /// Trace files: one to view, two to compare (the page's diff view). With `live` set, may be empty.
  std::vector<std::string> traces;
  /// Traces already in memory (tests, `view --live` after the run); served after `traces`.
  std::vector<std::pair<std::string, TraceData>> loaded;
  std::uint16_t port = 8421;  ///< 0: any free port (the URL printed names it).
  bool open_browser = false;  ///< Run xdg-open on the URL once listening.
  std::string program = "lockstep";  ///< Binary named in the reproduction commands.
  /// Profiler label names by id, when known (the trace file records ids only).
  std::vector<std::string> label_names;
  /// When set: a live trace. Called once on a worker thread with the LiveTrace to feed; the
  /// page follows it over the WebSocket. The server keeps running after it returns.
  std::function<void(LiveTrace&)> live;
  ViewLimits limits;
  /// Called on the server thread once listening (tests read the port here). Default: prints
  /// the URL and "press Ctrl-C to stop" to stdout.
  std::function<void(const std::string& url, std::uint16_t port)> on_listening;
};

/// The sink a live run writes into. Thread-safe: the feeder calls it from its own thread; the
/// server applies each call on its thread, in call order.
class LiveTrace {
 public:
  virtual ~LiveTrace() = default;
  /// Starts (or restarts) the live trace with this configuration; drops earlier records.
  virtual void begin(const TraceConfig& config) = 0;
  /// Appends records of one CPU (oldest first, after the ones already given for that CPU).
  virtual void append(std::uint32_t cpu, std::span<const core::TraceRecord> records) = 0;
  /// The run ended.
  virtual void finish(const TraceOutcome& outcome) = 0;
  /// True once the server is stopping: a feeder should return soon.
  virtual bool stopping() const = 0;
};

/// The server. Construct, then run() on one thread; stop() from any thread (or a signal).
class ViewServer {
 public:
  /// Reads the trace files (throws InputError naming a bad file) and binds 127.0.0.1:port
  /// (throws InputError if it cannot).
  explicit ViewServer(ViewOptions options);
  ~ViewServer();
  ViewServer(const ViewServer&) = delete;
  ViewServer& operator=(const ViewServer&) = delete;

  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:PORT/".
  std::string url() const;
  /// Serves until stop(). With `handle_signals`, SIGINT and SIGTERM stop it too.
  void run(bool handle_signals);
  /// Stops accepting, closes every connection and makes run() return. Any thread.
  void stop();

  struct Impl;  ///< The server's state (server.cpp).

 private:
  std::unique_ptr<Impl> impl_;
};

/// `lockstep view`: serves until Ctrl-C. Returns the exit status (0 after a clean stop, 2 for
/// a bad trace file or a port in use, with a one-line message on stderr).
int run_view_server(const ViewOptions& options);

/// A live feeder for `lockstep view --live -- run ...`: runs `options` on the deterministic
/// engine and publishes the run as it advances. The engine has no hook into a running machine,
/// so the feeder re-runs the same seed with a growing virtual-time limit (a deterministic run
/// cut at time T is a prefix of the full run) and appends each run's new records; the last
/// step runs without a limit and publishes the outcome. `pause_ms` between steps lets a person
/// watch the lanes grow.
void feed_live_run(const RunOptions& options, LiveTrace& live, std::uint32_t pause_ms = 150);

}  // namespace lockstep::sim
