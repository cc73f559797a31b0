// Perfetto: a Trace message written as a stream of its `packet` fields (the wire form of a
// repeated field), so memory stays bounded by one packet.

#include <fmt/format.h>
#include <lockstep/sim/export.hpp>

#include "export_timeline.hpp"
#include "proto/perfetto_trace.pb.h"

namespace lockstep::sim {
namespace {

namespace pp = perfetto::protos;

constexpr std::uint32_t kSequence = 1;
constexpr std::uint64_t kProcessTrack = 1;
constexpr int kPid = 1;
std::uint64_t cpu_track(std::uint32_t cpu) { return 0x1000 + cpu; }
std::uint64_t queue_track(std::uint32_t cpu) { return 0x10000 + cpu; }

class PacketStream {
 public:
  explicit PacketStream(AtomicFile& out) : out_(out) {}

  void write(const pp::TracePacket& packet) {
    packet.SerializeToString(&bytes_);
    header_.clear();
    header_.push_back(static_cast<char>(0x0a));  // field 1 (Trace.packet), wire type 2
    for (std::uint64_t n = bytes_.size(); ; n >>= 7) {
      if (n < 0x80) {
        header_.push_back(static_cast<char>(n));
        break;
      }
      header_.push_back(static_cast<char>((n & 0x7f) | 0x80));
    }
    out_.write(header_);
    out_.write(bytes_);
  }

 private:
  AtomicFile& out_;
  std::string bytes_;
  std::string header_;
};

}  // namespace

void export_perfetto(const TraceData& trace, AtomicFile& out) {
  PacketStream stream(out);
  pp::TracePacket packet;
  {
    packet.set_trusted_packet_sequence_id(kSequence);
    packet.set_sequence_flags(pp::TracePacket::SEQ_INCREMENTAL_STATE_CLEARED);
    auto* track = packet.mutable_track_descriptor();
    track->set_uuid(kProcessTrack);
    track->mutable_process()->set_pid(kPid);
    track->mutable_process()->set_process_name(
        fmt::format("lockstep {} ({} CPUs, seed {})", trace.config.scenario, trace.config.cpus, trace.config.seed));
    stream.write(packet);
  }
  for (std::uint32_t c = 0; c < trace.cpus.size(); ++c) {
    packet.Clear();
    packet.set_trusted_packet_sequence_id(kSequence);
    auto* track = packet.mutable_track_descriptor();
    track->set_uuid(cpu_track(c));
    track->set_parent_uuid(kProcessTrack);
    track->set_name(fmt::format("cpu {}", c));
    track->mutable_thread()->set_pid(kPid);
    track->mutable_thread()->set_tid(static_cast<int>(c) + 1);
    track->mutable_thread()->set_thread_name(fmt::format("cpu {}", c));
    stream.write(packet);

    packet.Clear();
    packet.set_trusted_packet_sequence_id(kSequence);
    track = packet.mutable_track_descriptor();
    track->set_uuid(queue_track(c));
    track->set_parent_uuid(kProcessTrack);
    track->set_name(fmt::format("run queue cpu {}", c));
    track->mutable_counter()->set_unit_name("tasks");
    stream.write(packet);
  }
  detail::for_each_by_time(detail::build_timeline(trace), [&](const detail::TimelineEvent& e) {
    packet.Clear();
    packet.set_trusted_packet_sequence_id(kSequence);
    packet.set_timestamp(e.time);
    auto* ev = packet.mutable_track_event();
    ev->set_track_uuid(cpu_track(e.cpu));
    switch (e.kind) {
      case detail::TimelineEvent::kBegin:
        ev->set_type(pp::TrackEvent::TYPE_SLICE_BEGIN);
        ev->set_name(e.name);
        break;
      case detail::TimelineEvent::kEnd: ev->set_type(pp::TrackEvent::TYPE_SLICE_END); break;
      case detail::TimelineEvent::kInstant:
        ev->set_type(pp::TrackEvent::TYPE_INSTANT);
        ev->set_name(e.name);
        if (e.flow_out != 0) ev->add_flow_ids(e.flow_out);
        if (e.flow_in != 0) ev->add_terminating_flow_ids(e.flow_in);
        break;
      case detail::TimelineEvent::kCounter:
        ev->set_type(pp::TrackEvent::TYPE_COUNTER);
        ev->set_track_uuid(queue_track(e.cpu));
        ev->set_counter_value(e.value);
        break;
    }
    stream.write(packet);
  });
}

}  // namespace lockstep::sim
