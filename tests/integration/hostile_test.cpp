// Hostile clients against a real trellisd (a child process on loopback), one
// test per attack. Each checks four things: the offender gets a clear error,
// the documented close code or HTTP status; the server stays up (/healthz);
// bystanders in the same workspace — a native client and a Socket.IO client
// over the Engine.IO WebSocket — keep editing and see each other's edits
// within kPeerEditWithin; and nothing acknowledged is lost (the flood test
// also restarts the server after SIGKILL on SQLite). Memory is read from
// /proc/<pid>/status: a baseline after warm-up, and the resident size must
// come back to it (within kRssSlack) once the attack is over.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trellis/net/asio.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "sanitized_build.hpp"
#include "support/child_process.hpp"
#include "support/process_probe.hpp"
#include "support/server_fixture.hpp"
#include "support/socketio_test_client.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// How soon a bystander must see a peer's edit while an attack runs. Idle,
// it takes milliseconds; the bound leaves room for a loaded 2-core CI
// machine running other suites, and for the sanitizers' slowdown.
constexpr auto kPeerEditWithin = kSanitized ? 6000ms : 2000ms;

// How far above its warm baseline the server's resident memory may stay
// once an attack is over. The child runs with a malloc that returns freed
// memory (ChildEnvironment), so what remains is live data plus fragmentation
// of the two arenas: the attacks here move tens to hundreds of MiB through
// the server, a leak or an unbounded queue shows as far more than 32 MiB.
// ASan keeps freed blocks in quarantine (256 MiB by default); the child gets
// a small one, which the slack covers.
constexpr std::size_t kRssSlack = (kSanitized ? 96 : 32) * kMiB;

// --- The server under attack

// glibc keeps freed memory for reuse: one arena per thread, and an mmap
// threshold that rises to 32 MiB after the first large free, after which
// large buffers come from the heap and stay resident. To see what trellisd
// holds rather than what malloc caches, the child runs with two arenas, a
// fixed mmap threshold (every block of 128 KiB or more is its own mapping,
// unmapped on free) and a trim threshold that hands back the heap's free top.
class ChildEnvironment {
 public:
  ChildEnvironment() {
    set("MALLOC_ARENA_MAX", "2");
    set("MALLOC_MMAP_THRESHOLD_", "131072");
    set("MALLOC_TRIM_THRESHOLD_", "131072");
    const char* asan = std::getenv("ASAN_OPTIONS");
    set("ASAN_OPTIONS", std::string(asan ? asan : "") +
                            ":quarantine_size_mb=16:allocator_release_to_os_interval_ms=100");
  }
  ~ChildEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;

 private:
  void set(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A child trellisd for one test: loopback, a free port, two I/O threads,
// its own data directory (SQLite) or memory storage.
class Target {
 public:
  explicit Target(std::vector<std::string> flags, bool sqlite = false) {
    args_ = {"--port",      "0",
             "--threads",   "2",
             "--log-level", "error",
             "--web-root",  "/nonexistent-web-root",
             "--storage",   sqlite ? "sqlite" : "memory",
             "--data-dir",  data_.path.string()};
    args_.insert(args_.end(), flags.begin(), flags.end());
    start();
  }

  bool started() const { return child_ && child_->port() != 0 && pid_ > 0; }
  std::uint16_t port() const { return child_->port(); }
  std::size_t rss() const { return status_bytes(pid_, "VmRSS").value_or(0); }
  std::size_t peak_rss() const { return status_bytes(pid_, "VmHWM").value_or(0); }
  std::size_t descriptors() const { return open_descriptors(pid_).value_or(0); }

  // SIGKILL, then the same server again on the same data directory.
  void restart() {
    child_->kill_and_wait(SIGKILL);
    start();
  }

 private:
  void start() {
    ChildEnvironment environment;
    child_ = std::make_unique<ChildServer>(TRELLISD_PATH, args_);
    pid_ = child_->port() == 0 ? -1 : child_listening_on(child_->port()).value_or(-1);
  }

  TempDir data_;
  std::vector<std::string> args_;
  std::unique_ptr<ChildServer> child_;
  int pid_ = -1;
};

// --- Raw connections

// A TCP connection to the server written and read by hand.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False once the peer closed or reset the connection.
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until the server closes the connection (true) or `timeout`
  // passes (0: only what is there now).
  bool read_until_closed(std::chrono::milliseconds timeout) {
    read_until([](const std::string&) { return false; }, timeout);
    return closed_;
  }
  // Reads until what was received satisfies `done` (true), the server
  // closes, or `timeout` passes.
  bool read_until(const std::function<bool(const std::string&)>& done,
                  std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    char chunk[4096];
    while (!done(received_) && !closed_) {
      pollfd poll_fd{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (poll(&poll_fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) > 0) {
        const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
        if (got <= 0) closed_ = true;
        if (got > 0) received_.append(chunk, static_cast<std::size_t>(got));
      }
      if (Clock::now() >= deadline) break;
    }
    return done(received_);
  }
  const std::string& received() const { return received_; }
  // Whether the peer reset the connection: a TCP RST arrived (once the
  // peer's end of file came, the kernel reports it as EPIPE).
  bool reset_by_peer() const {
    int error = 0;
    socklen_t size = sizeof error;
    return getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) == 0 &&
           (error == ECONNRESET || error == EPIPE);
  }
  void shutdown_sending() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// The connections /healthz counts (its own request included), or nullopt
// when it does not answer 200. The request asks to close: the server drops
// the connection from its count before closing it, so the count read next
// never includes this one.
std::optional<std::size_t> open_connections(std::uint16_t port) {
  RawConnection connection(port);
  if (!connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") ||
      !connection.read_until_closed(10s)) {
    return std::nullopt;
  }
  const std::string& reply = connection.received();
  const std::size_t body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) return std::nullopt;
  return json::parse(reply.substr(body + 4), nullptr, false).value("connections", std::size_t{0});
}

// One sample of a counter or gauge of /metrics (0 when absent).
double metric(std::uint16_t port, const std::string& name) {
  const std::string body = http_request(port, "GET", "/metrics").body;
  const std::size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::stod(body.substr(at + name.size() + 2));
}

std::string mib(std::size_t bytes) {
  return std::to_string(bytes / kMiB) + " MiB";
}

// --- Bystanders: the clients an attack must not disturb

// Whether a Socket.IO client was sent node `id` (added or changed) in an
// event from `from` on.
bool saw_node(const SocketIoTestClient& client, const std::string& id, std::size_t from = 0) {
  const auto& events = client.events();
  for (std::size_t i = from; i < events.size(); ++i) {
    const json& payload = events[i].payload;
    if (events[i].name == "node_change" && payload.contains("node") &&
        payload["node"].value("id", "") == id && payload.value("type", "") != "delete") {
      return true;
    }
    if (events[i].name == "node_data_update" && payload.value("nodeId", "") == id) return true;
  }
  return false;
}

class Bystanders {
 public:
  Bystanders(std::uint16_t port, std::string workspace)
      : port_(port),
        workspace_(std::move(workspace)),
        native_(TestClientOptions{port, workspace_, 9001, "native bystander"}),
        socketio_(port) {}

  bool connect() {
    return native_.connect() && native_.wait_synced() && socketio_.connect() &&
           socketio_.join(workspace_, "socket.io bystander");
  }

  // Drives both clients (their I/O and heartbeats) until `done` or `timeout`.
  bool drive_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (done()) return true;
      if (Clock::now() >= deadline) return false;
      native_.run_until([] { return false; }, 1ms);
      socketio_.run_until([] { return false; }, 1ms);
    }
  }
  void idle(std::chrono::milliseconds span) {
    drive_until([] { return false; }, span);
  }

  // Each bystander adds a node and the other must see it within
  // kPeerEditWithin (a failure otherwise); both edits must then be
  // acknowledged. Returns the slower of the two delays.
  std::chrono::milliseconds round(const std::string& tag) {
    const std::string native_id = "native-" + tag;
    const std::string socketio_id = "socketio-" + tag;
    const std::size_t events_before = socketio_.events().size();
    const auto started = Clock::now();
    EXPECT_TRUE(native_.edit(add_node(native_id)));
    const bool seen_by_socketio = drive_until(
        [&] { return saw_node(socketio_, native_id, events_before); }, 4 * kPeerEditWithin);
    const auto native_delay = Clock::now() - started;
    const std::uint64_t ack_id = next_ack_id_++;
    const auto emitted = Clock::now();
    socketio_.emit("node_change",
                   {{"type", "add"}, {"node", box(socketio_id)}, {"workspaceId", workspace_}},
                   ack_id);
    const bool seen_by_native =
        drive_until([&] { return holds_node(native_.doc(), socketio_id); }, 4 * kPeerEditWithin);
    const auto socketio_delay = Clock::now() - emitted;
    const auto slower = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(native_delay, socketio_delay));
    EXPECT_TRUE(seen_by_socketio && seen_by_native)
        << tag << ": a bystander never saw the other's edit";
    EXPECT_LT(slower, kPeerEditWithin)
        << tag << ": a bystander's edit took " << slower.count() << " ms to reach the other";
    // Acknowledged: the native edit left the outbox, the Socket.IO one got {ok: true}.
    EXPECT_TRUE(drive_until([&] { return native_.synced() && socketio_.ack(ack_id); }, 10s))
        << tag << ": an edit was not acknowledged";
    if (native_.synced()) acknowledged_.push_back(native_id);
    if (socketio_.ack(ack_id) && socketio_.ack(ack_id)->value("ok", false))
      acknowledged_.push_back(socketio_id);
    return slower;
  }

  TestClient& native() { return native_; }
  SocketIoTestClient& socketio() { return socketio_; }
  const std::vector<std::string>& acknowledged() const { return acknowledged_; }
  bool open() const { return native_.open() && socketio_.open(); }

 private:
  std::uint16_t port_;
  std::string workspace_;
  TestClient native_;
  SocketIoTestClient socketio_;
  std::vector<std::string> acknowledged_;
  std::uint64_t next_ack_id_ = 1;
};

