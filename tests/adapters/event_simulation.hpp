#pragma once
// Test support for the event mapping: the seed frontend's store written from
// its description (independently of ClientShadow, so that a mistake in one
// is not mirrored in the other), and a simulated workspace — the server's
// GraphDoc, Socket.IO clients with FIFO inboxes and outboxes, and a native
// replica whose deltas join the server's document — driven one step at a
// time.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "trellis/adapters/event_changes.hpp"
#include "trellis/adapters/event_mapping.hpp"
#include "trellis/adapters/event_shadow.hpp"
#include "trellis/adapters/sync_snapshot.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters::testkit {

// The seed's store: nodes and edges as arrays, own changes applied at once,
// received events applied in arrival order, never reconciled.
class SimpleStore {
 public:
  // `adds_push`: a received `add` appends even when the id is there (the
  // other reading of the seed); otherwise it replaces the node of that id.
  explicit SimpleStore(bool adds_push = false) : adds_push_(adds_push) {}

  const std::vector<Json>& nodes() const { return nodes_; }
  const std::vector<Json>& edges() const { return edges_; }
  const Json* node(const std::string& id) const { return find(nodes_, id); }

  // Applies an event from the server; an error text when its shape is not
  // the seed's.
  std::optional<std::string> receive(const OutgoingEvent& event) {
    const Json& p = event.payload;
    auto keys_are = [&](std::set<std::string> expected) {
      std::set<std::string> actual;
      for (const auto& [key, value] : p.items())
        actual.insert(key);
      return actual == expected;
    };
    if (event.name == "workspace_sync") {
      if (!keys_are({"nodes", "edges", "users", "workspaceId", "currentUser"})) {
        return "workspace_sync has the wrong members: " + p.dump();
      }
      nodes_ = p["nodes"].get<std::vector<Json>>();
      edges_ = p["edges"].get<std::vector<Json>>();
      return std::nullopt;
    }
    if (event.name == "node_data_update") {
      if (!keys_are({"nodeId", "data", "userId"}) || !p["nodeId"].is_string() ||
          !p["data"].is_object() || !p["userId"].is_string()) {
        return "node_data_update has the wrong shape: " + p.dump();
      }
      merge_data(p["nodeId"].get<std::string>(), p["data"]);
      return std::nullopt;
    }
    const bool is_node = event.name == "node_change";
    if (!is_node && event.name != "edge_change") return "unexpected event " + event.name;
    const char* member = is_node ? "node" : "edge";
    if (!keys_are({"type", member, "userId"}) || !p["userId"].is_string() ||
        !p[member].is_object() || !p[member].contains("id")) {
      return event.name + " has the wrong shape: " + p.dump();
    }
    const Json& object = p[member];
    const std::string id = object["id"].get<std::string>();
    const std::string type = p["type"].get<std::string>();
    auto& list = is_node ? nodes_ : edges_;
    if (type == "add") {
      if (find(list, id)) ++duplicate_adds_;
      if (adds_push_ || !find(list, id)) {
        list.push_back(object);
      } else {
        replace(list, object);
      }
    } else if (type == "update") {
      replace(list, object);
    } else if (type == "delete") {
      is_node ? delete_node(id) : erase(edges_, id);
    } else {
      return event.name + " has an unknown type: " + p.dump();
    }
    return std::nullopt;
  }

