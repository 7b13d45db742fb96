#include "load_generator.hpp"

#include "trellis/net/asio.hpp"

#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "mulberry32.hpp"
#include "process_stats.hpp"
#include "trellis/client/transport.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/sync/client_session.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::bench::load {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Handshakes in progress at once: a thousand simultaneous connects would
// measure the listen backlog, not the server.
constexpr std::size_t kMaxHandshakesAtOnce = 64;
// The whole run, connecting included, ends by warmup + duration + this.
constexpr std::chrono::seconds kDeadlineSlack{30};
// After the window: how long to wait for the last acks and deliveries.
constexpr std::chrono::seconds kDrainTimeout{10};
// How long closing every connection cleanly may take.
constexpr std::chrono::seconds kCloseTimeout{3};
// Between "every client is set up" and the first edit.
constexpr std::chrono::milliseconds kStartDelay{50};
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Clock::time_point at_ns(std::int64_t ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

enum class Phase { connecting, creating_nodes, loading, draining, closing };

std::string phase_name(Phase phase) {
  constexpr std::string_view kNames[] = {"connecting", "creating_nodes", "loading", "draining",
                                         "closing"};
  return std::string(kNames[static_cast<std::size_t>(phase)]);
}

// The dot of the newest outbox entry: the transaction edit() just made.
std::uint64_t newest_outbox_seq(const sync::ClientSession& session) {
  std::uint64_t seq = 0;
  session.outbox().back().covers.for_each_dot([&](crdt::Dot dot) { seq = std::max(seq, dot.seq); });
  return seq;
}

// One protocol client: its session (replica + outbox), its connection and
// the intended send times of its load edits, by seq.
struct LoadClient {
  enum class State { waiting, connecting, online, closed };

  LoadClient(asio::io_context& io, std::size_t workspace_index, std::size_t slot_index,
             sync::ClientSession client_session, std::uint32_t seed)
      : workspace(workspace_index),
        slot(slot_index),
        session(std::move(client_session)),
        pacer(io),
        rng(seed) {}

  const std::size_t workspace;
  const std::size_t slot;  // 0 creates the workspace's nodes
  sync::ClientSession session;
  std::unique_ptr<client::Transport> transport;
  asio::steady_timer pacer;
  Mulberry32 rng;
  State state = State::waiting;
  bool ready = false;                     // online and holding the workspace's nodes
  std::uint64_t first_load_seq = 0;       // 0 until the first load edit
  std::vector<std::int64_t> intended_ns;  // of the load edit with seq first_load_seq + i
  std::uint64_t scheduled = 0;            // paced: edits sent on the schedule so far
  std::int64_t phase_ns = 0;              // paced: offset of this client's schedule
};

class LoadGenerator {
 public:
  LoadGenerator(const LoadOptions& options, std::string url, std::optional<pid_t> server_pid)
      : options_(options),
        url_(std::move(url)),
        server_pid_(server_pid),
        deadline_(io_),
        window_timer_(io_),
        drain_timer_(io_),
        close_timer_(io_) {
    report_.options = options;
    if (server_pid) report_.server.pid = *server_pid;
    std::random_device random;
    // Replica ids base + 1 .. base + connections; the base keeps runs apart.
    replica_base_ = (static_cast<std::uint64_t>(random()) << 24) | 1;
    const std::string run_tag = std::to_string(random() % 1'000'000);
    for (unsigned node = 0; node < options.nodes; ++node)
      node_ids_.push_back("n" + std::to_string(node));
    for (unsigned workspace = 0; workspace < options.workspaces; ++workspace) {
      for (unsigned slot = 0; slot < options.clients_per_workspace; ++slot) {
        const std::size_t index = clients_.size();
        sync::ClientConfig config{
            "load-" + run_tag + "-" + std::to_string(workspace),
            "load-w" + std::to_string(workspace) + "-c" + std::to_string(slot), std::nullopt,
            sync::limits::kMaxFrameBytes, options.protocol_version};
        sync::ClientSession session(std::move(config),
                                    crdt::GraphDoc(crdt::ReplicaId{replica_base_ + index + 1}));
        clients_.push_back(std::make_unique<LoadClient>(io_, workspace, slot, std::move(session),
                                                        static_cast<std::uint32_t>(index + 1)));
      }
    }
  }

  LoadReport run() {
    run_start_ns_ = now_ns();
    const auto budget =
        std::chrono::duration<double>(options_.warmup_s + options_.duration_s) + kDeadlineSlack;
    deadline_.expires_after(std::chrono::duration_cast<Clock::duration>(budget));
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      report_.errors.timed_out = true;
      note("the run did not end in time (phase " + phase_name(phase_) + ")");
      finish();
    });
    start_handshakes();
    io_.run();
    summarize();
    return std::move(report_);
  }

 private:
  // --- Connecting.

  void start_handshakes() {
    while (handshakes_ < kMaxHandshakesAtOnce && next_to_connect_ < clients_.size())
      connect(*clients_[next_to_connect_++]);
  }

  void connect(LoadClient& c) {
    c.state = LoadClient::State::connecting;
    ++handshakes_;
    c.transport = client::make_websocket_transport(io_.get_executor());
    c.transport->connect(url_,
                         client::TransportHandlers{
                             [&c] { c.transport->send(c.session.on_connected()); },
                             [this, &c](crdt::Bytes frame) { on_received(c, frame); },
                             [this, &c](std::string reason) { on_closed(c, std::move(reason)); },
                         });
  }

  void handshake_settled() {
    --handshakes_;
    ++settled_;
    start_handshakes();
    if (phase_ == Phase::connecting && settled_ == clients_.size()) create_nodes();
  }

  void on_closed(LoadClient& c, std::string reason) {
    const bool was_connecting = c.state == LoadClient::State::connecting;
    c.state = LoadClient::State::closed;
    c.session.on_disconnected();
    c.pacer.cancel();
    if (phase_ == Phase::closing) {
      if (--closing_ == 0) io_.stop();
      return;
    }
    if (was_connecting) {
      ++report_.errors.connect_failures;
      note("connect: " + reason);
      handshake_settled();
    } else {
      ++report_.errors.disconnects;
      note("disconnected: " + reason);
    }
    if (phase_ == Phase::creating_nodes && setup_complete()) start_load();
  }

  // --- Setup: the first client of each workspace creates its nodes.

  void create_nodes() {
    phase_ = Phase::creating_nodes;
    report_.connect_s = seconds_between(run_start_ns_, now_ns());
    for (auto& c : clients_) {
      if (c->slot != 0 || c->state != LoadClient::State::online) continue;
      for (std::size_t node = 0; node < node_ids_.size(); ++node) {
        const crdt::Json object = {{"id", node_ids_[node]},
                                   {"type", "parameters"},
                                   {"position", {{"x", 200 * node}, {"y", 0}}},
                                   {"data", {{"width", 100}, {"t", 0}}}};
        auto frame = c->session.edit([&](crdt::GraphDoc& doc) { return doc.add_node(object); });
        if (!frame || !*frame) {
          ++report_.errors.edit_failures;
          note("creating a node failed" + (frame ? std::string() : ": " + frame.error().message));
          continue;
        }
        c->transport->send(std::move(**frame));
      }
    }
    for (auto& c : clients_)
      update_readiness(*c);
    if (setup_complete()) start_load();
  }

  void update_readiness(LoadClient& c) {
    if (c.ready || c.state != LoadClient::State::online) return;
    if (c.session.doc().nodes().size() < node_ids_.size()) return;
    if (c.slot == 0 && !c.session.outbox().empty()) return;
    c.ready = true;
    ++ready_;
  }

  // Every online client holds its nodes, or never will (its workspace's
  // creator is gone).
  bool setup_complete() const {
    return std::all_of(clients_.begin(), clients_.end(), [&](const auto& c) {
      if (c->ready || c->state != LoadClient::State::online) return true;
      const LoadClient& creator = *clients_[c->workspace * options_.clients_per_workspace];
      return creator.state != LoadClient::State::online;
    });
  }

  // --- Load.

  void start_load() {
    phase_ = Phase::loading;
    const std::int64_t now = now_ns();
    report_.setup_s = seconds_between(run_start_ns_, now);
    report_.clients_loading = static_cast<unsigned>(ready_);
    if (server_pid_) report_.server.rss_connected_bytes = process_rss_bytes(*server_pid_);
    if (ready_ == 0) {
      note("no client could take part");
      finish();
      return;
    }

    t0_ns_ = now + std::chrono::nanoseconds(kStartDelay).count();
    window_start_ns_ = t0_ns_ + static_cast<std::int64_t>(options_.warmup_s * kNsPerSecond);
    window_end_ns_ =
        window_start_ns_ + static_cast<std::int64_t>(options_.duration_s * kNsPerSecond);
    latencies_by_second_.resize(static_cast<std::size_t>(std::ceil(options_.duration_s)));
    if (!options_.saturate()) period_ns_ = kNsPerSecond / options_.rate;

    // Paced clients are spread evenly over one period, so that the server
    // sees a steady stream rather than bursts of every client at once.
    std::size_t rank = 0;
    for (auto& c : clients_) {
      if (!c->ready) continue;
      c->phase_ns =
          static_cast<std::int64_t>(period_ns_ * rank++ / std::max<std::size_t>(ready_, 1));
      c->pacer.expires_at(at_ns(t0_ns_ + c->phase_ns));
      c->pacer.async_wait([this, client = c.get()](const boost::system::error_code& ec) {
        if (!ec) on_pacer(*client);
      });
    }
    window_timer_.expires_at(at_ns(window_start_ns_));
    window_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) open_window();
    });
  }

  void open_window() {
    sample_cpu(window_cpu_start_);
    window_timer_.expires_at(at_ns(window_end_ns_));
    window_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) close_window();
    });
  }

  void close_window() {
    CpuSample end;
    sample_cpu(end);
    report_.server.window_wall_s = seconds_between(window_cpu_start_.at_ns, end.at_ns);
    report_.server.cpu_seconds = difference(window_cpu_start_.server, end.server);
    report_.server.cpu_wait_seconds = difference(window_cpu_start_.server_wait, end.server_wait);
    report_.generator_cpu_seconds = difference(window_cpu_start_.own, end.own);
    report_.generator_cpu_wait_seconds = difference(window_cpu_start_.own_wait, end.own_wait);
    if (server_pid_) report_.server.rss_end_bytes = process_rss_bytes(*server_pid_);

    phase_ = Phase::draining;
    drain_start_ns_ = now_ns();
    for (auto& c : clients_)
      c->pacer.cancel();
    drain_timer_.expires_after(kDrainTimeout);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
    maybe_drained();
  }

  // CPU seconds used and waited for, of the server and of this process.
  struct CpuSample {
    std::int64_t at_ns = 0;
    std::optional<double> server;
    std::optional<double> server_wait;
    std::optional<double> own;
    std::optional<double> own_wait;
  };

  void sample_cpu(CpuSample& sample) const {
    sample.at_ns = now_ns();
    if (server_pid_) {
      sample.server = process_cpu_seconds(*server_pid_);
      sample.server_wait = process_cpu_wait_seconds(*server_pid_);
    }
    sample.own = process_cpu_seconds(getpid());
    sample.own_wait = process_cpu_wait_seconds(getpid());
  }

  static std::optional<double> difference(const std::optional<double>& start,
                                          const std::optional<double>& end) {
    if (!start || !end) return std::nullopt;
    return *end - *start;
  }

  void on_pacer(LoadClient& c) {
    if (phase_ != Phase::loading || c.state != LoadClient::State::online) return;
    if (options_.saturate()) {
      top_up(c);
      return;
    }
    // Every edit due by now goes, each with its own intended time: a late
    // wake-up shows as latency, never as fewer edits.
    const std::int64_t now = now_ns();
    for (;;) {
      const std::int64_t due = scheduled_time(c);
      if (due > now || due >= window_end_ns_) break;
      if (!send_edit(c, due)) return;
      ++c.scheduled;
    }
    const std::int64_t next = scheduled_time(c);
    if (next >= window_end_ns_) return;
    c.pacer.expires_at(at_ns(next));
    c.pacer.async_wait([this, &c](const boost::system::error_code& ec) {
      if (!ec) on_pacer(c);
    });
  }

  std::int64_t scheduled_time(const LoadClient& c) const {
    return t0_ns_ + c.phase_ns + std::llround(static_cast<double>(c.scheduled) * period_ns_);
  }

  // Saturation: keep options_.in_flight edits unacknowledged.
  void top_up(LoadClient& c) {
    if (phase_ != Phase::loading || c.state != LoadClient::State::online) return;
    const std::int64_t now = now_ns();
    if (now >= window_end_ns_) return;
    while (c.session.outbox().size() < options_.in_flight)
      if (!send_edit(c, now)) return;
  }

  bool send_edit(LoadClient& c, std::int64_t intended_ns) {
    const std::string& node = node_ids_[c.rng.next() % node_ids_.size()];
    const int width = 100 + static_cast<int>(c.rng.next() % 400);
    auto frame = c.session.edit([&](crdt::GraphDoc& doc) {
      return doc.set_node_data(node, crdt::Json{{"width", width}, {"t", intended_ns}});
    });
    if (!frame || !*frame) {
      ++report_.errors.edit_failures;
      note("edit failed" + (frame ? std::string(": offline") : ": " + frame.error().message));
      return false;
    }
    const std::uint64_t seq = newest_outbox_seq(c.session);
    if (c.first_load_seq == 0) c.first_load_seq = seq;
    if (seq != c.first_load_seq + c.intended_ns.size()) {
      ++report_.errors.edit_failures;
      note("an edit's seq is not the next one of its client");
      return false;
    }
    c.intended_ns.push_back(intended_ns);
    ++report_.sent_total;
    report_.expected_deliveries_total += options_.clients_per_workspace - 1;
    if (in_window(intended_ns)) ++report_.offered;
    c.transport->send(std::move(**frame));
    return true;
  }

  bool in_window(std::int64_t ns) const {
    return window_end_ns_ != 0 && ns >= window_start_ns_ && ns < window_end_ns_;
  }

  // --- Receiving.

  void on_received(LoadClient& c, const crdt::Bytes& frame) {
    if (phase_ == Phase::closing) return;
    const std::int64_t now = now_ns();
    if (phase_ == Phase::loading || phase_ == Phase::draining) {
      auto message = sync::decode_message(frame);
      if (message) {
        if (const auto* delta = std::get_if<sync::DeltaMessage>(&*message))
          count_deliveries(c, *delta, now);
        // A batch's deltas arrived at once, each delivered now.
        if (const auto* batch = std::get_if<sync::Batch>(&*message)) {
          for (const sync::Message& part : batch->messages)
            if (const auto* delta = std::get_if<sync::DeltaMessage>(&part))
              count_deliveries(c, *delta, now);
        }
      }
    }
    const std::size_t outbox_before = c.session.outbox().size();
    sync::ClientOutput out = c.session.on_frame(frame);
    const std::size_t acked = outbox_before - std::min(outbox_before, c.session.outbox().size());
    for (crdt::Bytes& reply : out.to_server)
      c.transport->send(std::move(reply));
    if (out.error) {
      ++report_.errors.server_errors;
      note("server error " + std::string(sync::to_string(out.error->code)) + ": " +
           out.error->message);
    }
    if (out.close) c.transport->close();

    if (c.state == LoadClient::State::connecting &&
        c.session.state() == sync::ConnectionState::online) {
      c.state = LoadClient::State::online;
      handshake_settled();
      return;
    }
    switch (phase_) {
      case Phase::creating_nodes:
        update_readiness(c);
        if (c.ready && setup_complete()) start_load();
        break;
      case Phase::loading:
        count_acks(acked, now);
        if (acked > 0 && options_.saturate()) top_up(c);
        break;
      case Phase::draining:
        count_acks(acked, now);
        maybe_drained();
        break;
      default:
        break;
    }
  }

  void count_acks(std::size_t acked, std::int64_t now) {
    report_.acked_total += acked;
    if (in_window(now)) report_.acked += acked;
  }

  // Each load event the delta covers that `receiver` had not received yet
  // is one delivery.
  void count_deliveries(LoadClient& receiver, const sync::DeltaMessage& delta, std::int64_t now) {
    std::size_t delivered_here = 0;
    std::int64_t last_intended = 0;
    delta.covers.for_each_dot([&](crdt::Dot dot) {
      if (receiver.session.received().contains(dot)) return;
      const auto intended = intended_time(receiver, dot);
      if (!intended) return;
      ++delivered_here;
      last_intended = *intended;
      ++report_.delivered_total;
      if (in_window(now)) ++report_.delivered;
      if (in_window(*intended)) {
        const auto second = static_cast<std::size_t>((*intended - window_start_ns_) / kNsPerSecond);
        latencies_by_second_[std::min(second, latencies_by_second_.size() - 1)].push_back(
            now - *intended);
      }
    });
    if (options_.check && delivered_here == 1) check_timestamp(delta, last_intended);
  }

  // The intended send time of a load edit of another client, or nullopt
  // (the receiver's own event, a node creation, a stranger's dot).
  std::optional<std::int64_t> intended_time(const LoadClient& receiver, crdt::Dot dot) const {
    const std::uint64_t replica = dot.replica.value;
    if (replica <= replica_base_ || replica > replica_base_ + clients_.size()) return std::nullopt;
    const LoadClient& sender = *clients_[replica - replica_base_ - 1];
    if (&sender == &receiver || sender.first_load_seq == 0 || dot.seq < sender.first_load_seq) {
      return std::nullopt;
    }
    const std::uint64_t index = dot.seq - sender.first_load_seq;
    if (index >= sender.intended_ns.size()) return std::nullopt;
    return sender.intended_ns[index];
  }

  // The "t" the edit carried must be the time kept for its dot.
  void check_timestamp(const sync::DeltaMessage& delta, std::int64_t intended_ns) {
    ++report_.errors.timestamp_checks;
    auto decoded = crdt::decode(delta.delta);
    bool matched = false;
    if (decoded) {
      for (const auto& [id, entity] : decoded->nodes()) {
        const crdt::FieldValue* t = entity.fields.get(crdt::FieldKey::data("t"));
        if (t && t->to_json() == crdt::Json(intended_ns)) matched = true;
      }
    }
    if (!matched) {
      ++report_.errors.timestamp_mismatches;
      note("a delivered edit's \"t\" is not its send time");
    }
  }

  // --- Ending.

  void maybe_drained() {
    if (report_.acked_total != report_.sent_total ||
        report_.delivered_total != report_.expected_deliveries_total) {
      return;
    }
    report_.drained = true;
    finish();
  }

  void finish() {
    if (phase_ == Phase::closing) return;
    report_.ended_in = phase_name(phase_);
    if (phase_ == Phase::draining) report_.drain_s = seconds_between(drain_start_ns_, now_ns());
    phase_ = Phase::closing;
    deadline_.cancel();
    window_timer_.cancel();
    drain_timer_.cancel();
    for (auto& c : clients_) {
      c->pacer.cancel();
      if (c->state == LoadClient::State::online || c->state == LoadClient::State::connecting) {
        ++closing_;
        c->transport->close();
      }
    }
    if (closing_ == 0) {
      io_.stop();
      return;
    }
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io_.stop();
    });
  }

  void note(const std::string& reason) { ++report_.errors.reasons[reason]; }

  void summarize() {
    std::vector<std::int64_t> all;
    for (auto& second : latencies_by_second_) {
      all.insert(all.end(), second.begin(), second.end());
      report_.seconds.push_back(WindowSecond{summarize_latency(second)});
    }
    report_.latency = summarize_latency(all);
  }

  // Declared first: destroyed last, after everything that uses it.
  asio::io_context io_;
  LoadOptions options_;
  std::string url_;
  std::optional<pid_t> server_pid_;
  std::uint64_t replica_base_ = 0;
  std::vector<std::string> node_ids_;
  std::vector<std::unique_ptr<LoadClient>> clients_;
  asio::steady_timer deadline_;
  asio::steady_timer window_timer_;
  asio::steady_timer drain_timer_;
  asio::steady_timer close_timer_;

  Phase phase_ = Phase::connecting;
  std::size_t next_to_connect_ = 0;
  std::size_t handshakes_ = 0;
  std::size_t settled_ = 0;  // handshakes that ended, either way
  std::size_t ready_ = 0;
  std::size_t closing_ = 0;
  std::int64_t run_start_ns_ = 0;
  std::int64_t t0_ns_ = 0;
  std::int64_t window_start_ns_ = 0;
  std::int64_t window_end_ns_ = 0;
  std::int64_t drain_start_ns_ = 0;
  double period_ns_ = 0;
  CpuSample window_cpu_start_;
  std::vector<std::vector<std::int64_t>> latencies_by_second_;
  LoadReport report_;
};

}  // namespace

LoadReport run_load(const LoadOptions& options, const std::string& url,
                    std::optional<pid_t> server_pid) {
  LoadGenerator generator(options, url, server_pid);
  return generator.run();
}

}  // namespace trellis::bench::load
