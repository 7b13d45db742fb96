#include "join_probe.hpp"

#include "trellis/net/asio.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <random>

#include "process_stats.hpp"
#include "trellis/client/transport.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/client_session.hpp"

namespace trellis::bench::load {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Adding the nodes, and each join, must end within this.
constexpr std::chrono::seconds kStepTimeout{120};
// Quiet time before each join, so that the previous one's close is over.
constexpr std::chrono::milliseconds kPauseBeforeJoin{300};

// The node of index `index`, as socketio_load.mjs's makeNode builds it.
crdt::Json join_node(unsigned index) {
  return {{"id", "n" + std::to_string(index)},
          {"type", "parameters"},
          {"position", {{"x", 200 * (index % 100)}, {"y", 120 * (index / 100)}}},
          {"data",
           {{"label", "Node " + std::to_string(index)},
            {"width", 100},
            {"height", 40},
            {"color", "#4ECDC4"}}}};
}

// One protocol client on the probe's io_context.
struct ProbeClient {
  ProbeClient(asio::io_context& io, const std::string& workspace, const std::string& name,
              std::uint64_t replica)
      : session(sync::ClientConfig{workspace, name, std::nullopt},
                crdt::GraphDoc(crdt::ReplicaId{replica})),
        transport(client::make_websocket_transport(io.get_executor())) {}

  sync::ClientSession session;
  std::unique_ptr<client::Transport> transport;
  bool closed = false;
  std::string close_reason;
  std::size_t welcome_bytes = 0;  // the frame that brought the session online
  std::function<void()> on_online;

  void connect(const std::string& url) {
    transport->connect(url, client::TransportHandlers{
                                [this] { transport->send(session.on_connected()); },
                                [this](crdt::Bytes frame) { receive(frame); },
                                [this](std::string reason) {
                                  closed = true;
                                  close_reason = std::move(reason);
                                  session.on_disconnected();
                                },
                            });
  }

  void receive(const crdt::Bytes& frame) {
    const bool was_online = session.state() == sync::ConnectionState::online;
    sync::ClientOutput out = session.on_frame(frame);
    for (crdt::Bytes& reply : out.to_server)
      transport->send(std::move(reply));
    if (!was_online && session.state() == sync::ConnectionState::online) {
      welcome_bytes = frame.size();
      if (on_online) on_online();
    }
  }
};

class JoinProbe {
 public:
  JoinProbe(const LoadOptions& options, std::string url, std::optional<pid_t> server_pid)
      : options_(options), url_(std::move(url)), server_pid_(server_pid) {
    std::random_device random;
    replica_base_ = (static_cast<std::uint64_t>(random()) << 24) | 1;
    workspace_ = "join-" + std::to_string(random() % 1'000'000);
    report_.nodes = options.join_nodes;
  }

  JoinReport run() {
    if (seed()) {
      for (unsigned repeat = 0; repeat < options_.join_repeats; ++repeat) {
        if (!join_once(repeat)) break;
      }
    }
    if (seeder_ && !seeder_->closed) {
      seeder_->transport->close();
      run_until([&] { return seeder_->closed; }, std::chrono::seconds(3));
    }
    return std::move(report_);
  }