// A fresh native client (replica `replica`) finds every node in `ids`.
void expect_all_present(std::uint16_t port, const std::string& workspace,
                        const std::vector<std::string>& ids, std::uint64_t replica = 9100) {
  TestClient reader(TestClientOptions{port, workspace, replica, "reader"});
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(reader.wait_synced());
  for (const std::string& id : ids)
    EXPECT_TRUE(holds_node(reader.doc(), id)) << "acknowledged node " << id << " is missing";
}

// A server under attack and its bystanders, connected and warm: the
// resident memory and the connection count that the attack is measured
// against (tests may take the baseline again later).
struct Scene {
  Scene(std::vector<std::string> flags, std::string workspace_id, bool sqlite = false)
      : target(std::move(flags), sqlite),
        workspace(std::move(workspace_id)),
        bystanders(target.started() ? target.port() : 0, workspace) {
    ready = target.started() && bystanders.connect();
    if (!ready) return;
    bystanders.round("warm-up");
    baseline = target.rss();
    connections = open_connections(target.port()).value_or(0);
  }
  Target target;
  std::string workspace;
  Bystanders bystanders;
  bool ready = false;
  std::size_t baseline = 0;
  std::size_t connections = 0;
};

// After an attack: the server answers, its connection count is back to
// `connections` (bystanders included), its memory back near `baseline`, and
// the bystanders still work.
void expect_recovered(Target& target, Bystanders& bystanders, std::size_t connections,
                      std::optional<std::size_t> baseline, const std::string& tag) {
  bool counted = false;
  bystanders.drive_until(
      [&] {
        counted = open_connections(target.port()) == connections;
        return counted;
      },
      15s);
  EXPECT_TRUE(counted) << tag << ": /healthz counts " << open_connections(target.port()).value_or(0)
                       << " connections, expected " << connections;
  bystanders.round(tag + "-after");
  ::testing::Test::RecordProperty(tag + "_rss_peak_MiB", std::to_string(target.peak_rss() / kMiB));
  if (!baseline) return;
  std::size_t rss = target.rss();
  // Freed memory goes back to the kernel as threads free it: sample a while.
  bystanders.drive_until(
      [&] {
        rss = target.rss();
        return rss <= *baseline + kRssSlack;
      },
      5s);
  EXPECT_LE(rss, *baseline + kRssSlack)
      << tag << ": resident memory " << mib(rss) << " stays above the baseline " << mib(*baseline)
      << " (peak " << mib(target.peak_rss()) << ")";
  ::testing::Test::RecordProperty(tag + "_rss_baseline_MiB", std::to_string(*baseline / kMiB));
  ::testing::Test::RecordProperty(tag + "_rss_after_MiB", std::to_string(rss / kMiB));
}

// --- 1. Garbage binary frames and truncated msgpack on /v1/sync

struct Refusal {
  bool closed = false;
  std::optional<sync::ProtocolError> error;  // the first `error` received
  std::optional<std::uint16_t> close_code;
};

// A client opens /v1/sync (and is welcomed first when `after_hello`), sends
// `frame`, and reads until the server closes (at most 5 s).
Refusal send_and_wait_close(std::uint16_t port, const std::string& workspace, std::uint64_t replica,
                            std::vector<std::uint8_t> frame, bool after_hello, bool binary = true) {
  TestClient client(TestClientOptions{port, workspace, replica, "attacker"});
  Refusal refusal;
  const bool ready = after_hello ? client.connect() && client.wait_synced() : client.connect_raw();
  if (!ready) return refusal;
  client.send_raw(std::move(frame), binary);
  refusal.closed = client.run_until([&] { return !client.open(); }, 5s);
  if (!client.errors().empty()) refusal.error = client.errors().front().code;
  refusal.close_code = client.close_code();
  return refusal;
}

bool is_protocol_refusal(std::optional<sync::ProtocolError> error) {
  return error == sync::ProtocolError::malformed_message ||
         error == sync::ProtocolError::unexpected_message ||
         error == sync::ProtocolError::unsupported_version;
}

std::vector<std::uint8_t> random_bytes(std::mt19937& random, std::size_t max_size) {
  std::vector<std::uint8_t> bytes(std::uniform_int_distribution<std::size_t>(1, max_size)(random));
  for (auto& byte : bytes)
    byte = static_cast<std::uint8_t>(random());
  return bytes;
}

// A delta message adding node `id`, as replica `replica`'s first edit.
crdt::Bytes delta_frame(std::uint64_t replica, const std::string& id) {
  crdt::GraphDoc doc(crdt::ReplicaId{replica});
  auto delta = doc.add_node(box(id));
  crdt::CausalContext covers;
  covers.insert(crdt::Dot{crdt::ReplicaId{replica}, 1});
  return sync::encode_message(sync::DeltaMessage{crdt::encode(*delta), covers});
}