  // --- Local changes: applied here at once; each returns the event to emit.
  Json add_node(const Json& node, const std::string& workspace) {
    nodes_.push_back(node);
    return Json{{"type", "add"}, {"node", node}, {"workspaceId", workspace}};
  }
  Json update_node(const Json& node, const std::string& workspace) {
    replace(nodes_, node);
    return Json{{"type", "update"}, {"node", node}, {"workspaceId", workspace}};
  }
  Json update_data(const std::string& id, const Json& data, const std::string& workspace) {
    merge_data(id, data);
    return Json{{"nodeId", id}, {"data", data}, {"workspaceId", workspace}};
  }
  Json remove_node(const std::string& id, const std::string& workspace) {
    Json node = *node_or_id(id);
    delete_node(id);
    return Json{{"type", "delete"}, {"node", node}, {"workspaceId", workspace}};
  }
  Json add_edge(const Json& edge, const std::string& workspace) {
    edges_.push_back(edge);
    return Json{{"type", "add"}, {"edge", edge}, {"workspaceId", workspace}};
  }
  Json update_edge(const Json& edge, const std::string& workspace) {
    replace(edges_, edge);
    return Json{{"type", "update"}, {"edge", edge}, {"workspaceId", workspace}};
  }
  Json remove_edge(const std::string& id, const std::string& workspace) {
    erase(edges_, id);
    return Json{{"type", "delete"}, {"edge", Json{{"id", id}}}, {"workspaceId", workspace}};
  }

  // Received `add`s of an id the store already held.
  std::size_t duplicate_adds() const { return duplicate_adds_; }

 private:
  static const Json* find(const std::vector<Json>& list, const std::string& id) {
    for (const Json& object : list) {
      if (object["id"] == id) return &object;
    }
    return nullptr;
  }
  std::optional<Json> node_or_id(const std::string& id) const {
    if (const Json* node = find(nodes_, id)) return *node;
    return Json{{"id", id}};
  }
  static void replace(std::vector<Json>& list, const Json& object) {
    for (Json& held : list) {
      if (held["id"] == object["id"]) held = object;
    }
  }
  static void erase(std::vector<Json>& list, const std::string& id) {
    std::erase_if(list, [&](const Json& object) { return object["id"] == id; });
  }
  void delete_node(const std::string& id) {
    erase(nodes_, id);
    std::erase_if(edges_, [&](const Json& edge) {
      return edge.value("source", Json()) == id || edge.value("target", Json()) == id;
    });
  }
  void merge_data(const std::string& id, const Json& data) {
    for (Json& node : nodes_) {
      if (node["id"] != id) continue;
      Json merged =
          node.contains("data") && node["data"].is_object() ? node["data"] : Json::object();
      for (const auto& [key, value] : data.items())
        merged[key] = value;
      node["data"] = merged;
    }
  }

  bool adds_push_;
  std::vector<Json> nodes_;
  std::vector<Json> edges_;
  std::size_t duplicate_adds_ = 0;
};

// A React Flow node of type "box" at (x, 0).
inline Json box_node(std::string id, int x, Json data) {
  return Json{{"id", std::move(id)},
              {"type", "box"},
              {"position", {{"x", x}, {"y", 0}}},
              {"data", std::move(data)}};
}

// A store's content keyed by id (order-insensitive), or an error text when
// an id appears twice.
inline std::optional<std::string> keyed(const std::vector<Json>& list,
                                        std::map<std::string, Json>& out) {
  for (const Json& object : list) {
    const std::string id = object["id"].get<std::string>();
    if (!out.emplace(id, object).second) return "id '" + id + "' appears twice";
  }
  return std::nullopt;
}

inline std::string describe(const std::map<std::string, Json>& nodes,
                            const std::map<std::string, Json>& edges) {
  Json out{{"nodes", Json::array()}, {"edges", Json::array()}};
  for (const auto& [id, node] : nodes)
    out["nodes"].push_back(node);
  for (const auto& [id, edge] : edges)
    out["edges"].push_back(edge);
  return out.dump();
}

struct ToClient {
  std::optional<OutgoingEvent> event;  // or an Engine.IO ping carrying `ping`
  std::uint64_t ping = 0;
};
struct ToServer {
  std::string name;  // a Socket.IO event, or "pong"
  Json payload;
  std::uint64_t pong = 0;
};

struct SimClient {
  SimClient(std::string user, bool adds_push) : store(adds_push), shadow(std::move(user)) {}
  SimpleStore store;
  std::deque<ToClient> inbox;
  std::deque<ToServer> outbox;
  ClientShadow shadow;           // kept by the server
  std::size_t model_events = 0;  // events received after the first sync
  bool synced = false;
  int next_id = 0;
};

