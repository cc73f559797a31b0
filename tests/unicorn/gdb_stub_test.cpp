// The GDB stub: the protocol's framing, its commands on a small SMP guest, its error replies to
// malformed packets (over TCP too), and a bounded fuzz of random packets and bytes.

// clang-format off
#include <utility>  // Before Asio (FACTS: Boost 1.74 under C++20).
// clang-format on
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <condition_variable>
#include <lockstep/emu/prng.hpp>
#include <lockstep/sim/gdb_rsp.hpp>
#include <lockstep/sim/gdb_server.hpp>
#include <lockstep/sim/gdb_stub.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lockstep::sim::gdb {
namespace {

namespace uc = emu::unicorn;

uc::MachineConfig guest(std::uint32_t cpus = 2) {
  uc::MachineConfig c;
  c.image = LOCKSTEP_GUEST_CORRECT;
  c.cpus = cpus;
  c.seed = 5;
  c.ram_bytes = 16u << 20;  // Enough for the guest; keeps the fuzz's re-executions cheap.
  return c;
}

std::vector<Incoming> read_all(std::string_view bytes) {
  PacketReader r;
  std::vector<Incoming> out;
  for (char b : bytes)
    if (auto in = r.feed(b)) out.push_back(std::move(*in));
  return out;
}

std::string ask(Stub& stub, std::string_view packet) {
  std::vector<std::string> notices;
  return stub.handle(packet, {}, notices);
}

TEST(GdbRsp, FramesAndReadsBackEscapedPayloads) {
  const std::string payload = "m$#}*x";
  const std::string framed = frame(payload);
  EXPECT_EQ(framed.find('$', 1), std::string::npos);  // Reserved bytes are escaped.
  const auto got = read_all("+" + framed + "-");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, Incoming::kPacket);
  EXPECT_EQ(got[0].payload, payload);
  EXPECT_EQ(frame("OK"), "$OK#9a");  // The manual's example checksum.
}