TEST(HostileSyncInput, GarbageAndTruncatedMessagesGetAnErrorAndClose1002) {
  Scene scene({"--max-frame-bytes", "1MiB"}, "ws-garbage");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random frames from seed " + std::to_string(seed));
  std::mt19937 random(seed);

  // Before the hello.
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> before;
  for (int i = 0; i < 30; ++i)
    before.emplace_back("random frame " + std::to_string(i), random_bytes(random, 4096));
  const crdt::Bytes hello = sync::encode_message(sync::Hello{
      sync::kProtocolVersion, workspace, crdt::ReplicaId{77}, std::nullopt, {}, "truncated"});
  for (std::size_t cut = 1; cut < hello.size(); ++cut) {
    before.emplace_back("hello cut at byte " + std::to_string(cut),
                        std::vector<std::uint8_t>(hello.begin(), hello.begin() + cut));
  }
  // Counts the frame cannot hold: the parser must not trust them.
  before.emplace_back("array32 of 2^32-1 elements",
                      std::vector<std::uint8_t>{0xdd, 0xff, 0xff, 0xff, 0xff});
  before.emplace_back("map32 of 2^32-1 pairs",
                      std::vector<std::uint8_t>{0xdf, 0xff, 0xff, 0xff, 0xff});
  before.emplace_back("str32 of 4 GiB",
                      std::vector<std::uint8_t>{0xdb, 0xff, 0xff, 0xff, 0xff, 'x'});
  before.emplace_back("bin32 of 4 GiB", std::vector<std::uint8_t>{0xc6, 0xff, 0xff, 0xff, 0xff, 0});
  std::vector<std::uint8_t> nested(100'000, 0x91);  // [[[[...]]]]
  nested.push_back(0xc0);
  before.emplace_back("100,000 nested arrays", std::move(nested));
  for (auto& [what, frame] : before) {
    const Refusal refusal = send_and_wait_close(port, workspace, 100, frame, false);
    EXPECT_TRUE(refusal.closed) << what;
    EXPECT_TRUE(is_protocol_refusal(refusal.error)) << what;
    EXPECT_EQ(refusal.close_code, 1002) << what;
  }

  // After the hello: garbage, a truncated delta message, a second hello.
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> after;
  for (int i = 0; i < 10; ++i)
    after.emplace_back("random frame after hello " + std::to_string(i), random_bytes(random, 4096));
  for (std::size_t i = 0; i < 8; ++i) {
    const crdt::Bytes delta = delta_frame(200 + i, "cut");
    const std::size_t cut = 1 + i * (delta.size() - 1) / 8;
    after.emplace_back("delta message cut at byte " + std::to_string(cut),
                       std::vector<std::uint8_t>(delta.begin(), delta.begin() + cut));
  }
  after.emplace_back("a second hello", std::vector<std::uint8_t>(hello.begin(), hello.end()));
  std::uint64_t replica = 300;
  for (auto& [what, frame] : after) {
    const Refusal refusal = send_and_wait_close(port, workspace, replica++, frame, true);
    EXPECT_TRUE(refusal.closed) << what;
    EXPECT_TRUE(is_protocol_refusal(refusal.error)) << what;
    EXPECT_EQ(refusal.close_code, 1002) << what;
  }

  // A well-formed message whose delta payload is cut short: invalid_delta,
  // the connection stays, and its real edits still go through.
  TestClient sloppy(TestClientOptions{port, workspace, 400, "sloppy"});
  ASSERT_TRUE(sloppy.connect());
  ASSERT_TRUE(sloppy.wait_synced());
  crdt::GraphDoc scratch(crdt::ReplicaId{400});
  const crdt::Bytes payload = crdt::encode(*scratch.add_node(box("never")));
  crdt::CausalContext covers;
  covers.insert(crdt::Dot{crdt::ReplicaId{400}, 1});
  constexpr std::size_t kCuts = 20;
  for (std::size_t i = 0; i < kCuts; ++i) {
    const std::size_t cut = i * (payload.size() - 1) / kCuts;
    sloppy.send_raw(sync::encode_message(
        sync::DeltaMessage{crdt::Bytes(payload.begin(), payload.begin() + cut), covers}));
  }
  ASSERT_TRUE(sloppy.run_until([&] { return sloppy.errors().size() == kCuts; }, 10s));
  for (const auto& error : sloppy.errors())
    EXPECT_EQ(error.code, sync::ProtocolError::invalid_delta);
  ASSERT_TRUE(sloppy.open());
  ASSERT_TRUE(sloppy.edit(add_node("sloppy-real")));
  ASSERT_TRUE(sloppy.wait_synced()) << "the sloppy client's real edit is acknowledged";
  sloppy.disconnect();

  expect_recovered(target, bystanders, connections, baseline, "garbage");
  auto acknowledged = bystanders.acknowledged();
  acknowledged.push_back("sloppy-real");
  expect_all_present(port, workspace, acknowledged);
  EXPECT_FALSE(holds_node(bystanders.native().doc(), "never"));
  EXPECT_FALSE(holds_node(bystanders.native().doc(), "cut"));
}

// A frame of N one-byte nils: a decoder that builds a msgpack-c object tree
// first costs 24 N bytes while it decodes (16 MiB frames, the default: 400
// MiB on each I/O thread at once). The codecs read msgpack element by
// element instead (crdt/msgpack_reader.hpp), after a check that allocates
// nothing.
TEST(HostileSyncInput, AFrameOfTinyElementsCostsMemoryInProportionToItsSize) {
  Target target({"--max-frame-bytes", "4MiB"});
  ASSERT_TRUE(target.started());
  const std::size_t before = target.rss();
  constexpr std::uint32_t kElements = (4u << 20) - 5;
  std::vector<std::uint8_t> frame{0xdd, kElements >> 24, (kElements >> 16) & 0xff,
                                  (kElements >> 8) & 0xff, kElements & 0xff};
  frame.resize(frame.size() + kElements, 0xc0);
  const Refusal refusal = send_and_wait_close(target.port(), "ws-bomb", 1, frame, false);
  EXPECT_EQ(refusal.error, sync::ProtocolError::malformed_message);
  EXPECT_EQ(refusal.close_code, 1002);
  // The frame itself is 4 MiB, held twice (Beast's buffer, the copy).
  EXPECT_LE(target.peak_rss(), before + kRssSlack)
      << "decoding a 4 MiB frame peaked at " << mib(target.peak_rss() - before) << " above "
      << mib(before);
}

// --- 2. Oversized frames and messages

constexpr std::string_view kEngineIoWebSocket = "/socket.io/?EIO=4&transport=websocket";
constexpr std::string_view kEngineIoPolling = "/socket.io/?EIO=4&transport=polling";

struct Closing {
  bool closed = false;                      // within 10 s
  std::optional<std::uint16_t> close_code;  // none when the server reset instead
};

// Opens a WebSocket to `target` and sends one message of `total_bytes`
// (text or binary) in fragments of `fragment_bytes`, while reading whatever
// the server sends until it closes.
Closing send_in_fragments(std::uint16_t port, std::string_view target, std::size_t total_bytes,
                          std::size_t fragment_bytes, bool text) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  Closing result;
  boost::system::error_code error;
  beast::get_lowest_layer(ws).socket().connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error);
  if (!error) ws.handshake("127.0.0.1", std::string(target), error);
  if (error) return result;
  ws.binary(!text);
  ws.auto_fragment(false);
  const std::string fragment(fragment_bytes, text ? 'a' : '\x90');
  std::size_t sent = 0;
  std::function<void()> write_more = [&] {
    const std::size_t size = std::min(fragment_bytes, total_bytes - sent);
    const bool last = sent + size == total_bytes;
    ws.async_write_some(last, asio::buffer(fragment.data(), size),
                        [&, size, last](boost::system::error_code failed, std::size_t) {
                          sent += size;
                          if (!failed && !last) write_more();
                        });
  };
  beast::flat_buffer buffer;
  std::function<void()> read_more = [&] {
    ws.async_read(buffer, [&](boost::system::error_code failed, std::size_t) {
      buffer.clear();
      if (!failed) return read_more();
      if (failed == websocket::error::closed) result.close_code = ws.reason().code;
      result.closed = true;
    });
  };
  write_more();
  read_more();
  const auto deadline = Clock::now() + 10s;
  while (!result.closed && Clock::now() < deadline)
    io.run_for(10ms);
  return result;
}

// A new Engine.IO polling session: its sid (empty when the handshake failed).
std::string open_polling_session(std::uint16_t port) {
  const HttpReply reply = http_request(port, "GET", kEngineIoPolling);
  if (reply.status != 200 || reply.body.empty() || reply.body[0] != '0') return {};
  return json::parse(reply.body.substr(1), nullptr, false).value("sid", "");
}

HttpReply post_polling(std::uint16_t port, const std::string& sid, std::string_view body) {
  return http_request(port, "POST", std::string(kEngineIoPolling) + "&sid=" + sid, body);
}

// The Engine.IO error code of a 400 answer, or -1.
int engineio_error_code(const HttpReply& reply) {
  if (reply.status != 400) return -1;
  return json::parse(reply.body, nullptr, false).value("code", -1);
}

// A Socket.IO EVENT as an Engine.IO message, its JSON written by hand.
std::string event_frame(std::string_view name, std::string_view payload_json) {
  return "42[\"" + std::string(name) + "\"," + std::string(payload_json) + "]";
}

// The last `error` event a Socket.IO client received since `from`.
std::optional<std::string> error_event(const SocketIoTestClient& client, std::size_t from) {
  std::optional<std::string> message;
  for (std::size_t i = from; i < client.events().size(); ++i) {
    if (client.events()[i].name == "error")
      message = client.events()[i].payload.value("message", std::string("(no message)"));
  }
  return message;
}

