// The stub's connection: Boost.Asio on one thread. Every wait is bounded by running the
// io_context for at most the timeout; while the machine runs, the socket is polled for gdb's
// Ctrl-C between slices.

// clang-format off
#include <utility>  // Before Asio (FACTS: Boost 1.74 under C++20).
// clang-format on
#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <lockstep/sim/gdb_rsp.hpp>
#include <lockstep/sim/gdb_server.hpp>
#include <lockstep/sim/gdb_stub.hpp>

namespace lockstep::sim::gdb {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// Runs `ioc` until `done` or the timeout; false on the timeout.
bool run_until(asio::io_context& ioc, const bool& done, std::chrono::seconds timeout) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline)
    if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) break;
  return done;
}

class Connection {
 public:
  Connection(asio::io_context& ioc, tcp::socket socket, emu::unicorn::Debugger& debugger, ServeResult& result)
      : ioc_(ioc), socket_(std::move(socket)), stub_(debugger), result_(result) {}

  /// Serves until the session ends; false with result_.error set if the connection failed.
  bool serve(std::chrono::seconds idle) {
    while (!stub_.finished()) {
      std::size_t got = 0;
      boost::system::error_code ec;
      bool done = false;
      socket_.async_read_some(asio::buffer(buffer_), [&](boost::system::error_code e, std::size_t n) {
        ec = e;
        got = n;
        done = true;
      });
      if (!run_until(ioc_, done, idle)) {
        socket_.cancel();
        run_until(ioc_, done, std::chrono::seconds(5));
        result_.error = fmt::format("gdb sent nothing for {} s", idle.count());
        return false;
      }
      if (ec) {
        result_.error = ec == asio::error::eof ? "gdb closed the connection" : "connection: " + ec.message();
        return ec == asio::error::eof;  // Closing without D or k ends a session too.
      }
      for (std::size_t i = 0; i < got && !stub_.finished(); ++i)
        if (auto in = reader_.feed(buffer_[i])) answer(*in);
    }
    return true;
  }

 private:
  void answer(const Incoming& in) {
    switch (in.kind) {
      case Incoming::kInterrupt:
        return;  // Nothing runs between packets.
      case Incoming::kBadPacket:
        ++result_.bad_packets;
        send("-");
        return;
      case Incoming::kOverlong:
        ++result_.bad_packets;
        ack();
        send(frame("E16"));
        return;
      case Incoming::kPacket:
        break;
    }
    ++result_.packets;
    ack();
    std::vector<std::string> notices;
    const std::string reply = stub_.handle(
        in.payload, [this] { return interrupted(); }, notices);
    for (const std::string& n : notices) send(frame(n));
    if (in.payload != "k") send(frame(reply));  // `k` has no reply.
  }

  void ack() {
    if (!stub_.no_ack()) send("+");
  }

  /// Between slices: has gdb sent Ctrl-C? (Other bytes it sends while running are kept.)
  bool interrupted() {
    boost::system::error_code ec;
    while (socket_.available(ec) > 0 && !ec) {
      const std::size_t n = socket_.read_some(asio::buffer(buffer_), ec);
      for (std::size_t i = 0; i < n; ++i)
        if (buffer_[i] == kInterrupt) return true;
    }
    return false;
  }

  void send(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }

  asio::io_context& ioc_;
  tcp::socket socket_;
  Stub stub_;
  ServeResult& result_;
  PacketReader reader_;
  std::array<char, 4096> buffer_{};
};

}  // namespace

ServeResult serve(emu::unicorn::Debugger& debugger, const ServeOptions& options) {
  ServeResult result;
  asio::io_context ioc;
  boost::system::error_code ec;
  tcp::acceptor acceptor(ioc);
  const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), options.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(1, ec);
  if (ec) {
    result.error = fmt::format("cannot listen on 127.0.0.1:{}: {}", options.port, ec.message());
    return result;
  }
  result.listened = true;
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());
  tcp::socket socket(ioc);
  bool accepted = false;
  acceptor.async_accept(socket, [&](boost::system::error_code e) {
    ec = e;
    accepted = true;
  });
  if (!run_until(ioc, accepted, options.accept_timeout)) {
    acceptor.cancel();
    result.error = fmt::format("no gdb connected within {} s", options.accept_timeout.count());
    return result;
  }
  if (ec) {
    result.error = "accept: " + ec.message();
    return result;
  }
  acceptor.close();
  socket.set_option(tcp::no_delay(true), ec);
  Connection connection(ioc, std::move(socket), debugger, result);
  result.served = connection.serve(options.idle_timeout);
  return result;
}

}  // namespace lockstep::sim::gdb