struct SimOptions {
  std::size_t clients = 4;
  bool adds_push = false;
  bool shared_ids = false;      // clients and the native replica add from one small id pool
  bool own_nodes_only = false;  // clients add, move and edit only nodes they added
};

// The server, its Socket.IO clients and one native replica.
class SimWorkspace {
 public:
  static constexpr const char* kWorkspace = "w1";

  explicit SimWorkspace(SimOptions options) : options_(options) {
    for (std::size_t c = 0; c < options.clients; ++c)
      clients.emplace_back("user" + std::to_string(c), options.adds_push);
  }

  crdt::GraphDoc server{crdt::ReplicaId{1}};
  crdt::GraphDoc native{crdt::ReplicaId{2}};
  std::vector<SimClient> clients;
  std::deque<crdt::GraphDoc> to_native;
  std::deque<crdt::GraphDoc> from_native;
  std::vector<std::string> log;
  std::vector<std::string> problems;  // malformed events, failed invariants
  std::size_t corrections = 0;        // events sent to a client about its own change
  std::size_t refusals = 0;           // change events the server refused
  std::size_t native_joins = 0;
  // The latest workspace_sync's view: each join's is built from it, as the
  // server's workspace builds its own from the previous one.
  std::optional<SyncSnapshot> synced;

  // join_workspace: the workspace_sync, then (as event_shadow.hpp advises)
  // a ping, whose pong tells the server the client has the sync.
  void join(std::size_t c) {
    SimClient& client = clients[c];
    SyncSnapshot view(server, synced ? &*synced : nullptr);
    client.shadow.record_sync(view);
    client.inbox.push_back(
        ToClient{view.event(Json::array(), kWorkspace, Json{{"id", client.shadow.user_id()}}), 0});
    synced = std::move(view);
    note("c" + std::to_string(c) + " joins");
    ping(c);
  }

  // The connection drops with messages in flight both ways (lost) and the
  // client reconnects: a new socket, a new shadow, a workspace_sync; its
  // store keeps what it had until the sync arrives.
  void reconnect(std::size_t c) {
    SimClient& client = clients[c];
    client.inbox.clear();
    client.outbox.clear();
    client.shadow = ClientShadow(client.shadow.user_id());
    client.synced = false;
    note("c" + std::to_string(c) + " reconnects");
    join(c);
  }

  void ping(std::size_t c) {
    clients[c].inbox.push_back(ToClient{std::nullopt, clients[c].shadow.events_sent()});
    note("ping c" + std::to_string(c) + " at " + std::to_string(clients[c].shadow.events_sent()));
  }

  void sync_request(std::size_t c) {
    clients[c].outbox.push_back(ToServer{"sync_request", Json{{"workspaceId", kWorkspace}}, 0});
    note("c" + std::to_string(c) + " asks for a sync");
  }

  // Deterministic local changes of client c, emitted like the seed's store.
  void add_node(std::size_t c, const Json& node) {
    emit(c, "node_change", clients[c].store.add_node(node, kWorkspace));
  }
  // The client edits its copy of a node and sends the whole node.
  template <class Edit>
  void update_node(std::size_t c, const std::string& id, Edit edit) {
    Json node = *clients[c].store.node(id);
    edit(node);
    emit(c, "node_change", clients[c].store.update_node(node, kWorkspace));
  }
  void update_data(std::size_t c, const std::string& id, const Json& data) {
    emit(c, "node_data_update", clients[c].store.update_data(id, data, kWorkspace));
  }
  void remove_node(std::size_t c, const std::string& id) {
    emit(c, "node_change", clients[c].store.remove_node(id, kWorkspace));
  }
  void add_edge(std::size_t c, const Json& edge) {
    emit(c, "edge_change", clients[c].store.add_edge(edge, kWorkspace));
  }
  void deliver_everywhere() {
    for (std::size_t c = 0; c < clients.size(); ++c)
      deliver_all(c);
  }