 private:
  // Runs the io_context until `done` or `timeout`; false on timeout.
  bool run_until(const std::function<bool()>& done, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) return false;
      io_.run_one_for(std::min<Clock::duration>(left, std::chrono::milliseconds(100)));
    }
    return true;
  }

  bool seed() {
    const auto start = Clock::now();
    seeder_ = std::make_unique<ProbeClient>(io_, workspace_, "join-seeder", replica_base_ + 1);
    ProbeClient& seeder = *seeder_;
    seeder.connect(url_);
    const auto online = [&] {
      return seeder.closed || seeder.session.state() == sync::ConnectionState::online;
    };
    if (!run_until(online, kStepTimeout) || seeder.closed) {
      report_.errors.push_back("the seeding client could not connect: " + seeder.close_reason);
      return false;
    }
    for (unsigned index = 0; index < options_.join_nodes; ++index) {
      auto frame =
          seeder.session.edit([&](crdt::GraphDoc& doc) { return doc.add_node(join_node(index)); });
      if (!frame || !*frame) {
        report_.errors.push_back("adding node " + std::to_string(index) + " failed");
        return false;
      }
      seeder.transport->send(std::move(**frame));
    }
    const auto acknowledged = [&] { return seeder.closed || seeder.session.outbox().empty(); };
    if (!run_until(acknowledged, kStepTimeout) || seeder.closed) {
      report_.errors.push_back("the nodes were not all acknowledged");
      return false;
    }
    report_.seed_s = std::chrono::duration<double>(Clock::now() - start).count();
    return true;
  }

  bool join_once(unsigned repeat) {
    run_until([] { return false; }, kPauseBeforeJoin);
    ProbeClient joiner(io_, workspace_, "joiner-" + std::to_string(repeat),
                       replica_base_ + 2 + repeat);
    bool online = false;
    JoinSample sample;
    std::optional<double> cpu_start;
    if (server_pid_) cpu_start = process_cpu_run_seconds(*server_pid_);
    const auto start = Clock::now();
    joiner.on_online = [&] {
      sample.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (cpu_start) {
        if (const auto cpu_end = process_cpu_run_seconds(*server_pid_))
          sample.server_cpu_ms = (*cpu_end - *cpu_start) * 1e3;
      }
      online = true;
    };
    joiner.connect(url_);
    if (!run_until([&] { return online || joiner.closed; }, kStepTimeout) || !online) {
      report_.errors.push_back("join " + std::to_string(repeat) +
                               " did not get its welcome: " + joiner.close_reason);
      return false;
    }
    sample.welcome_bytes = joiner.welcome_bytes;
    sample.nodes = joiner.session.doc().nodes().size();
    if (sample.nodes != options_.join_nodes) {
      report_.errors.push_back("a joiner holds " + std::to_string(sample.nodes) + " nodes, not " +
                               std::to_string(options_.join_nodes));
    }
    report_.joins.push_back(sample);
    joiner.transport->close();
    run_until([&] { return joiner.closed; }, std::chrono::seconds(3));
    return true;
  }

  // Declared first: destroyed last, after the clients that use it.
  asio::io_context io_;
  LoadOptions options_;
  std::string url_;
  std::optional<pid_t> server_pid_;
  std::uint64_t replica_base_ = 0;
  std::string workspace_;
  std::unique_ptr<ProbeClient> seeder_;
  JoinReport report_;
};

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

}  // namespace

JoinReport run_join_probe(const LoadOptions& options, const std::string& url,
                          std::optional<pid_t> server_pid) {
  JoinProbe probe(options, url, server_pid);
  return probe.run();
}

nlohmann::ordered_json join_report_json(const JoinReport& report) {
  nlohmann::ordered_json joins = nlohmann::ordered_json::array();
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  std::vector<double> bytes;
  for (const JoinSample& sample : report.joins) {
    joins.push_back(
        {{"ms", sample.ms},
         {"server_cpu_ms", sample.server_cpu_ms ? nlohmann::ordered_json(*sample.server_cpu_ms)
                                                : nlohmann::ordered_json()},
         {"frame_bytes", sample.welcome_bytes},
         {"nodes", sample.nodes}});
    ms.push_back(sample.ms);
    if (sample.server_cpu_ms) cpu_ms.push_back(*sample.server_cpu_ms);
    bytes.push_back(static_cast<double>(sample.welcome_bytes));
  }
  const auto median_or_null = [](const std::vector<double>& values) {
    return values.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(median_of(values));
  };
  return {{"scenario", "join"},
          {"nodes", report.nodes},
          {"seed_s", report.seed_s},
          {"repeats", report.joins.size()},
          {"join_ms", median_or_null(ms)},
          {"join_server_cpu_ms", median_or_null(cpu_ms)},
          {"join_frame_bytes", median_or_null(bytes)},
          {"joins", joins},
          {"errors", report.errors}};
}

}  // namespace trellis::bench::load