TEST(HostileOversized, MessagesPastTheLimitsAreClosedWith1009OrRefused) {
  Scene scene({"--max-frame-bytes", "64KiB"}, "ws-oversized");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // Native, past --max-frame-bytes: one frame, or fragments that add up.
  // Beast fails the connection with 1009 before the message is read. The
  // client, still writing, gets the close code all the same: the server
  // drains what it sends instead of resetting it (lingering_close.hpp).
  for (const std::size_t fragment : {std::size_t{128} << 10, std::size_t{16} << 10}) {
    const Closing closing = send_in_fragments(port, "/v1/sync", 128u << 10, fragment, false);
    EXPECT_TRUE(closing.closed) << "fragments of " << fragment;
    EXPECT_EQ(closing.close_code, std::optional<std::uint16_t>{1009})
        << "fragments of " << fragment;
  }
  // The same after the hello: the user also leaves everyone's presence.
  {
    TestClient big(TestClientOptions{port, workspace, 500, "big"});
    ASSERT_TRUE(big.connect());
    ASSERT_TRUE(big.wait_synced());
    const std::string big_user = big.session().user()->id;
    big.send_raw(std::vector<std::uint8_t>(128u << 10, 0x90));
    ASSERT_TRUE(big.run_until([&] { return !big.open(); }, 5s));
    EXPECT_EQ(big.close_code(), std::optional<std::uint16_t>{1009});
    const auto& presence = bystanders.native().presence();
    EXPECT_TRUE(bystanders.drive_until(
        [&] {
          return !presence.empty() && presence.back().user_id == big_user &&
                 presence.back().state.is_null();
        },
        5s))
        << "the closed user left the bystander's presence";
  }
  // Within the frame limit but past a protocol limit: message_too_large
  // first, then 1009.
  const auto too_large_hello = [&](std::string workspace_id, std::string name) {
    return sync::encode_message(sync::Hello{sync::kProtocolVersion,
                                            std::move(workspace_id),
                                            crdt::ReplicaId{501},
                                            std::nullopt,
                                            {},
                                            std::move(name)});
  };
  for (const auto& [what, frame] :
       {std::pair{"a workspace id of 200 bytes", too_large_hello(std::string(200, 'w'), "x")},
        std::pair{"a client name of 300 bytes",
                  too_large_hello(workspace, std::string(300, 'n'))}}) {
    const Refusal refusal = send_and_wait_close(port, workspace, 501, frame, false);
    EXPECT_TRUE(refusal.closed) << what;
    EXPECT_EQ(refusal.error, sync::ProtocolError::message_too_large) << what;
    EXPECT_EQ(refusal.close_code, 1009) << what;
  }
  // A presence state past 15 KiB (what a client may send) is refused with
  // message_too_large and the connection stays; past 16 KiB (what the
  // message format allows) the message itself is refused, and closed.
  {
    TestClient chatty(TestClientOptions{port, workspace, 502, "chatty"});
    ASSERT_TRUE(chatty.connect());
    ASSERT_TRUE(chatty.wait_synced());
    const auto presence = [](std::size_t bytes) {
      return sync::encode_message(
          sync::Presence{"ignored", crdt::Json{{"blob", std::string(bytes, 'p')}}});
    };
    chatty.send_raw(presence(15'500));
    ASSERT_TRUE(chatty.run_until([&] { return !chatty.errors().empty(); }, 5s));
    EXPECT_EQ(chatty.errors()[0].code, sync::ProtocolError::message_too_large);
    chatty.run_until([] { return false; }, 200ms);
    EXPECT_TRUE(chatty.open()) << "a presence past 15 KiB leaves the connection open";
    const Refusal refusal = send_and_wait_close(port, workspace, 503, presence(20u << 10), true);
    EXPECT_EQ(refusal.error, sync::ProtocolError::message_too_large);
    EXPECT_EQ(refusal.close_code, 1009);
  }

  // Engine.IO WebSocket: a message past 1,000,000 bytes (maxPayload), in one
  // frame or in fragments, is closed with 1009 the same way.
  for (const std::size_t fragment : {std::size_t{1'000'001}, std::size_t{100'000}}) {
    const Closing closing = send_in_fragments(port, kEngineIoWebSocket, 1'000'001, fragment, true);
    EXPECT_TRUE(closing.closed) << "fragments of " << fragment;
    EXPECT_EQ(closing.close_code, std::optional<std::uint16_t>{1009})
        << "fragments of " << fragment;
  }
  // A Socket.IO node past 256 KiB inside a legal message: an error event to
  // the sender only, which stays connected; nothing changes.
  {
    SocketIoTestClient attacker(port);
    ASSERT_TRUE(attacker.connect());
    ASSERT_TRUE(attacker.join(workspace, "attacker"));
    const std::size_t from = attacker.events().size();
    json node = box("too-big");
    node["data"]["blob"] = std::string(300u << 10, 'b');
    attacker.emit("node_change", {{"type", "add"}, {"node", node}, {"workspaceId", workspace}}, 1);
    ASSERT_TRUE(attacker.run_until([&] { return attacker.ack(1).has_value(); }, 5s));
    EXPECT_FALSE(attacker.ack(1)->value("ok", true));
    EXPECT_TRUE(error_event(attacker, from).has_value());
    EXPECT_TRUE(attacker.open());
  }
  // Polling: a body past maxPayload is Engine.IO's 400 "bad request" (code 3)
  // and ends the session; one past the HTTP body limit (1 MiB) is 413.
  {
    const std::string sid = open_polling_session(port);
    ASSERT_FALSE(sid.empty());
    const std::string body =
        event_frame("node_data_update", "{\"pad\":\"" + std::string(1'000'100, 'p') + "\"}");
    EXPECT_EQ(engineio_error_code(post_polling(port, sid, body)), 3);
    EXPECT_EQ(engineio_error_code(post_polling(port, sid, "40")), 1) << "the session is gone";
    const std::string other = open_polling_session(port);
    ASSERT_FALSE(other.empty());
    EXPECT_EQ(post_polling(port, other, std::string(2u << 20, 'x')).status, 413u);
    // The client writes all of its body before it reads: the 413 must reach
    // it even though the server stops reading at 1 MiB (a close with unread
    // bytes would reset the connection and destroy the answer).
    EXPECT_EQ(http_request(port, "POST", "/api/workspaces", std::string(8u << 20, 'x')).status,
              413u);
  }

  EXPECT_TRUE(bystanders.open());
  expect_recovered(target, bystanders, connections, baseline, "oversized");
  expect_all_present(port, workspace, bystanders.acknowledged());
  EXPECT_FALSE(holds_node(bystanders.native().doc(), "too-big"));
}

// --- 3. Invalid UTF-8 in text frames

TEST(HostileText, InvalidUtf8InTextFramesIsRefusedWith1007) {
  Scene scene({}, "ws-utf8");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // A stray continuation byte, an overlong '/', a UTF-16 surrogate, a
  // sequence cut short, and bytes that never occur in UTF-8.
  const std::vector<std::string> invalid{"\x80", "\xc0\xaf", "\xed\xa0\x80", "ok\xe2\x82",
                                         "\xfe\xff"};
  // Native: the WebSocket layer checks text frames and fails the connection
  // with 1007 (invalid payload data), before and after the hello.
  for (const std::string& bytes : invalid) {
    for (const bool after_hello : {false, true}) {
      const Refusal refusal = send_and_wait_close(
          port, workspace, 600, std::vector<std::uint8_t>(bytes.begin(), bytes.end()), after_hello,
          /*binary=*/false);
      EXPECT_TRUE(refusal.closed);
      EXPECT_EQ(refusal.close_code, 1007) << (after_hello ? "after" : "before") << " the hello";
    }
  }
  // Engine.IO WebSocket: the same, inside an otherwise valid event.
  for (const std::string& bytes : invalid) {
    SocketIoTestClient attacker(port);
    ASSERT_TRUE(attacker.connect());
    ASSERT_TRUE(attacker.join(workspace, "attacker"));
    attacker.send_frame(event_frame("node_change", "{\"type\":\"add\",\"node\":{\"id\":\"" + bytes +
                                                       "\",\"position\":{\"x\":0,\"y\":0}}}"));
    ASSERT_TRUE(attacker.run_until([&] { return !attacker.open(); }, 5s));
    EXPECT_EQ(attacker.close_code(), 1007);
  }
  // A lone surrogate escaped in valid UTF-8 text: the JSON does not parse,
  // the connection is closed as the reference server does.
  {
    SocketIoTestClient attacker(port);
    ASSERT_TRUE(attacker.connect());
    attacker.send_frame(event_frame(
        "join_workspace", "{\"workspaceId\":\"" + workspace + "\",\"username\":\"\\ud800\"}"));
    EXPECT_TRUE(attacker.run_until([&] { return !attacker.open(); }, 5s));
  }
  // Polling (HTTP bodies are not checked by the WebSocket layer): 400 with
  // Engine.IO code 3, and the session ends.
  {
    const std::string sid = open_polling_session(port);
    ASSERT_FALSE(sid.empty());
    const HttpReply refused =
        post_polling(port, sid, event_frame("join_workspace", "{\"username\":\"\xff\"}"));
    EXPECT_EQ(engineio_error_code(refused), 3) << refused.body;
    EXPECT_EQ(engineio_error_code(post_polling(port, sid, "40")), 1) << "the session is gone";
  }
  // A native client name in broken UTF-8 is accepted, cleaned: the
  // Socket.IO bystander is told of the user with a valid name. (Its
  // user_joined is found by the user's id: the attackers' joins above are
  // still unread when this starts.)
  {
    TestClient named(TestClientOptions{port, workspace, 601, "evil\xff\xc0\xaf name"});
    ASSERT_TRUE(named.connect());
    ASSERT_TRUE(named.wait_synced());
    const std::string named_id = named.session().user()->id;
    std::optional<std::string> username;
    EXPECT_TRUE(bystanders.drive_until(
        [&] {
          for (const auto& event : bystanders.socketio().events()) {
            if (event.name == "user_joined" && event.payload["user"].value("id", "") == named_id)
              username = event.payload["user"].value("username", "");
          }
          return username.has_value();
        },
        5s));
    EXPECT_EQ(username, "evil name");
  }

  EXPECT_TRUE(bystanders.open());
  expect_recovered(target, bystanders, connections, baseline, "utf8");
  expect_all_present(port, workspace, bystanders.acknowledged());
}

// A client's WebSocket frame (masked, as RFC 6455 requires of a client)
// with a payload of less than 126 bytes.
std::string client_frame(std::uint8_t opcode, std::string_view payload) {
  constexpr char kMask[4] = {0x11, 0x22, 0x33, 0x44};
  std::string frame{static_cast<char>(0x80 | opcode), static_cast<char>(0x80 | payload.size())};
  frame.append(kMask, sizeof kMask);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame += static_cast<char>(payload[i] ^ kMask[i % 4]);
  return frame;
}

// Opens a WebSocket on `client` by hand (the 101 is in its received()).
void upgrade_to_websocket(RawConnection& client, std::string_view path) {
  ASSERT_TRUE(client.send("GET " + std::string(path) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n"));
  ASSERT_TRUE(client.read_until(
      [](const std::string& received) { return received.find("\r\n\r\n") != std::string::npos; },
      5s));
  ASSERT_EQ(client.received().rfind("HTTP/1.1 101", 0), 0u) << client.received();
}

// For each server WebSocket (native, Engine.IO) of a fresh server: opens
// one by hand and has the server fail it with 1007 (a text frame of invalid
// UTF-8), then runs `then` on it. The server stops sending: the close frame
// (unmasked: 0x88, length 2, the code), then the end of the stream, which
// this waits for.
void after_failing_each_websocket(
    const std::function<void(RawConnection& client, std::uint16_t port)>& then) {
  Target target({});
  ASSERT_TRUE(target.started());
  const std::uint16_t port = target.port();
  for (const std::string_view path : {std::string_view("/v1/sync"), kEngineIoWebSocket}) {
    SCOPED_TRACE(std::string(path));
    RawConnection client(port);
    ASSERT_TRUE(client.connected());
    ASSERT_NO_FATAL_FAILURE(upgrade_to_websocket(client, path));
    ASSERT_TRUE(client.send(client_frame(0x1, "\xff")));
    ASSERT_TRUE(client.read_until_closed(5s)) << "no end of stream after the close frame";
    then(client, port);
  }
}

// Frames a client sent before it read the server's close frame arrive after
// the server failed the connection. The server must read them and the
// client's answering close, and close only once the client has: closing
// with them unread (Beast 1.74's own teardown closes after its first read)
// makes the kernel reset the connection, and a client whose close frame is
// still unread, or that is still answering it, loses it to the reset.
TEST(HostileText, FramesCrossingTheCloseFrameDoNotResetTheConnection) {
  after_failing_each_websocket([](RawConnection& client, std::uint16_t port) {
    EXPECT_NE(client.received().find(std::string("\x88\x02\x03\xef", 4)), std::string::npos)
        << "no close frame with 1007";
    // A frame that crossed the close frame, then (once the server has read
    // it, which it shows by no longer counting the connection, or after half
    // a second) the client's close. A reset can take a retransmission
    // timeout (200 ms) to come back: watch for one for a second.
    ASSERT_TRUE(client.send(client_frame(0x2, "crossing")));
    const std::size_t others = 1;  // the request of /healthz itself
    for (const auto until = Clock::now() + 500ms;
         Clock::now() < until && open_connections(port).value_or(0) > others;)
      std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(client.send(client_frame(0x8, "\x03\xef")));
    bool reset = false;
    for (const auto until = Clock::now() + 1s; Clock::now() < until && !reset;) {
      std::this_thread::sleep_for(20ms);
      reset = client.reset_by_peer();
    }
    EXPECT_FALSE(reset) << "the server reset the connection";
    client.shutdown_sending();
  });
}

// A client that keeps sending after the server failed its connection and
// never closes: the server drains it for kLingerTime (2 s,
// lingering_close.hpp) at most, then closes the socket, and what the client
// sends next is answered with a reset. Without that bound a client could
// hold the connection's memory and descriptor forever.
TEST(HostileText, AClientThatNeverClosesIsDrainedOnlyForTheLingerTime) {
  after_failing_each_websocket([](RawConnection& client, std::uint16_t) {
    bool reset = false;
    for (const auto until = Clock::now() + 15s; Clock::now() < until && !reset;) {
      client.send(client_frame(0x2, "still here"));
      std::this_thread::sleep_for(100ms);
      reset = client.reset_by_peer();
    }
    EXPECT_TRUE(reset) << "the server still reads the connection after 15 s";
  });
}

// --- 4. Deeply nested JSON and huge arrays in Socket.IO events

// node_data_update events of node "target" whose JSON fits the 1,000,000
// byte message limit but not the model's: an array of 495,000 elements
// (past 65,536 per container), 90,000 data keys (past 256), and an event
// with 330,000 arguments.
std::vector<std::string> huge_container_events(const std::string& workspace) {
  const auto data_update = [&](const std::string& data_json) {
    return event_frame("node_data_update", "{\"nodeId\":\"target\",\"workspaceId\":\"" + workspace +
                                               "\",\"data\":" + data_json + "}");
  };
  std::string huge_array = "{\"big\":[0";
  while (huge_array.size() < 990'000)
    huge_array += ",0";
  std::string many_keys = "{\"k0\":0";
  for (int key = 1; many_keys.size() < 990'000; ++key)
    many_keys += ",\"k" + std::to_string(key) + "\":0";
  std::string many_arguments = "42[\"node_data_update\"";
  while (many_arguments.size() < 990'000)
    many_arguments += ",{}";
  return {data_update(huge_array + "]}"), data_update(many_keys + "}"), many_arguments + "]"};
}

std::size_t error_events(const SocketIoTestClient& client) {
  return static_cast<std::size_t>(
      std::count_if(client.events().begin(), client.events().end(),
                    [](const SocketIoEvent& event) { return event.name == "error"; }));
}

TEST(HostileJson, DeepNestingClosesAndHugeContainersGetAnError) {
  Scene scene({}, "ws-json");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  SocketIoTestClient attacker(port);
  ASSERT_TRUE(attacker.connect());
  ASSERT_TRUE(attacker.join(workspace, "attacker"));
  attacker.emit("node_change",
                {{"type", "add"}, {"node", box("target")}, {"workspaceId", workspace}}, 1);
  ASSERT_TRUE(attacker.run_until([&] { return attacker.ack(1).has_value(); }, 5s));

  // Each huge container is parsed, refused with an error event to the
  // sender only (which stays connected), and changes nothing. One of each
  // warms the allocator up (glibc keeps what a first parse freed, for the
  // next), then the baseline, then more of each, one at a time. A burst of
  // them is HostileBackpressure's.
  const std::vector<std::string> events = huge_container_events(workspace);
  const auto refused_within = [&](const std::string& frame) {
    const std::size_t before = error_events(attacker);
    const auto started = Clock::now();
    attacker.send_frame(frame);
    EXPECT_TRUE(attacker.run_until([&] { return error_events(attacker) > before; }, 20s));
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  };
  for (const std::string& frame : events)
    refused_within(frame);
  baseline = target.rss();
  constexpr int kRounds = kSanitized ? 1 : 3;
  std::chrono::milliseconds slowest{0};
  for (int round = 0; round < kRounds; ++round) {
    for (const std::string& frame : events)
      slowest = std::max(slowest, refused_within(frame));
  }
  ::testing::Test::RecordProperty("json_slowest_refusal_ms", std::to_string(slowest.count()));
  EXPECT_TRUE(attacker.open());
  attacker.emit("node_data_update",
                {{"nodeId", "target"}, {"workspaceId", workspace}, {"data", {{"still", "works"}}}},
                2);
  ASSERT_TRUE(attacker.run_until([&] { return attacker.ack(2).has_value(); }, 10s));
  EXPECT_TRUE(attacker.ack(2)->value("ok", false)) << attacker.ack(2)->dump();
  bystanders.round("after-huge");

  // Nesting past 32 levels is refused before parsing and closes the
  // connection: 100,000 levels here, 200 KB of brackets.
  attacker.send_frame(event_frame(
      "node_data_update", "{\"nodeId\":\"target\",\"data\":{\"deep\":" + std::string(100'000, '[') +
                              std::string(100'000, ']') + "}}"));
  EXPECT_TRUE(attacker.run_until([&] { return !attacker.open(); }, 5s));
  // The same over polling: the POST is taken, the session ends.
  {
    const std::string sid = open_polling_session(port);
    ASSERT_FALSE(sid.empty());
    EXPECT_EQ(post_polling(port, sid, "40").status, 200u);
    EXPECT_EQ(
        post_polling(port, sid,
                     event_frame("sync_request", std::string(1000, '[') + std::string(1000, ']')))
            .status,
        200u);
    EXPECT_EQ(engineio_error_code(post_polling(port, sid, "40")), 1) << "the session is gone";
  }

  EXPECT_TRUE(bystanders.open());
  expect_recovered(target, bystanders, connections, baseline, "json");
  TestClient reader(TestClientOptions{port, workspace, 700, "reader"});
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(reader.wait_synced());
  const crdt::Json view = view_of(reader);
  for (const auto& node : view["nodes"]) {
    if (node["id"] != "target") continue;
    EXPECT_EQ(node["data"].value("still", ""), "works");
    EXPECT_FALSE(node["data"].contains("big"));
    EXPECT_FALSE(node["data"].contains("k0"));
  }
}

// --- 5. A flood of tiny events

// A million events in spirit: every event takes the same path through one
// connection (decode, the workspace strand, storage, fan-out), so a count
// that runs in seconds shows whether the server paces the sender or queues
// without bound. Sanitizer builds (Debug, ASan) run a tenth to a twentieth of it.
constexpr std::size_t kNativeFloodDeltas = kSanitized ? 1'000 : 20'000;
constexpr std::size_t kSocketIoFloodEvents = kSanitized ? 5'000 : 50'000;

double node_number(const crdt::Json& view, const std::string& id, const std::string& key) {
  for (const auto& node : view["nodes"]) {
    if (node["id"] == id && node["data"].contains(key) && node["data"][key].is_number())
      return node["data"][key].get<double>();
  }
  return -1;
}

// Runs `attack` on its own thread; meanwhile the bystanders edit, each
// round timed, and the server's resident memory is sampled. The slowest
// round and the peak.
struct UnderAttack {
  std::chrono::milliseconds slowest{0};
  std::size_t peak_rss = 0;
  std::chrono::milliseconds took{0};
};
UnderAttack while_attacked(Target& target, Bystanders& bystanders,
                           const std::function<void()>& attack) {
  std::atomic<bool> running{true};
  std::thread attacker([&] {
    attack();
    running = false;
  });
  UnderAttack result;
  const auto started = Clock::now();
  for (int round = 0; running; ++round) {
    result.slowest = std::max(result.slowest, bystanders.round("during-" + std::to_string(round)));
    result.peak_rss = std::max(result.peak_rss, target.rss());
    bystanders.idle(50ms);
  }
  attacker.join();
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return result;
}

TEST(HostileFlood, ANativeDeltaFloodIsPacedAndLosesNoAcknowledgedEditAcrossSigkill) {
  Scene scene({}, "ws-flood", /*sqlite=*/true);
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // One width written over and over, each write its own delta frame, as
  // fast as the socket takes them; then every one must be acknowledged.
  bool acknowledged = false;
  const UnderAttack attacked = while_attacked(target, bystanders, [&] {
    TestClient flooder(TestClientOptions{port, workspace, 800, "native flooder"});
    if (!flooder.connect() || !flooder.wait_synced() || !flooder.edit(add_node("hot"))) return;
    bool edited = true;
    for (std::size_t i = 0; i < kNativeFloodDeltas; ++i) {
      edited = edited && flooder.edit(set_width("hot", static_cast<double>(i)));
      if (i % 500 == 0) flooder.run_until([] { return false; }, 1ms);
    }
    acknowledged = edited && flooder.wait_synced(60s);
  });
  EXPECT_TRUE(acknowledged) << "every delta of the flood was acknowledged";
  ::testing::Test::RecordProperty("native_flood_ms", std::to_string(attacked.took.count()));
  ::testing::Test::RecordProperty("native_flood_slowest_bystander_ms",
                                  std::to_string(attacked.slowest.count()));
  // The sync connection hands the workspace one frame at a time: what the
  // flood has in the server at once is a frame and the socket's buffers.
  EXPECT_LE(attacked.peak_rss, baseline + kRssSlack)
      << "peak resident memory during the flood " << mib(attacked.peak_rss);

  const double last = static_cast<double>(kNativeFloodDeltas - 1);
  EXPECT_TRUE(bystanders.drive_until(
      [&] { return node_number(view_of(bystanders.native()), "hot", "width") == last; }, 30s));
  expect_recovered(target, bystanders, connections, baseline, "native-flood");

  // SIGKILL and a restart on the same SQLite file: every acknowledged edit,
  // the flood's last value included, is there.
  const std::vector<std::string> before_kill = bystanders.acknowledged();
  target.restart();
  ASSERT_TRUE(target.started());
  expect_all_present(target.port(), workspace, before_kill);
  TestClient reader(TestClientOptions{target.port(), workspace, 9200, "reader"});
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(reader.wait_synced());
  EXPECT_EQ(node_number(view_of(reader), "hot", "width"), last);
}

// Socket.IO is paced the same way: the Engine.IO WebSocket reads its next
// message, and a polling POST is answered, only once the workspace ran the
// event before (MessageTaken). Without that a flooder filled the workspace
// strand's queue as fast as it could send, and every bystander waited
// behind it (50,000 tiny events: 5 s and 50 MiB; 300,000: 105 s and 230 MiB).
TEST(HostileBackpressure, SocketIoFloodsArePacedLikeNativeOnes) {
  Scene scene({}, "ws-socketio-flood");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // Tiny node_data_update events of one node, every thousandth (and the
  // last) asking for an ack; then a burst of the huge containers of test 4.
  bool acknowledged = false;
  // Built before the flooder connects: a client busy building 30 MB of JSON
  // reads nothing and answers no ping (8-10 s under ASan with a busy loop
  // beside it, and past the 20 s ping timeout on a busier machine).
  const std::vector<std::string> huge_events = huge_container_events(workspace);
  const UnderAttack attacked = while_attacked(target, bystanders, [&] {
    SocketIoTestClient flooder(port);
    if (!flooder.connect() || !flooder.join(workspace, "flooder")) return;
    flooder.emit("node_change", {{"type", "add"}, {"node", box("hot")}, {"workspaceId", workspace}},
                 1);
    std::vector<std::uint64_t> asked;
    for (std::size_t i = 0; i < kSocketIoFloodEvents; ++i) {
      std::optional<std::uint64_t> ack;
      if ((i + 1) % 1000 == 0 || i + 1 == kSocketIoFloodEvents) asked.push_back(*(ack = i + 2));
      flooder.emit("node_data_update",
                   {{"nodeId", "hot"}, {"workspaceId", workspace}, {"data", {{"v", i}}}}, ack);
      // Only this client's own queue is kept short: the socket's
      // backpressure is what paces a real flooder.
      if (flooder.pending_writes() > 1000)
        flooder.run_until([&] { return flooder.pending_writes() < 100; }, 30s);
    }
    for (int burst = 0; burst < 10; ++burst) {
      for (const std::string& frame : huge_events)
        flooder.send_frame(frame);
    }
    acknowledged = flooder.run_until(
        [&] {
          return std::all_of(asked.begin(), asked.end(), [&](std::uint64_t id) {
            return flooder.ack(id) && flooder.ack(id)->value("ok", false);
          });
        },
        // 22 s under ASan here, 49 s on the CI machine, over 60 s once:
        // well inside ctest's 240 s, so a failure still reports itself.
        120s);
  });
  EXPECT_TRUE(acknowledged) << "every Socket.IO ack asked for came back ok";
  EXPECT_LT(attacked.slowest, kPeerEditWithin) << "bystanders wait behind the flood";
  EXPECT_LE(attacked.peak_rss, baseline + kRssSlack)
      << "peak resident memory during the flood " << mib(attacked.peak_rss);
  expect_recovered(target, bystanders, connections, baseline, "socketio-flood");
}

// Nodes of 20 KB: `big-<n % kBlobNodes>` gets a fresh 20 KB blob from the
// native bystander (added, or rewritten in place). With `wait`, until the
// Socket.IO bystander has it: whoever writes many of these paces itself by
// a reader whose queue has the same bound as everyone's.
constexpr std::size_t kBlobNodes = 250;
void write_blob(Bystanders& bystanders, std::size_t n, bool add, bool wait) {
  const std::string id = "big-" + std::to_string(n % kBlobNodes);
  const std::size_t from = bystanders.socketio().events().size();
  const std::string blob = std::to_string(n) + std::string(20'000, 'x');
  EXPECT_TRUE(bystanders.native().edit([&](crdt::GraphDoc& doc) {
    if (!add) return doc.set_node_data(id, crdt::Json{{"blob", blob}});
    crdt::Json node = box(id);
    node["data"]["blob"] = blob;
    return doc.add_node(node);
  }));
  EXPECT_TRUE(!wait ||
              bystanders.drive_until([&] { return saw_node(bystanders.socketio(), id, from); },
                                     kPeerEditWithin))
      << "the reading Socket.IO bystander fell behind at edit " << n;
}

// Each Socket.IO client's shadow (adapters::ClientShadow, kept by the
// workspace) must cost about the document, however many edits it is sent:
// 2,000 rewrites of 20 KB blobs of 250 nodes (a document of 5 MB
// throughout). It used to keep some 70 MiB more per reading client.
TEST(HostileMemory, ASocketIoReaderCostsMemoryBoundedByTheDocument) {
  Scene scene({"--ping-interval", "1"}, "ws-rewrites", /*sqlite=*/true);
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  for (std::size_t n = 0; n < kBlobNodes; ++n)
    write_blob(bystanders, n, /*add=*/true, /*wait=*/n % 5 == 4);
  bystanders.round("after-build");
  baseline = target.rss();
  for (std::size_t n = kBlobNodes; n < kBlobNodes + 2000; ++n)
    write_blob(bystanders, n, /*add=*/false, /*wait=*/n % 5 == 4);
  ASSERT_TRUE(bystanders.native().wait_synced());
  bystanders.idle(2s);  // a pong or two: the shadow is exact again
  EXPECT_LE(target.rss(), baseline + kRssSlack) << "40 MB of rewrites of a 5 MB document left "
                                                << mib(target.rss() - baseline) << " more resident";
}

// --- 6. Slowloris

TEST(HostileSlowloris, TricklingClientsAreCutOffAtTheIdleTimeoutWhileBystandersWork) {
  Scene scene({"--http-idle-timeout", "1"}, "ws-slowloris");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // Headers one byte at a time (a plain request, a WebSocket upgrade on
  // each endpoint), and a body one byte at a time behind honest headers.
  const std::vector<std::string> requests{
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a'),
      "GET /v1/sync HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\nX-Slow: " +
          std::string(200, 'a'),
      "GET " + std::string(kEngineIoWebSocket) +
          " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: " + std::string(200, 'a'),
      "POST " + std::string(kEngineIoPolling) +
          " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(500, '4')};
  constexpr std::size_t kPerKind = 15;
  struct Trickle {
    std::unique_ptr<RawConnection> connection;
    const std::string* request;
    std::size_t sent = 0;
    std::optional<Clock::duration> cut_after;
  };
  std::vector<Trickle> trickles;
  for (const std::string& request : requests) {
    for (std::size_t i = 0; i < kPerKind; ++i) {
      trickles.push_back({std::make_unique<RawConnection>(port), &request, 0, std::nullopt});
      ASSERT_TRUE(trickles.back().connection->connected());
    }
  }
  const auto started = Clock::now();
  std::size_t open = trickles.size();
  int round = 0;
  while (open > 0 && Clock::now() - started < 10s) {
    for (Trickle& trickle : trickles) {
      if (trickle.cut_after) continue;
      if (trickle.connection->read_until_closed(0ms) ||
          !trickle.connection->send(
              trickle.request->substr(trickle.sent++ % trickle.request->size(), 1))) {
        trickle.cut_after = Clock::now() - started;
        --open;
      }
    }
    // A byte every 100 ms or so, and the bystanders go on meanwhile.
    if (++round % 10 == 0)
      bystanders.round("during-" + std::to_string(round));
    else
      bystanders.idle(100ms);
  }
  Clock::duration last_cut{0};
  for (const Trickle& trickle : trickles) {
    ASSERT_TRUE(trickle.cut_after) << "a trickling connection was never cut off";
    last_cut = std::max(last_cut, *trickle.cut_after);
  }
  // The timeout is 1 s for the whole request; the bystanders' rounds delay
  // the check by at most a few of their own round trips.
  EXPECT_LT(last_cut, 5s);
  ::testing::Test::RecordProperty(
      "slowloris_last_cut_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(last_cut).count()));
  expect_recovered(target, bystanders, connections, baseline, "slowloris");
  expect_all_present(port, workspace, bystanders.acknowledged());
}

// --- 7. Half-open connections

// The users a Socket.IO client was told have left.
std::set<std::string> users_left(const SocketIoTestClient& client) {
  std::set<std::string> left;
  for (const auto& event : client.events())
    if (event.name == "user_left") left.insert(event.payload.value("userId", ""));
  return left;
}

TEST(HostileHalfOpen, SilentConnectionsAreDroppedByTheirTimeoutsAndTheirUsersLeave) {
  Scene scene({"--http-idle-timeout", "1", "--ping-interval", "1", "--ping-timeout", "1"},
              "ws-half-open");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();
  const std::size_t descriptors = target.descriptors();

  // Each kind goes silent: its socket stays open, nothing is read or sent
  // (a peer whose network vanished looks the same to the server until a
  // timeout). TCP connections that never send a byte; native WebSockets
  // that never send their hello, and others that joined; Socket.IO over
  // WebSocket, joined; Engine.IO polling sessions, joined, never polled.
  constexpr std::size_t kPerKind = 5;
  std::vector<std::unique_ptr<RawConnection>> tcp;
  std::vector<std::unique_ptr<TestClient>> before_hello, joined;
  std::vector<std::unique_ptr<SocketIoTestClient>> socketio;
  std::set<std::string> silent_users;
  for (std::size_t i = 0; i < kPerKind; ++i) {
    tcp.push_back(std::make_unique<RawConnection>(port));
    before_hello.push_back(
        std::make_unique<TestClient>(TestClientOptions{port, workspace, 1000 + i, "mute"}));
    ASSERT_TRUE(before_hello.back()->connect_raw());
    joined.push_back(
        std::make_unique<TestClient>(TestClientOptions{port, workspace, 1100 + i, "silent"}));
    ASSERT_TRUE(joined.back()->connect());
    ASSERT_TRUE(joined.back()->wait_synced());
    silent_users.insert(joined.back()->session().user()->id);
    socketio.push_back(std::make_unique<SocketIoTestClient>(port));
    ASSERT_TRUE(socketio.back()->connect());
    ASSERT_TRUE(socketio.back()->join(workspace, "silent socket.io"));
    const std::string sid = open_polling_session(port);
    ASSERT_FALSE(sid.empty());
    ASSERT_EQ(post_polling(port, sid, "40").status, 200u);
    ASSERT_EQ(post_polling(port, sid,
                           event_frame("join_workspace", "{\"workspaceId\":\"" + workspace +
                                                             "\",\"username\":\"poller\"}"))
                  .status,
              200u);
  }
  // Users joined: 5 native, 5 Socket.IO over WebSocket, 5 polling. The
  // Socket.IO bystander learns their ids from user_joined.
  std::set<std::string> joined_ids;
  ASSERT_TRUE(bystanders.drive_until(
      [&] {
        joined_ids.clear();
        for (const auto& event : bystanders.socketio().events())
          if (event.name == "user_joined") joined_ids.insert(event.payload["user"].value("id", ""));
        return joined_ids.size() >= 3 * kPerKind;
      },
      10s))
      << joined_ids.size() << " users joined";

  // Heartbeats: a WebSocket peer silent for ping interval + timeout (2 s)
  // is closed; an Engine.IO session gets a ping each interval and is closed
  // without a pong within the timeout, and its silent WebSocket is given the
  // close handshake's grace (5 s) before the socket goes. Bound: 2 + 5 s,
  // and slack.
  const auto started = Clock::now();
  bool dropped = false;
  bystanders.drive_until(
      [&] {
        dropped = open_connections(port) == connections;
        return dropped;
      },
      20s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_TRUE(dropped) << "/healthz still counts " << open_connections(port).value_or(0)
                       << " connections, expected " << connections;
  EXPECT_LT(took, 12s);
  ::testing::Test::RecordProperty("half_open_dropped_ms", std::to_string(took.count()));
  for (auto& connection : tcp)
    EXPECT_TRUE(connection->read_until_closed(0ms)) << "a silent TCP connection is still open";
  // Every silent user left everyone's presence.
  EXPECT_TRUE(bystanders.drive_until(
      [&] {
        const auto left = users_left(bystanders.socketio());
        return std::all_of(joined_ids.begin(), joined_ids.end(),
                           [&](const std::string& id) { return left.count(id) > 0; });
      },
      5s))
      << users_left(bystanders.socketio()).size() << " of " << joined_ids.size() << " users left";
  for (const std::string& user : silent_users) {
    const auto& presence = bystanders.native().presence();
    EXPECT_TRUE(std::any_of(presence.begin(), presence.end(),
                            [&](const sync::Presence& entry) {
                              return entry.user_id == user && entry.state.is_null();
                            }))
        << "native user " << user << " left the native bystander's presence";
  }
  EXPECT_TRUE(bystanders.drive_until([&] { return target.descriptors() <= descriptors; }, 5s))
      << target.descriptors() << " descriptors open, " << descriptors << " before";
  expect_recovered(target, bystanders, connections, baseline, "half-open");
  expect_all_present(port, workspace, bystanders.acknowledged());
}

// --- 8. A connection flood

TEST(HostileConnectionFlood, PastMaxConnectionsNewOnesGet503AndTheCountRecovers) {
  constexpr std::size_t kMaxConnections = 40;
  Scene scene({"--max-connections", std::to_string(kMaxConnections)}, "ws-conn-flood");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();
  ASSERT_EQ(connections, 3u) << "two bystanders and /healthz's own request";
  const double refused_before = metric(port, "trellis_connections_refused_total");

  // Fill every slot but one: native clients that joined the workspace, and
  // plain TCP connections that sent nothing; /healthz then takes the last.
  constexpr std::size_t kNatives = 18;
  std::vector<std::unique_ptr<TestClient>> natives;
  for (std::size_t i = 0; i < kNatives; ++i) {
    natives.push_back(
        std::make_unique<TestClient>(TestClientOptions{port, workspace, 2000 + i, "crowd"}));
    ASSERT_TRUE(natives.back()->connect());
    ASSERT_TRUE(natives.back()->wait_synced());
  }
  std::vector<std::unique_ptr<RawConnection>> idle;
  while (2 + natives.size() + idle.size() < kMaxConnections - 1)
    idle.push_back(std::make_unique<RawConnection>(port));
  ASSERT_TRUE(bystanders.drive_until([&] { return open_connections(port) == kMaxConnections; }, 5s))
      << "every connection is counted: " << open_connections(port).value_or(0);
  idle.push_back(std::make_unique<RawConnection>(port));
  ASSERT_FALSE(idle.back()->read_until_closed(300ms)) << "the last slot was free";
  EXPECT_FALSE(open_connections(port).has_value()) << "full: /healthz itself is refused";

  // Past the limit: 503 and closed, for plain HTTP and for WebSocket
  // upgrades of both kinds.
  std::vector<std::unique_ptr<RawConnection>> extra;
  for (int i = 0; i < 20; ++i) {
    extra.push_back(std::make_unique<RawConnection>(port));
    extra.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  for (auto& connection : extra) {
    EXPECT_TRUE(connection->read_until_closed(5s));
    EXPECT_NE(connection->received().find("503"), std::string::npos) << connection->received();
  }
  TestClient refused(TestClientOptions{port, workspace, 2100, "refused"});
  EXPECT_FALSE(refused.connect()) << "a WebSocket past the limit is refused";
  SocketIoTestClient refused_socketio(port);
  EXPECT_FALSE(refused_socketio.connect_raw());
  // Those already in work as before.
  bystanders.round("full");

  // The flood leaves: the count returns and new clients get in.
  idle.clear();
  extra.clear();
  natives.clear();
  expect_recovered(target, bystanders, connections, baseline, "connection-flood");
  EXPECT_GE(metric(port, "trellis_connections_refused_total") - refused_before, 20 + 2 + 1);
  TestClient newcomer(TestClientOptions{port, workspace, 2200, "newcomer"});
  ASSERT_TRUE(newcomer.connect());
  ASSERT_TRUE(newcomer.wait_synced());
  SocketIoTestClient socketio_newcomer(port);
  ASSERT_TRUE(socketio_newcomer.connect());
  ASSERT_TRUE(socketio_newcomer.join(workspace, "newcomer"));
  expect_all_present(port, workspace, bystanders.acknowledged());
}

// --- 9. Clients that never read

TEST(HostileSlowConsumer, ClientsThatStopReadingAreClosedWith4009WithinTheCloseGrace) {
  // SQLite on disk: the deltas below stay out of the server's memory. The
  // heartbeat is long (85 s) so that only the queue's bound can drop the
  // stalled clients: about 220 edits of 20 KB fill the kernel's buffers and
  // the 256 KiB queue, which a loaded sanitizer build takes 6-10 s to send,
  // and a 1 s + 10 s heartbeat would close them first, without a 4009.
  Scene scene({"--outbound-queue-bytes", "256KiB", "--ping-interval", "25", "--ping-timeout", "60"},
              "ws-never-reads", /*sqlite=*/true);
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  std::size_t& baseline = scene.baseline;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();

  // The document first: nodes of 20 KB, 5 MB in all. The attack below
  // rewrites their blobs, so the document keeps its size and what memory
  // the server gains is the stalled clients' backlog.
  for (std::size_t n = 0; n < kBlobNodes; ++n)
    write_blob(bystanders, n, /*add=*/true, /*wait=*/n % 5 == 4);

  // Two native clients and two Socket.IO clients join, then stop reading:
  // one of each kind reads again once it has been dropped (to see how it
  // was closed), the other never does.
  TestClient native_resumes(TestClientOptions{port, workspace, 3000, "stalls"});
  TestClient native_never(TestClientOptions{port, workspace, 3001, "never reads"});
  SocketIoTestClient socketio_resumes(port), socketio_never(port);
  for (TestClient* client : {&native_resumes, &native_never}) {
    ASSERT_TRUE(client->connect());
    ASSERT_TRUE(client->wait_synced());
  }
  for (SocketIoTestClient* client : {&socketio_resumes, &socketio_never}) {
    ASSERT_TRUE(client->connect());
    ASSERT_TRUE(client->join(workspace, "stalls"))
        << "open " << client->open() << ", close code " << client->close_code().value_or(0) << ", "
        << client->events().size() << " events, " << client->frames_received() << " frames";
  }
  bystanders.round("warm-up-2");
  baseline = target.rss();
  for (TestClient* client : {&native_resumes, &native_never})
    client->stop_reading();
  for (SocketIoTestClient* client : {&socketio_resumes, &socketio_never})
    client->stop_reading();

  // Rewrite blobs round-robin until all four stalled clients are dropped:
  // 20 KB edits of distinct nodes, which merging cannot shrink.
  std::size_t peak = 0;
  std::size_t edits = 0;
  const auto drops = [&] { return metric(port, "trellis_slow_consumer_drops_total"); };
  for (; edits < 4 * kBlobNodes && drops() < 4; ++edits) {
    write_blob(bystanders, kBlobNodes + edits, /*add=*/false, /*wait=*/edits % 5 == 4);
    if (edits % 20 == 0) peak = std::max(peak, target.rss());
  }
  EXPECT_GE(drops(), 4) << "all four stalled clients were dropped after " << edits << " edits";
  ::testing::Test::RecordProperty("slow_consumer_edits", std::to_string(edits));
  ::testing::Test::RecordProperty("slow_consumer_peak_MiB", std::to_string(peak / kMiB));

  // Those that read again find why they were closed: error{slow_consumer}
  // and 4009, on either transport.
  native_resumes.resume_reading();
  socketio_resumes.resume_reading();
  EXPECT_TRUE(native_resumes.run_until([&] { return !native_resumes.open(); }, 10s));
  ASSERT_FALSE(native_resumes.errors().empty());
  EXPECT_EQ(native_resumes.errors().back().code, sync::ProtocolError::slow_consumer);
  EXPECT_EQ(native_resumes.close_code(), 4009);
  EXPECT_TRUE(socketio_resumes.run_until([&] { return !socketio_resumes.open(); }, 10s));
  EXPECT_EQ(socketio_resumes.close_code(), 4009);
  // Those that never read are disconnected all the same, within the close
  // handshake's grace (5 s), long before the 85 s heartbeat.
  bool gone = false;
  const auto dropped_at = Clock::now();
  bystanders.drive_until(
      [&] {
        gone = open_connections(port) == connections;
        return gone;
      },
      10s);
  EXPECT_TRUE(gone) << "clients that never read still hold "
                    << open_connections(port).value_or(0) - connections << " connections";
  ::testing::Test::RecordProperty(
      "never_read_closed_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 Clock::now() - dropped_at)
                                                 .count()));

  // Reconnected, the stalled native client resyncs without loss.
  TestClient resync(TestClientOptions{port, workspace, 3000, "stalls again"}, native_resumes.doc(),
                    native_resumes.session().received(), native_resumes.session().outbox());
  ASSERT_TRUE(resync.connect());
  ASSERT_TRUE(
      resync.run_until([&] { return view_of(resync) == view_of(bystanders.native()); }, 20s));
  resync.disconnect();
  // The stalled clients' queues are bounded by the 256 KiB limit; resident
  // memory is not asserted here (what a reading Socket.IO client costs is
  // HostileMemory.ASocketIoReaderCostsMemoryBoundedByTheDocument).
  expect_recovered(target, bystanders, connections, std::nullopt, "never-reads");
  ::testing::Test::RecordProperty("never_reads_rss_baseline_MiB", std::to_string(baseline / kMiB));
}

// --- 10. A joiner whose workspace_sync is past the queue's bound

// The server queues a ping right behind every workspace_sync. A polling
// client whose next GET is not yet in when both are queued must still get
// them: the bound is on the backlog behind the oldest message, not on the
// whole queue (which closed such joiners, and made socket.io-client's
// polling joins of a large workspace fail at random under load).
TEST(HostileSlowConsumer, APollingJoinerGetsAWorkspaceSyncPastTheBoundThoughItsGetComesLate) {
  Scene scene({"--outbound-queue-bytes", "64KiB"}, "ws-late-get");
  ASSERT_TRUE(scene.ready);
  Target& target = scene.target;
  const std::string& workspace = scene.workspace;
  Bystanders& bystanders = scene.bystanders;
  const std::size_t connections = scene.connections;
  const std::uint16_t port = target.port();
  constexpr std::size_t kNodes = 5;  // 100 KB of blobs
  for (std::size_t n = 0; n < kNodes; ++n)
    write_blob(bystanders, n, /*add=*/true, /*wait=*/n + 1 == kNodes);

  const std::string sid = open_polling_session(port);
  ASSERT_FALSE(sid.empty());
  const std::string polling = std::string(kEngineIoPolling) + "&sid=" + sid;
  ASSERT_EQ(post_polling(port, sid, "40").status, 200u);
  const HttpReply connected = http_request(port, "GET", polling);
  ASSERT_EQ(connected.status, 200u);
  ASSERT_EQ(connected.body.rfind("40", 0), 0u) << connected.body;
  // No GET is pending while the server answers the join.
  ASSERT_EQ(post_polling(port, sid,
                         event_frame("join_workspace", "{\"workspaceId\":\"" + workspace +
                                                           "\",\"username\":\"late\"}"))
                .status,
            200u);
  // The join's answer is queued once the POST is answered; a moment more
  // for the workspace's strand under a sanitizer build.
  std::this_thread::sleep_for(300ms);
  std::string received;
  for (int poll = 0; poll < 5 && received.find("workspace_sync") == std::string::npos; ++poll) {
    const HttpReply reply = http_request(port, "GET", polling);
    ASSERT_EQ(reply.status, 200u) << "the session was closed: " << reply.body;
    ASSERT_NE(reply.body, "1") << "the session was closed";
    received += reply.body;
  }
  ASSERT_NE(received.find("workspace_sync"), std::string::npos) << received.substr(0, 200);
  for (std::size_t n = 0; n < kNodes; ++n)
    EXPECT_NE(received.find("\"big-" + std::to_string(n) + "\""), std::string::npos) << n;
  EXPECT_EQ(metric(port, "trellis_slow_consumer_drops_total"), 0);
  expect_recovered(target, bystanders, connections, std::nullopt, "late-get");
}

}  // namespace
}  // namespace trellis::testing