  // A change the client made to its store, queued for the server.
  void emit(std::size_t c, std::string name, Json payload) {
    note("c" + std::to_string(c) + " emits " + name + " " + payload.dump());
    clients[c].outbox.push_back(ToServer{std::move(name), std::move(payload), 0});
  }
  void deliver_all(std::size_t c) {
    while (deliver(c)) {
    }
  }
  void process_all(std::size_t c) {
    while (process(c)) {
    }
  }
  // Events the client has not received yet (pings excluded).
  std::vector<OutgoingEvent> pending(std::size_t c) const {
    std::vector<OutgoingEvent> events;
    for (const auto& next : clients[c].inbox) {
      if (next.event) events.push_back(*next.event);
    }
    return events;
  }

  // The client receives the oldest event sent to it.
  bool deliver(std::size_t c) {
    SimClient& client = clients[c];
    if (client.inbox.empty()) return false;
    ToClient next = std::move(client.inbox.front());
    client.inbox.pop_front();
    if (!next.event) {
      client.outbox.push_back(ToServer{"pong", nullptr, next.ping});
      note("c" + std::to_string(c) + " pongs " + std::to_string(next.ping));
      return true;
    }
    if (next.event->name == "workspace_sync" && !client.synced) {
      client.synced = true;
    } else {
      ++client.model_events;
    }
    note("c" + std::to_string(c) + " receives " + next.event->name + " " +
         next.event->payload.dump());
    if (auto problem = client.store.receive(*next.event)) problems.push_back(*problem);
    return true;
  }

  // The server handles the oldest message from the client.
  bool process(std::size_t c) {
    SimClient& client = clients[c];
    if (client.outbox.empty()) return false;
    ToServer message = std::move(client.outbox.front());
    client.outbox.pop_front();
    if (message.name == "pong") {
      client.shadow.acknowledge(message.pong);
      return true;
    }
    note("server takes c" + std::to_string(c) + " " + message.name + " " + message.payload.dump());
    auto event = parse_client_event(message.name, message.payload);
    if (!event) {
      note("  refused: " + event.error().message);
      ++refusals;
      for (auto& out : client.shadow.receive_refused(server, event.error())) {
        ++corrections;
        send(c, std::move(out));
      }
      return true;
    }
    if (std::holds_alternative<SyncRequest>(*event)) {
      send(c, client.shadow.sync(server, Json::array(), Json{{"id", client.shadow.user_id()}},
                                 kWorkspace));
      return true;
    }
    ChangeOutcome outcome = client.shadow.receive_change(server, *event);
    if (outcome.error) {
      note("  error: " + outcome.error->message);
      ++refusals;
    }
    for (auto& out : outcome.to_sender) {
      ++corrections;
      send(c, std::move(out));
    }
    for (auto& delta : outcome.deltas)
      to_native.push_back(std::move(delta));
    // As the server does (Workspace::fan_out_events): the views built once,
    // the patches shared by the receivers.
    SharedPatches patches;
    for (std::size_t other = 0; other < clients.size(); ++other) {
      if (other == c) continue;
      for (auto& out : clients[other].shadow.events_for(server, outcome.views,
                                                        client.shadow.user_id(), &patches)) {
        send(other, std::move(out));
      }
    }
    return true;
  }

  // The server joins the oldest delta from the native replica.
  bool process_native() {
    if (from_native.empty()) return false;
    crdt::GraphDoc delta = std::move(from_native.front());
    from_native.pop_front();
    const Touched touched = touched_by(server, delta);
    server.join(delta);
    ++native_joins;
    note("server joins a native delta touching " + std::to_string(touched.nodes.size()) +
         " nodes, " + std::to_string(touched.edges.size()) + " edges");
    const TouchedViews views = views_of(server, touched);
    SharedPatches patches;
    for (std::size_t c = 0; c < clients.size(); ++c) {
      for (auto& out : clients[c].shadow.events_for(server, views, "native", &patches))
        send(c, std::move(out));
    }
    return true;
  }

  bool native_receive() {
    if (to_native.empty()) return false;
    native.join(to_native.front());
    to_native.pop_front();
    return true;
  }

