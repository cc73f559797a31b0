// The view server's limits and API, over real sockets: it serves only its own files (404 for
// traversal in every spelling), bounds request, header and WebSocket message sizes, survives
// malformed requests, answers windows of bounded size even for 10 million events, follows a
// live run, and stops cleanly.
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20).

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <gtest/gtest.h>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/view.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "model.hpp"

namespace {

using namespace lockstep;
using nlohmann::json;

/// Sends raw bytes to 127.0.0.1:port, half-closes nothing, and reads until the server closes
/// or `timeout_ms` of silence. Returns everything received.
std::string send_raw(std::uint16_t port, const std::string& bytes, int timeout_ms = 3000) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // The server may close early on an oversized request: fine.
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : response.substr(p + 4);
}

std::string get(std::uint16_t port, const std::string& target, const std::string& extra = "") {
  return send_raw(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                            "\r\nConnection: close\r\n" + extra + "\r\n");
}

/// A small real run, held in memory.
sim::TraceData small_trace(std::uint64_t seed) {
  sim::RunOptions o;
  o.scenario = "mixed";
  o.machine.cpus = 4;
  o.machine.seed = seed;
  const sim::ScenarioRun run = sim::run_scenario(o);
  sim::TraceData d;
  d.config = sim::trace_config_of(o);
  d.cpus = run.trace;
  std::vector<std::uint64_t> locks;
  for (auto& c : d.cpus) sim::number_locks(c, locks);
  d.lost = run.trace_lost;
  d.outcome.passed = run.passed;
  d.outcome.reason = run.reason;
  return d;
}

/// A server on a free port, run on its own thread for the test's lifetime.
class Served {
 public:
  explicit Served(sim::ViewOptions o) {
    o.port = 0;
    o.on_listening = [](const std::string&, std::uint16_t) {};
    server_ = std::make_unique<sim::ViewServer>(std::move(o));
    thread_ = std::thread([this] { server_->run(false); });
  }
  ~Served() {
    server_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return server_->port(); }
  sim::ViewServer& server() { return *server_; }

 private:
  std::unique_ptr<sim::ViewServer> server_;
  std::thread thread_;
};

class ViewServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim::ViewOptions o;
    o.loaded.emplace_back("seven", small_trace(7));
    sim::TraceData b = small_trace(7);
    b.cpus[1][b.cpus[1].size() / 2].a ^= 1;  // The planted divergence.
    o.loaded.emplace_back("seven-changed", std::move(b));
    served_ = new Served(std::move(o));
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  static std::uint16_t port() { return served_->port(); }
  static inline Served* served_ = nullptr;
};

