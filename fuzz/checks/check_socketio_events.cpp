// The seed's JSON events from hostile clients. The input is Socket.IO packet
// texts, one per line. Each EVENT is parsed as a client event and applied to
// the server's document through the sender's ClientShadow, as trellisd does;
// a second client, the observer, receives at once every event the server
// sends it and answers every ping. After every step:
//   - the deltas the change produced, encoded and joined into a mirror
//     replica, give exactly the server's document (what native peers and
//     storage receive is the whole change);
//   - the document's view keeps its invariants (no dangling edge);
//   - every event sent to either client has the seed's shape;
//   - the observer's store (tests/adapters/event_simulation.hpp's model of
//     the seed frontend) equals the server's view, as ClientShadow promises
//     a client whose shadow is exact.

#include <map>
#include <string>
#include <variant>

#include "adapters/event_simulation.hpp"
#include "checks.hpp"
#include "crdt_state_checks.hpp"
#include "invariant.hpp"
#include "trellis/adapters/event_changes.hpp"
#include "trellis/adapters/event_mapping.hpp"
#include "trellis/adapters/event_shadow.hpp"
#include "trellis/adapters/socketio.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::fuzz {
namespace {

using adapters::OutgoingEvent;
using adapters::testkit::SimpleStore;
using crdt::GraphDoc;
using crdt::Json;

constexpr std::size_t kMaxEvents = 64;
constexpr const char* kWorkspace = "w1";

void receive(SimpleStore& store, const OutgoingEvent& event) {
  if (auto problem = store.receive(event)) require(false, "a malformed event: " + *problem);
}

std::map<std::string, Json> by_id(const std::vector<Json>& objects, std::string_view what) {
  std::map<std::string, Json> out;
  if (auto problem = adapters::testkit::keyed(objects, out)) {
    require(false, std::string(what) + ": " + *problem);
  }
  return out;
}

void require_store_shows_view(const SimpleStore& store, const GraphDoc& doc) {
  const Json view = crdt::graph_view(doc);
  require(by_id(store.nodes(), "observer nodes") ==
              by_id(view["nodes"].get<std::vector<Json>>(), "view nodes"),
          "the observer's nodes differ from the server's view");
  require(by_id(store.edges(), "observer edges") ==
              by_id(view["edges"].get<std::vector<Json>>(), "view edges"),
          "the observer's edges differ from the server's view");
}

struct Workspace {
  GraphDoc server{crdt::ReplicaId{1}};
  GraphDoc mirror;
  adapters::ClientShadow sender{"sender"};
  adapters::ClientShadow observer{"observer"};
  SimpleStore sender_store;
  SimpleStore observer_store;

  void sync_observer() {
    receive(observer_store,
            observer.sync(server, Json::array(), Json{{"id", "observer"}}, kWorkspace));
    observer.acknowledge(observer.events_sent());
  }

  void handle(std::string_view name, const Json& payload) {
    auto event = adapters::parse_client_event(name, payload);
    if (!event.ok()) {
      for (const OutgoingEvent& out : sender.receive_refused(server, event.error()))
        receive(sender_store, out);
      return;
    }
    if (std::holds_alternative<adapters::SyncRequest>(*event)) {
      receive(sender_store, sender.sync(server, Json::array(), Json{{"id", "sender"}}, kWorkspace));
      return;
    }
    if (!adapters::changed_entity(*event)) return;  // join and leave change no document
    adapters::ChangeOutcome outcome = sender.receive_change(server, *event);
    for (const GraphDoc& delta : outcome.deltas) {
      require(!crdt::join_encoded(mirror, crdt::encode(delta)).has_value(),
              "a change's delta does not decode");
    }
    require_same_state(mirror, server, "the deltas of the changes do not add up to the document");
    require_view_invariants(server, "the server's view");
    require(!outcome.error || outcome.deltas.empty(), "a refused change produced deltas");
    for (const OutgoingEvent& out : outcome.to_sender)
      receive(sender_store, out);
    for (const OutgoingEvent& out : observer.events_for(server, outcome.touched, "sender"))
      receive(observer_store, out);
    observer.acknowledge(observer.events_sent());
    require_store_shows_view(observer_store, server);
  }
};

}  // namespace

Violation check_socketio_events(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Workspace workspace;
    workspace.sync_observer();
    for (std::size_t count = 0; count < kMaxEvents && !text.empty(); ++count) {
      const std::size_t end = std::min(text.find('\n'), text.size());
      auto packet = adapters::decode_sio_packet(text.substr(0, end));
      text.remove_prefix(std::min(end + 1, text.size()));
      if (!packet.ok()) continue;
      const auto name = adapters::event_name(*packet);
      if (!name) continue;
      const auto args = adapters::event_args(*packet);
      workspace.handle(*name, args.empty() ? Json() : args.front());
    }
  });
}

}  // namespace trellis::fuzz
