// Writes the seed corpora of the fuzz targets: small valid inputs of each
// kind, made with the project's own encoders where it has them, so that the
// fuzzer starts from the formats rather than from nothing. Usage:
//   trellis_fuzz_seeds <fuzz/corpus>
// It rewrites <dir>/<target>/<name> for every seed (same bytes each run).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "trellis/adapters/engineio.hpp"
#include "trellis/adapters/socketio.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/message_codec.hpp"

namespace {

using trellis::crdt::Bytes;
using trellis::crdt::GraphDoc;
using trellis::crdt::Json;
using trellis::crdt::ReplicaId;
namespace sync = trellis::sync;
namespace adapters = trellis::adapters;

class SeedWriter {
 public:
  explicit SeedWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void write(const std::string& target, const std::string& name, const std::string& bytes) {
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
    ++written_;
  }
  void write(const std::string& target, const std::string& name, const Bytes& bytes) {
    write(target, name, std::string(bytes.begin(), bytes.end()));
  }
  int written() const { return written_; }

 private:
  std::filesystem::path root_;
  int written_ = 0;
};

GraphDoc delta_of(trellis::crdt::Result<GraphDoc> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "a seed mutation failed: %s\n", result.error().message.c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// The deltas of a short history on two replicas, and the joined state.
struct History {
  std::vector<std::pair<std::string, GraphDoc>> deltas;
  GraphDoc state;
};

History make_history() {
  History history;
  GraphDoc alice(ReplicaId{1});
  GraphDoc bob(ReplicaId{2});
  auto keep = [&](const std::string& name, GraphDoc delta) {
    bob.join(delta);
    history.deltas.emplace_back(name, std::move(delta));
  };
  keep("add-node", delta_of(alice.add_node(Json{{"id", "n0"},
                                                {"type", "box"},
                                                {"position", {{"x", 120.5}, {"y", -3}}},
                                                {"data", {{"label", "zero"}, {"size", 2}}}})));
  keep("add-node-2", delta_of(alice.add_node(Json{{"id", "n1"}, {"data", {{"color", "red"}}}})));
  keep("add-edge",
       delta_of(alice.add_edge(Json{{"id", "e0"}, {"source", "n0"}, {"target", "n1"}})));
  keep("parameter-edit", delta_of(alice.set_node_data_value("n0", "size", -429.408)));
  keep("parent", delta_of(alice.update_node_fields("n1", Json{{"parentId", "n0"}})));
  keep("remove-field",
       delta_of(alice.remove_node_fields("n0", {trellis::crdt::FieldKey::data("label")})));
  GraphDoc concurrent = delta_of(bob.update_node_fields("n1", Json{{"style", {{"w", 1}}}}));
  keep("remove-node", delta_of(alice.remove_node("n1")));
  alice.join(concurrent);
  history.deltas.emplace_back("concurrent-update", std::move(concurrent));
  history.state = alice;
  return history;
}

void crdt_seeds(SeedWriter& out, const History& history) {
  for (const auto& [name, delta] : history.deltas)
    out.write("crdt_decode", "delta-" + name, trellis::crdt::encode(delta));
  Bytes state;
  trellis::crdt::encode_state_to(history.state, state);
  out.write("crdt_decode", "state", state);
  // The state form of earlier releases, which stored snapshots still hold.
  Bytes old_state;
  trellis::crdt::encode_state_v1_to(history.state, old_state);
  out.write("crdt_decode", "state-format-1", old_state);
  // A state whose recurring strings go into the string table.
  GraphDoc writer{ReplicaId{3}};
  GraphDoc strings;
  for (int node = 0; node < 8; ++node) {
    const char* type = node % 2 == 0 ? "default" : "parameters";
    strings.join(
        delta_of(writer.add_node(Json{{"id", "s" + std::to_string(node)}, {"type", type}})));
  }
  Bytes string_state;
  trellis::crdt::encode_state_to(strings, string_state);
  out.write("crdt_decode", "state-strings", string_state);
  out.write("crdt_decode", "empty", trellis::crdt::encode(GraphDoc{}));
}

void sync_seeds(SeedWriter& out, const History& history) {
  const Bytes delta = trellis::crdt::encode(history.deltas.front().second);
  const Bytes state = trellis::crdt::encode(history.state);
  sync::Hello hello;
  hello.workspace_id = "demo";
  hello.replica = ReplicaId{1};
  hello.auth_token = "token";
  hello.context = history.state.context();
  hello.client_name = "alice";
  out.write("sync_message", "hello", sync::encode_message(hello));
  out.write("sync_message", "welcome",
            sync::encode_message(sync::Welcome{
                ReplicaId{9}, {"user_abc", "alice", "#ff0000"}, state, history.state.context()}));
  out.write(
      "sync_message", "delta",
      sync::encode_message(sync::DeltaMessage{delta, history.deltas.front().second.context()}));
  out.write("sync_message", "ack", sync::encode_message(sync::Ack{history.state.context()}));
  out.write("sync_message", "presence",
            sync::encode_message(sync::Presence{"user_abc", Json{{"cursor", {{"x", 1.5}}}}}));
  out.write("sync_message", "error",
            sync::encode_message(
                sync::ErrorMessage{sync::ProtocolError::invalid_delta, "bad delta", true}));
  // Protocol version 2: what a server sends when several frames wait.
  sync::Batch batch;
  batch.messages.push_back(sync::DeltaMessage{delta, history.deltas.front().second.context()});
  batch.messages.push_back(sync::Presence{"user_abc", Json{{"cursor", {{"x", 2}}}}});
  batch.messages.push_back(sync::Ack{history.state.context()});
  out.write("sync_message", "batch", sync::encode_message(batch));
}

// Programs for check_crdt_replicas: an op byte (replica in the high nibble,
// 0-9 a mutation, 10-15 a delivery) and its argument bytes.
void replica_seeds(SeedWriter& out) {
  // add n0 (all parts) on replica 0; add n1 on replica 1; edge e0 n0->n1 on
  // replica 0; deliveries in order to replicas 1 and 2.
  out.write("crdt_replicas", "adds-and-edge",
            Bytes{0x00, 0x00, 0x00, 0x0f, 0x01, 0x10, 0x01, 0x01, 0x0f, 0x06, 0x00, 0x00,
                  0x01, 0x00, 0x1a, 0x00, 0x2a, 0x00, 0x1a, 0x00, 0x2a, 0x00, 0x2a, 0x00});
  // replica 0 adds n0 and removes it while replica 1 edits its data.
  out.write("crdt_replicas", "concurrent-remove-and-edit",
            Bytes{0x00, 0x00, 0x00, 0x0f, 0x1a, 0x00, 0x05, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00,
                  0x04, 0x01, 0x0b, 0x01, 0x0c, 0x00, 0x0d, 0x00, 0x2e, 0x00, 0x1a, 0x01});
  // Deliveries out of order, duplicated and dropped.
  out.write("crdt_replicas", "reorder-duplicate-drop",
            Bytes{0x00, 0x01, 0x00, 0x0f, 0x00, 0x02, 0x00, 0x0f, 0x06, 0x01, 0x01,
                  0x00, 0x00, 0x17, 0x02, 0x00, 0x02, 0x1b, 0x01, 0x01, 0x1c, 0x00,
                  0x00, 0x1d, 0x00, 0x2b, 0x01, 0x00, 0x29, 0x00, 0x00});
}

void engineio_seeds(SeedWriter& out) {
  out.write("engineio", "open",
            adapters::encode_packet(
                {adapters::EioType::open,
                 adapters::open_packet_json("abc123", {"websocket"}, 25000, 20000, 1000000)}));
  for (const char* text : {"2probe", "3probe", "3", "5", "6", "1", "4hello", "42[\"x\"]"})
    out.write("engineio", std::string("packet-") + text[0] + std::to_string(out.written()), text);
  out.write("engineio", "payload",
            std::string("4hello\x1e"
                        "4\xe2\x82\xac\x1e"
                        "bAQIDBA=="));
  out.write("engineio", "query-polling", "EIO=4&transport=polling&t=N8hyd6w");
  out.write("engineio", "query-websocket", "EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC");
  out.write("engineio", "query-escapes", "EIO=4&transport=polling&name=a%20b+c&j=0");
}

void socketio_seeds(SeedWriter& out) {
  const std::vector<std::pair<std::string, std::string>> packets = {
      {"connect", "0"},
      {"connect-auth", "0/admin,{\"token\":\"123\"}"},
      {"connect-reply", "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}"},
      {"disconnect", "1/admin,"},
      {"event", "2[\"hello\",1]"},
      {"event-nsp", "2/admin,[\"bye\"]"},
      {"event-ack", "212[\"foo\",{\"a\":[1,2.5,null,true]}]"},
      {"ack", "312[\"bar\"]"},
      {"connect-error", "4{\"message\":\"Invalid namespace\"}"},
      {"binary-event", "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]"},
      {"binary-ack", "61-/admin,7[{\"_placeholder\":true,\"num\":0}]"},
  };
  for (const auto& [name, text] : packets)
    out.write("socketio", name, text);
  out.write("socketio", "encoded-event",
            adapters::encode_sio_packet(adapters::make_event("node_change", Json{{"k", "v"}})));
}

std::string event_line(const char* name, const Json& payload) {
  return adapters::encode_sio_packet(adapters::make_event(name, payload)) + "\n";
}

void event_seeds(SeedWriter& out) {
  const Json n0{{"id", "n0"},
                {"type", "box"},
                {"position", {{"x", 0}, {"y", 0}}},
                {"data", {{"label", "zero"}}}};
  const Json n1{{"id", "n1"}, {"type", "box"}, {"position", {{"x", 5}, {"y", 0}}}, {"data", {}}};
  const Json e0{{"id", "e0"}, {"source", "n0"}, {"target", "n1"}};
  auto change = [](const char* type, const char* member, const Json& object) {
    return Json{{"type", type}, {member, object}, {"workspaceId", "w1"}};
  };
  Json moved = n0;
  moved["position"]["x"] = 40;
  moved["data"]["size"] = 3;
  out.write(
      "socketio_events", "add-update-delete",
      event_line("join_workspace", Json{{"workspaceId", "w1"}, {"username", "ann"}}) +
          event_line("node_change", change("add", "node", n0)) +
          event_line("node_change", change("add", "node", n1)) +
          event_line("edge_change", change("add", "edge", e0)) +
          event_line("node_change", change("update", "node", moved)) +
          event_line("node_data_update",
                     Json{{"nodeId", "n1"}, {"data", {{"color", "red"}}}, {"workspaceId", "w1"}}) +
          event_line("node_change", change("delete", "node", Json{{"id", "n0"}})) +
          event_line("sync_request", Json{{"workspaceId", "w1"}}));
  out.write("socketio_events", "refused-and-stale",
            event_line("node_change", change("add", "node", n1)) +
                event_line("node_change", change("update", "node", Json{{"id", 5}})) +
                event_line("edge_change", change("add", "edge", e0)) +
                event_line("node_change", change("remove", "node", n1)) +
                event_line("node_change", change("update", "node", n1)) +
                event_line("edge_change", change("update", "edge", e0)) +
                event_line("leave_workspace", Json{{"workspaceId", "w1"}}));
}

void http_seeds(SeedWriter& out) {
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"index", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"healthz", "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"metrics", "HEAD /metrics HTTP/1.0\r\n\r\n"},
      {"create-workspace", "POST /api/workspaces HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"},
      {"sync-without-upgrade", "GET /v1/sync HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"engineio-handshake",
       "GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\nHost: x\r\n"
       "Origin: http://allowed.example\r\n\r\n"},
      {"engineio-post",
       "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n"
       "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n40\x1e"
       "2x"},
      {"engineio-preflight", "OPTIONS /socket.io/?EIO=4 HTTP/1.1\r\nOrigin: http://evil\r\n\r\n"},
      {"asset", "GET /assets/app.js?v=1 HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"spa-route", "GET /workspace/abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
      {"nested-dir", "GET /nested/ HTTP/1.1\r\n\r\n"},
      {"traversal", "GET /%2e%2e/secret.txt HTTP/1.1\r\n\r\n"},
      {"symlink", "GET /link.txt HTTP/1.1\r\n\r\n"},
      {"chunked",
       "POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\n4hi\r\n0\r\n\r\n"},
  };
  for (const auto& [name, text] : requests)
    out.write("http_routes", name, text);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
    return 2;
  }
  SeedWriter out(argv[1]);
  const History history = make_history();
  crdt_seeds(out, history);
  sync_seeds(out, history);
  replica_seeds(out);
  engineio_seeds(out);
  socketio_seeds(out);
  event_seeds(out);
  http_seeds(out);
  std::printf("wrote %d seeds under %s\n", out.written(), argv[1]);
  return 0;
}