TEST(GdbRsp, BadChecksumOverlongAndInterrupt) {
  EXPECT_EQ(read_all("$OK#00")[0].kind, Incoming::kBadPacket);
  EXPECT_EQ(read_all("$OK#zz")[0].kind, Incoming::kBadPacket);
  EXPECT_EQ(read_all(frame(std::string(kMaxPacket + 10, 'a')))[0].kind, Incoming::kOverlong);
  EXPECT_EQ(read_all("\x03")[0].kind, Incoming::kInterrupt);
  // A packet torn by a new '$' is dropped; the new one is read.
  const auto got = read_all("$mabc" + frame("g"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "g");
}

TEST(GdbRsp, Hex) {
  EXPECT_EQ(to_hex_le(0x1122334455667788ULL, 8), "8877665544332211");
  EXPECT_EQ(to_hex_le(0x3c5, 4), "c5030000");
  EXPECT_EQ(from_hex("4f4b"), "OK");
  EXPECT_FALSE(from_hex("4f4"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(parse_hex("40200000"), 0x40200000u);
  EXPECT_FALSE(parse_hex(""));
  EXPECT_FALSE(parse_hex("12345678901234567"));
}

TEST(GdbStub, ThreadsRegistersMemoryAndTargetDescription) {
  uc::Debugger d(guest(2));
  ASSERT_EQ(d.error(), "");
  Stub stub(d);
  const std::string supported = ask(stub, "qSupported:multiprocess+;swbreak+");
  EXPECT_NE(supported.find("ReverseStep+"), std::string::npos);
  EXPECT_NE(supported.find("ReverseContinue+"), std::string::npos);
  EXPECT_NE(supported.find("qXfer:features:read+"), std::string::npos);
  EXPECT_EQ(ask(stub, "qfThreadInfo"), "m1,2");
  EXPECT_EQ(ask(stub, "qsThreadInfo"), "l");
  EXPECT_EQ(ask(stub, "?"), "T05thread:1;");
  EXPECT_EQ(ask(stub, "T2"), "OK");
  EXPECT_EQ(ask(stub, "T3"), "E01");
  EXPECT_EQ(ask(stub, "g").size(), 2u * (33 * 8 + 4));
  const std::uint64_t start = d.symbol("_start");
  EXPECT_EQ(ask(stub, "p20"), to_hex_le(start, 8));  // Register 32 is the pc.
  const std::string xml = ask(stub, "qXfer:features:read:target.xml:0,ffff");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("org.gnu.gdb.aarch64.core"), std::string::npos);
  EXPECT_EQ(ask(stub, "qXfer:features:read:target.xml:0,10")[0], 'm');  // More to come.
  // Memory: the first instruction, as the image has it.
  const std::string code = ask(stub, fmt::format("m{:x},4", start));
  EXPECT_EQ(code.size(), 8u);
  EXPECT_EQ(ask(stub, "m0,4"), "E0e");  // Outside RAM.
  const std::uint64_t counter = d.symbol("counter");
  EXPECT_EQ(ask(stub, fmt::format("M{:x},8:0100000000000000", counter)), "OK");
  EXPECT_EQ(ask(stub, fmt::format("m{:x},8", counter)), "0100000000000000");
}

TEST(GdbStub, BreakpointContinueStepAndReverseStep) {
  uc::Debugger d(guest(2));
  Stub stub(d);
  const std::uint64_t target = d.symbol("done");  // Data, never executed: a breakpoint never hit.
  ASSERT_NE(target, 0u);
  std::vector<std::string> notices;
  EXPECT_EQ(ask(stub, "s"), "T05thread:1;");
  EXPECT_EQ(ask(stub, "p20"), to_hex_le(d.symbol("_start") + 4, 8));
  EXPECT_EQ(ask(stub, "bs"), "T05thread:1;");
  EXPECT_EQ(ask(stub, "p20"), to_hex_le(d.symbol("_start"), 8));
  EXPECT_EQ(ask(stub, "bs"), "T05replaylog:begin;thread:1;");
  EXPECT_EQ(ask(stub, fmt::format("Z0,{:x},4", target)), "OK");
  const std::string end = stub.handle("c", {}, notices);
  EXPECT_EQ(end.substr(0, 19), "T05replaylog:end;th");
  ASSERT_FALSE(notices.empty());
  EXPECT_EQ(notices.back()[0], 'O');
  EXPECT_TRUE(d.ended());
  EXPECT_EQ(d.result().console, "B\nPASS\n");
}

TEST(GdbStub, MalformedAndUnknownPacketsGetErrorReplies) {
  uc::Debugger d(guest(1));
  Stub stub(d);
  EXPECT_EQ(ask(stub, "m"), "E16");
  EXPECT_EQ(ask(stub, "mzz,4"), "E16");
  EXPECT_EQ(ask(stub, "m40200000,zz"), "E16");
  EXPECT_EQ(ask(stub, "m40200000,100000"), "E01");  // Longer than a reply can be.
  EXPECT_EQ(ask(stub, "M40200000,4:00"), "E16");    // Length and data disagree.
  EXPECT_EQ(ask(stub, "p99"), "E01");
  EXPECT_EQ(ask(stub, "P0=12"), "E01");  // x0 is 8 bytes.
  EXPECT_EQ(ask(stub, "Pzz"), "E16");
  EXPECT_EQ(ask(stub, "G00"), "E16");
  EXPECT_EQ(ask(stub, "Hgzz"), "E01");
  EXPECT_EQ(ask(stub, "Z2,40200000,4"), "");  // Watchpoints: not supported.
  EXPECT_EQ(ask(stub, "vCont?"), "");
  EXPECT_EQ(ask(stub, "qNoSuchQuery"), "");
  EXPECT_EQ(ask(stub, "Ynope"), "");
  EXPECT_FALSE(stub.finished());
}

TEST(GdbStub, FuzzedPacketsNeverCrashTheStub) {
  // Random commands with random arguments, then random bytes through the framing: bounded
  // counts, so a few seconds. Every reply must be a payload the framing can carry.
  emu::Prng rng(42);
  constexpr std::string_view kHeads[] = {"m",
                                         "M",
                                         "g",
                                         "G",
                                         "p",
                                         "P",
                                         "Z0,",
                                         "z0,",
                                         "Z1,",
                                         "H",
                                         "T",
                                         "q",
                                         "Q",
                                         "qXfer:features:read:target.xml:",
                                         "qThreadExtraInfo,",
                                         "qRcmd,",
                                         "s",
                                         "bs",
                                         "v",
                                         "X",
                                         "?",
                                         "c",
                                         "bc"};
  constexpr char kAlphabet[] = "0123456789abcdefABCDEFxyz,:;=-#$}*";
  uc::Debugger d(guest(2));
  Stub stub(d);
  for (int i = 0; i < 20'000 && !stub.finished(); ++i) {
    std::string packet(kHeads[rng.below(std::size(kHeads))]);
    const std::uint64_t n = rng.below(24);
    for (std::uint64_t k = 0; k < n; ++k) packet.push_back(kAlphabet[rng.below(sizeof kAlphabet - 1)]);
    if (packet == "c" || packet == "bc") continue;  // Whole runs: covered above, too slow here.
    std::vector<std::string> notices;
    const std::string reply = stub.handle(packet, {}, notices);
    ASSERT_LE(reply.size(), kMaxPacket) << packet;
    ASSERT_EQ(read_all(frame(reply))[0].payload, reply);
  }
  PacketReader r;
  for (int i = 0; i < 200'000; ++i) (void)r.feed(static_cast<char>(rng.below(256)));
}

/// A client of the stub on a real socket.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address_v4("127.0.0.1"), port});
  }
  void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  /// Reads until `n` acknowledgements/packets have arrived (each '+', '-' or whole packet).
  std::vector<std::string> receive(std::size_t n) {
    std::vector<std::string> got;
    std::string current;
    char c = 0;
    while (got.size() < n) {
      boost::asio::read(socket_, boost::asio::buffer(&c, 1));
      if (current.empty() && (c == '+' || c == '-')) {
        got.emplace_back(1, c);
      } else {
        current.push_back(c);
        if (current.size() >= 4 && current[current.size() - 3] == '#') got.push_back(std::exchange(current, {}));
      }
    }
    return got;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
};

TEST(GdbServer, AnswersMalformedPacketsOnTheWireAndEndsOnKill) {
  uc::Debugger d(guest(1));
  std::uint16_t port = 0;
  std::mutex m;
  std::condition_variable listening;
  ServeResult result;
  std::thread server([&] {
    ServeOptions o;
    o.accept_timeout = o.idle_timeout = std::chrono::seconds(30);
    o.on_listening = [&](std::uint16_t p) {
      std::lock_guard lock(m);
      port = p;
      listening.notify_one();
    };
    result = serve(d, o);
  });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(listening.wait_for(lock, std::chrono::seconds(30), [&] { return port != 0; }));
  }
  Client client(port);
  client.send("$g#00");  // Bad checksum.
  EXPECT_EQ(client.receive(1), std::vector<std::string>{"-"});
  client.send(frame(std::string(kMaxPacket + 1, 'm')));
  EXPECT_EQ(client.receive(2), (std::vector<std::string>{"+", frame("E16")}));
  client.send(frame("Qunknown"));
  EXPECT_EQ(client.receive(2), (std::vector<std::string>{"+", frame("")}));
  client.send(frame("qfThreadInfo"));
  EXPECT_EQ(client.receive(2), (std::vector<std::string>{"+", frame("m1")}));
  client.send(frame("k"));
  EXPECT_EQ(client.receive(1), std::vector<std::string>{"+"});
  server.join();
  EXPECT_TRUE(result.served) << result.error;
  EXPECT_EQ(result.bad_packets, 2u);
}

}  // namespace
}  // namespace lockstep::sim::gdb