  // A random local change by client c (details drawn from `seed`).
  void local_change(std::size_t c, std::uint32_t seed) {
    SimClient& client = clients[c];
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<Json> nodes = client.store.nodes();
    const auto& edges = client.store.edges();
    if (options_.own_nodes_only) {
      const std::string mine = "c" + std::to_string(c) + "-";
      std::erase_if(nodes, [&](const Json& node) {
        return node["id"].get<std::string>().rfind(mine, 0) != 0;
      });
    }
    const std::string who = "c" + std::to_string(c);
    auto emit = [&](const char* name, Json payload) { this->emit(c, name, std::move(payload)); };
    const std::size_t choice = pick(nodes.empty() ? 1 : options_.own_nodes_only ? 6 : 10);
    if (choice <= 1 || nodes.empty()) {
      const std::string id = fresh_id(client, c, rng);
      if (client.store.node(id)) return;
      emit("node_change", client.store.add_node(random_node(id, rng), kWorkspace));
    } else if (choice <= 4) {
      Json node = nodes[pick(nodes.size())];
      mutate_node(node, rng);
      if (pick(3) == 0) mutate_node(node, rng);
      emit("node_change", client.store.update_node(node, kWorkspace));
    } else if (choice == 5) {
      const std::string id = nodes[pick(nodes.size())]["id"].get<std::string>();
      Json data{{data_key(rng), static_cast<int>(rng() % 3)}};
      if (pick(2)) data[data_key(rng)] = static_cast<int>(rng() % 3);
      emit("node_data_update", client.store.update_data(id, data, kWorkspace));
    } else if (choice == 6) {
      const std::string id = nodes[pick(nodes.size())]["id"].get<std::string>();
      emit("node_change", client.store.remove_node(id, kWorkspace));
    } else if (choice == 7) {
      Json edge{{"id", who + "-e" + std::to_string(client.next_id++)},
                {"source", nodes[pick(nodes.size())]["id"]},
                {"target", nodes[pick(nodes.size())]["id"]}};
      if (pick(2)) edge["label"] = "l" + std::to_string(rng() % 2);
      emit("edge_change", client.store.add_edge(edge, kWorkspace));
    } else if (choice == 8 && !edges.empty()) {
      emit("edge_change", client.store.remove_edge(
                              edges[pick(edges.size())]["id"].get<std::string>(), kWorkspace));
    } else if (!edges.empty()) {
      Json edge = edges[pick(edges.size())];
      if (pick(2)) {
        edge["target"] = nodes[pick(nodes.size())]["id"];
      } else if (edge.contains("label") && pick(2)) {
        edge.erase("label");
      } else {
        edge["label"] = "l" + std::to_string(rng() % 3);
      }
      emit("edge_change", client.store.update_edge(edge, kWorkspace));
    }
  }

  // A random edit of the native replica, queued for the server.
  void native_edit(std::uint32_t seed) {
    std::mt19937 rng(seed);
    const Json view = crdt::graph_view(native);
    const Json& nodes = view["nodes"];
    const Json& edges = view["edges"];
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    crdt::Result<crdt::GraphDoc> delta = crdt::GraphDoc{};
    const std::size_t choice = pick(nodes.empty() ? 1 : 6);
    if (choice == 0) {
      const std::string id = options_.shared_ids ? "n" + std::to_string(rng() % 4)
                                                 : "x" + std::to_string(native_ids_++);
      if (native.has_node(id)) return;
      delta = native.add_node(random_node(id, rng));
    } else {
      const std::string id = nodes[pick(nodes.size())]["id"].get<std::string>();
      if (choice == 1) {
        delta =
            native.update_node_fields(id, Json{{"position", {{"x", rng() % 3}, {"y", rng() % 3}}}});
      } else if (choice == 2) {
        delta = native.set_node_data_value(id, data_key(rng), static_cast<int>(rng() % 3));
      } else if (choice == 3) {
        delta = native.remove_node(id);
      } else if (choice == 4) {
        delta = native.add_edge(Json{{"id", "xe" + std::to_string(native_ids_++)},
                                     {"source", id},
                                     {"target", nodes[pick(nodes.size())]["id"]}});
      } else if (!edges.empty()) {
        delta = native.remove_edge(edges[pick(edges.size())]["id"].get<std::string>());
      }
    }
    if (!delta) {
      problems.push_back("native edit failed: " + delta.error().message);
      return;
    }
    note("native edits (" + std::to_string(choice) + ")");
    from_native.push_back(std::move(*delta));
  }