TEST_F(ViewServerTest, ServesThePageAndItsScript) {
  const std::string index = get(port(), "/");
  EXPECT_EQ(status_of(index), 200) << index.substr(0, 200);
  EXPECT_NE(index.find("<canvas id=\"lanes\""), std::string::npos);
  EXPECT_NE(index.find("Content-Security-Policy"), std::string::npos);
  EXPECT_EQ(status_of(get(port(), "/index.html")), 200);
  EXPECT_EQ(status_of(get(port(), "/viewer.js")), 200);
  EXPECT_EQ(status_of(get(port(), "/viewer.css")), 200);
  // HEAD: headers only.
  const std::string head = send_raw(port(), "HEAD /viewer.js HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port()) +
                                                "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(head), 200);
  EXPECT_TRUE(body_of(head).empty());
}

TEST_F(ViewServerTest, AnythingOutsideItsFilesIs404) {
  for (const std::string target :
       {"/../../../../etc/passwd", "/..", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd", "/..%2f..%2fetc%2fpasswd",
        "/%252e%252e/etc/passwd", "/..\\..\\etc\\passwd", "/.%2e/x", "//etc/passwd", "/etc/passwd", "/index.html/../../x",
        "/./index.html", "/index.html%00", "/viewer.js/", "/api/../index.html", "/api/%2e%2e/traces", "/CMakeLists.txt",
        "/src/viewer.js", "http://127.0.0.1/etc/passwd", "file:///etc/passwd", "*"}) {
    const std::string r = get(port(), target);
    EXPECT_EQ(status_of(r), 404) << target << "\n" << r.substr(0, 200);
    EXPECT_EQ(r.find("root:"), std::string::npos) << target;
  }
}

TEST_F(ViewServerTest, RequestSizesAreBounded) {
  // Target longer than the limit.
  EXPECT_EQ(status_of(get(port(), "/" + std::string(3000, 'a'))), 414);
  // One huge header, then many headers.
  EXPECT_EQ(status_of(get(port(), "/", "X-Big: " + std::string(20'000, 'b') + "\r\n")), 431);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(get(port(), "/", many)), 431);
  // A body over the limit, announced and actually sent.
  const std::string body(100'000, 'x');
  EXPECT_EQ(status_of(send_raw(port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port()) +
                                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body)),
            413);
  // An absurd announced length is refused before anything is read.
  EXPECT_EQ(status_of(get(port(), "/", "Content-Length: 99999999999999\r\n")), 413);
  EXPECT_EQ(status_of(get(port(), "/")), 200);
}

TEST_F(ViewServerTest, MalformedRequestsNeverCrashIt) {
  const std::string bad[] = {
      [] {
        static constexpr char kGarbage[] = "\x00\x01\x02\x03\xff\xfe garbage\r\n\r\n";
        return std::string(kGarbage, sizeof kGarbage - 1);  // Embedded NULs: length from the array.
      }(),
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde",
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
      "GET / HTTP/1.1\r\nBad Header No Colon\r\n\r\n",
      "GET /api/window?trace=0&t0=5&t1=1 HTTP/1.1\r\n\r\n",
      "GET /api/window?trace=abc HTTP/1.1\r\n\r\n",
      "GET /api/window?trace=0&px=0 HTTP/1.1\r\n\r\n",
      "GET /api/window?trace=0&t0=0&t1=18446744073709551615 HTTP/1.1\r\n\r\n",
      "GET /api/window?trace=0&t0=99999999999999999999999 HTTP/1.1\r\n\r\n",
      "GET /api/event?trace=0&cpu=4294967296&index=0 HTTP/1.1\r\n\r\n",
      "GET /api/event?trace=99&cpu=0&index=0 HTTP/1.1\r\n\r\n",
      "GET /api/search?trace=0&type=%ZZ HTTP/1.1\r\n\r\n",
      "GET /api/search?trace=0&type=%0a HTTP/1.1\r\n\r\n",
      "GET /api/search?trace=0&type=%2 HTTP/1.1\r\n\r\n",
      "GET /api/search?trace=0&type=nonsense HTTP/1.1\r\n\r\n",
      "GET /api/diff?a=0&b=7 HTTP/1.1\r\n\r\n",
      "GET /api/live HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      "POST /api/traces HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "DELETE / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n",
  };
  for (const std::string& b : bad) {
    const std::string r = send_raw(port(), b, 300);
    const int s = status_of(r);
    // Either a 4xx answer or a closed connection, never a 2xx or a 5xx.
    EXPECT_TRUE(s == -1 || (s >= 400 && s < 500)) << b << "\n" << r.substr(0, 200);
  }
  // A client that connects and goes quiet, or half-sends a request, holds nothing it should not.
  std::thread slow([p = port()] { send_raw(p, "GET / HTT", 500); });
  slow.join();
  // Still serving.
  EXPECT_EQ(status_of(get(port(), "/api/traces")), 200);
  EXPECT_EQ(status_of(send_raw(port(), "GET / HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n")), 403);
  EXPECT_EQ(status_of(send_raw(port(), "POST / HTTP/1.1\r\nConnection: close\r\n\r\n")), 405);
}

TEST_F(ViewServerTest, ApiAnswersWindowsEventsSearchProfileAndDiff) {
  const json traces = json::parse(body_of(get(port(), "/api/traces")));
  ASSERT_EQ(traces["traces"].size(), 2u);
  const json meta = traces["traces"][0];
  EXPECT_EQ(meta["cpus"], 4);
  EXPECT_GT(meta["events"].get<std::uint64_t>(), 100u);
  const std::uint64_t t0 = meta["t_min"], t1 = meta["t_max"].get<std::uint64_t>() + 1;
  const json w = json::parse(body_of(get(port(), "/api/window?trace=0&t0=" + std::to_string(t0) + "&t1=" +
                                                     std::to_string(t1) + "&px=800")));
  ASSERT_EQ(w["lanes"].size(), 4u);
  EXPECT_GT(w["flows"].size(), 0u);
  for (const auto& lane : w["lanes"]) EXPECT_LE(lane["spans"].size(), 2u * 800u + 2u);

  const json ev = json::parse(body_of(get(port(), "/api/event?trace=0&cpu=1&index=3")));
  EXPECT_EQ(ev["cpu"], 1);
  EXPECT_NE(ev["run_command"].get<std::string>().find("run --scenario mixed --cpus 4 --seed 7 --strategy random"),
            std::string::npos)
      << ev.dump();
  // The same run under gdb, stopped at this event (record 3 of cpu 1, after the records its ring lost).
  const std::string debug = ev["debug_command"].get<std::string>();
  EXPECT_NE(debug.find("debug --scenario mixed --cpus 4 --seed 7 --strategy random"), std::string::npos) << debug;
  EXPECT_NE(debug.find(" --stop-at-event record:1:"), std::string::npos) << debug;
  EXPECT_EQ(status_of(get(port(), "/api/event?trace=0&cpu=1&index=999999999")), 404);

  const json s = json::parse(body_of(get(port(), "/api/search?trace=0&type=ipi-sent&cpu=0&limit=5")));
  EXPECT_GT(s["total"].get<std::uint64_t>(), 0u);
  EXPECT_LE(s["hits"].size(), 5u);
  for (const auto& h : s["hits"]) EXPECT_EQ(h["cpu"], 0);

  const json p = json::parse(body_of(get(port(), "/api/profile?trace=0")));
  EXPECT_EQ(p["cpus"].size(), 4u);

  const json d = json::parse(body_of(get(port(), "/api/diff?a=0&b=1")));
  ASSERT_FALSE(d["identical"].get<bool>()) << d.dump();
  EXPECT_EQ(d["cpu"], 1);
  const json same = json::parse(body_of(get(port(), "/api/diff?a=0&b=0")));
  EXPECT_TRUE(same["identical"].get<bool>());
}

TEST_F(ViewServerTest, WebSocketMessagesAreBounded) {
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  boost::asio::io_context ioc;
  websocket::stream<boost::asio::ip::tcp::socket> ws(ioc);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port()});
  ws.handshake("127.0.0.1:" + std::to_string(port()), "/api/live");
  beast::flat_buffer buf;
  ws.read(buf);
  EXPECT_NE(beast::buffers_to_string(buf.data()).find("\"hello\""), std::string::npos);
  buf.consume(buf.size());
  ws.write(boost::asio::buffer(std::string("ping")));
  ws.read(buf);
  EXPECT_NE(beast::buffers_to_string(buf.data()).find("pong"), std::string::npos);
  buf.consume(buf.size());
  // Over the limit: the server closes the socket with "message too big" (1009).
  beast::error_code ec;
  ws.write(boost::asio::buffer(std::string(8 * 1024, 'x')), ec);
  ASSERT_FALSE(ec) << ec.message();
  ws.read(buf, ec);
  // The server's close frame (1009) arrives; the socket may already be gone when the client
  // echoes it (broken pipe), which is fine.
  EXPECT_TRUE(ec);
  EXPECT_EQ(ws.reason().code, websocket::close_code::too_big) << ec.message();
  // A WebSocket opened from another site's page is refused.
  websocket::stream<boost::asio::ip::tcp::socket> evil(ioc);
  evil.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port()});
  evil.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& r) { r.set(beast::http::field::origin, "http://evil.example"); }));
  evil.handshake("127.0.0.1:" + std::to_string(port()), "/api/live", ec);
  EXPECT_TRUE(ec) << "cross-origin WebSocket accepted";
  EXPECT_EQ(status_of(get(port(), "/api/traces")), 200);
}