  bool quiet() const {
    if (!from_native.empty() || !to_native.empty()) return false;
    for (const auto& client : clients) {
      if (!client.inbox.empty() || !client.outbox.empty()) return false;
    }
    return true;
  }

  // Delivers everything in flight, in an order drawn from `seed`.
  void settle(std::uint32_t seed) {
    std::mt19937 rng(seed);
    while (!quiet()) {
      const std::size_t c = rng() % clients.size();
      switch (rng() % 4) {
        case 0:
          process(c);
          break;
        case 1:
          deliver(c);
          break;
        case 2:
          process_native();
          break;
        default:
          native_receive();
          break;
      }
    }
  }

  // Empty when every store equals the server's view; else what differs.
  std::string divergence() const {
    std::map<std::string, Json> nodes;
    std::map<std::string, Json> edges;
    const Json view = crdt::graph_view(server);
    if (auto problem = keyed(view["nodes"].get<std::vector<Json>>(), nodes)) return *problem;
    if (auto problem = keyed(view["edges"].get<std::vector<Json>>(), edges)) return *problem;
    for (std::size_t c = 0; c < clients.size(); ++c) {
      std::map<std::string, Json> held_nodes;
      std::map<std::string, Json> held_edges;
      const std::string who = "client c" + std::to_string(c);
      if (auto problem = keyed(clients[c].store.nodes(), held_nodes)) return who + ": " + *problem;
      if (auto problem = keyed(clients[c].store.edges(), held_edges)) return who + ": " + *problem;
      if (held_nodes != nodes || held_edges != edges) {
        return who + " holds " + describe(held_nodes, held_edges) + "\n  server view " +
               describe(nodes, edges);
      }
    }
    return {};
  }

  std::string trace(std::size_t last = 300) const {
    std::string out;
    const std::size_t begin = log.size() > last ? log.size() - last : 0;
    for (std::size_t i = begin; i < log.size(); ++i)
      out += "  " + log[i] + "\n";
    return out;
  }

 private:
  void note(std::string line) { log.push_back(std::move(line)); }

  void send(std::size_t c, OutgoingEvent event) {
    clients[c].inbox.push_back(ToClient{std::move(event), 0});
  }

  static std::string data_key(std::mt19937& rng) { return std::string(1, "abc"[rng() % 3]); }

  static Json random_node(const std::string& id, std::mt19937& rng) {
    Json node{{"id", id},
              {"type", rng() % 2 ? "box" : "circle"},
              {"position", {{"x", rng() % 3}, {"y", rng() % 3}}},
              {"data", {{data_key(rng), static_cast<int>(rng() % 3)}}}};
    return node;
  }

  static void mutate_node(Json& node, std::mt19937& rng) {
    switch (rng() % 6) {
      case 0:
        node["position"] = {{"x", rng() % 3}, {"y", rng() % 3}};
        break;
      case 1:
        node["data"][data_key(rng)] = static_cast<int>(rng() % 3);
        break;
      case 2:
        node["data"].erase(data_key(rng));
        break;
      case 3:
        node["style"] = "s" + std::to_string(rng() % 2);
        break;
      case 4:
        node.erase("style");
        break;
      default:
        node["type"] = rng() % 2 ? "box" : "circle";
        break;
    }
  }

  std::string fresh_id(SimClient& client, std::size_t c, std::mt19937& rng) const {
    if (options_.shared_ids) return "n" + std::to_string(rng() % 4);
    return "c" + std::to_string(c) + "-n" + std::to_string(client.next_id++);
  }

  SimOptions options_;
  int native_ids_ = 0;
};

}  // namespace trellis::adapters::testkit