TEST(ViewServer, BindsLoopbackOnlyAndRefusesABusyPort) {
  sim::ViewOptions o;
  o.loaded.emplace_back("t", small_trace(1));
  Served a(o);
  sim::ViewOptions again;
  again.loaded.emplace_back("t", small_trace(1));
  again.port = a.port();
  EXPECT_THROW(sim::ViewServer{std::move(again)}, sim::InputError);
  // The listening socket is on 127.0.0.1.
  EXPECT_EQ(a.server().url(), "http://127.0.0.1:" + std::to_string(a.port()) + "/");
}

// Clients that send their headers slowly (or not at all) fill every slot; a browser tab that
// comes after them still loads: it takes the place of the one that has waited longest.
TEST(ViewServer, SlowClientsCannotLockOutANewOne) {
  sim::ViewOptions o;
  o.loaded.emplace_back("t", small_trace(2));
  o.limits.max_connections = 4;
  Served served(std::move(o));
  std::vector<int> slow;
  for (int i = 0; i < 12; ++i) {  // Three times the limit, each with half a request line.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(served.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_GT(::send(fd, "GET /index", 10, MSG_NOSIGNAL), 0);
    slow.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // Let the server take them all.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_of(get(served.port(), "/")), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "the new client waited for a timeout";
  for (const int fd : slow) ::close(fd);
}

TEST(ViewServer, BadTraceFileIsAClearError) {
  sim::ViewOptions o;
  o.traces = {"/nonexistent/x.trace"};
  EXPECT_EQ(sim::run_view_server(o), 2);
}

TEST(ViewServer, StopsCleanly) {
  sim::ViewOptions o;
  o.loaded.emplace_back("t", small_trace(2));
  o.port = 0;
  o.on_listening = [](const std::string&, std::uint16_t) {};
  sim::ViewServer server(std::move(o));
  std::thread t([&] { server.run(false); });
  // An idle open connection must not keep it alive.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ::close(fd);
}

TEST(ViewServer, FollowsALiveRunToItsEnd) {
  sim::RunOptions run;
  run.scenario = "mixed";
  run.machine.cpus = 4;
  run.machine.seed = 3;
  const sim::ScenarioRun full = sim::run_scenario(run);
  std::uint64_t full_events = 0;
  for (const auto& c : full.trace) full_events += c.size();

  sim::ViewOptions o;
  o.live = [run](sim::LiveTrace& live) { sim::feed_live_run(run, live, 250); };
  Served s(std::move(o));
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  boost::asio::io_context ioc;
  websocket::stream<boost::asio::ip::tcp::socket> ws(ioc);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), s.port()});
  ws.handshake("127.0.0.1:" + std::to_string(s.port()), "/api/live");
  std::vector<std::uint64_t> seen;
  bool finished = false;
  while (!finished) {
    beast::flat_buffer buf;
    ws.read(buf);
    const json m = json::parse(beast::buffers_to_string(buf.data()));
    if (m["type"] != "update") continue;
    seen.push_back(m["meta"]["events"]);
    finished = m["meta"]["finished"];
  }
  ASSERT_GE(seen.size(), 2u) << "the lanes should grow in steps";
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), full_events);
  // The live model equals the recorded run, event for event.
  const json ev = json::parse(body_of(get(s.port(), "/api/search?trace=0&limit=1&cpu=0")));
  EXPECT_EQ(ev["total"].get<std::uint64_t>(), full.trace[0].size());
}

TEST(ViewModel, TenMillionEventsAnswerAScreenful) {
  // Synthetic lanes: switches, interrupts and IPIs; the window answer is bounded by pixels.
  constexpr std::uint32_t kCpus = 8;
  constexpr std::size_t kPerCpu = 10'000'000 / kCpus;
  std::vector<std::vector<core::TraceRecord>> cpus(kCpus);
  for (std::uint32_t c = 0; c < kCpus; ++c) {
    auto& v = cpus[c];
    v.reserve(kPerCpu);
    for (std::size_t i = 0; i < kPerCpu; ++i) {
      core::TraceRecord r{};
      r.time = i * 10 + c;
      r.cpu = static_cast<std::uint16_t>(c);
      switch (i % 5) {
        case 0: r.type = core::TraceType::kTaskSwitch; r.a = static_cast<std::uint32_t>(i % 7); break;
        case 1: r.type = core::TraceType::kIpiSent; r.a = (c + 1) % kCpus; r.aux = 0; break;
        case 2: r.type = core::TraceType::kIpiReceived; r.aux = 0; break;
        case 3: r.type = core::TraceType::kIrqEnter; r.aux = 0; break;
        default: r.type = core::TraceType::kIrqExit; r.aux = 0; break;
      }
      v.push_back(r);
    }
  }
  sim::TraceConfig config;
  config.cpus = kCpus;
  const auto start = std::chrono::steady_clock::now();
  const auto m = sim::view::build_model("big", config, {}, std::move(cpus), {});
  const auto built = std::chrono::steady_clock::now();
  EXPECT_EQ(m.events, 10'000'000u);
  const std::string whole = sim::view::window_json(m, {m.t_min, m.t_max + 1, 1600}, 20'000).dump();
  const auto answered = std::chrono::steady_clock::now();
  EXPECT_LT(whole.size(), 4u << 20) << "the whole-trace window must be a screenful, not the trace";
  const std::string zoomed = sim::view::window_json(m, {m.t_max / 2, m.t_max / 2 + 2000, 1600}, 20'000).dump();
  EXPECT_NE(zoomed.find("\"flows\":[["), std::string::npos);
  std::printf("10M events: model %.2f s, whole-trace window %.3f s, %zu bytes\n",
              std::chrono::duration<double>(built - start).count(),
              std::chrono::duration<double>(answered - built).count(), whole.size());
}

}  // namespace
