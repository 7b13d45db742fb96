#pragma once
// Invariants of GraphDoc states shared by the CRDT, sync and adapter checks.
// Each throws InvariantBroken (invariant.hpp) naming what broke.

#include <cstdint>
#include <span>
#include <string_view>

#include "trellis/crdt/graph_doc.hpp"

namespace trellis::fuzz {

// The same state: operator== and byte-equal encodings (the encoding is
// canonical; == on JSON numbers is looser than bytes).
void require_same_state(const crdt::GraphDoc& left, const crdt::GraphDoc& right,
                        std::string_view what);

// graph_view's contract (tests/crdt/support/view_invariants.hpp): no
// dangling edge, present entities shown once, parents first; and the view
// can be written as JSON text.
void require_view_invariants(const crdt::GraphDoc& doc, std::string_view what);

// decode(encode(doc)) == doc, in the chosen form and in the state form, and
// re-encoding gives the same bytes.
void require_round_trip(const crdt::GraphDoc& doc, std::string_view what);

// A state or delta as bytes from the wire or disk. Refused: join_encoded
// refuses it with the same code and changes nothing. Accepted: join_encoded
// joins exactly what decode returned, the state round-trips, its view and
// the view of a live document it is joined into keep their invariants, and
// the join laws hold against live documents (idempotent, commutative,
// associative, the same by copy and by move).
void check_encoded_state(std::span<const std::uint8_t> bytes);

// A document of a few replicas' concurrent edits (nodes, an edge, a removed
// node, data keys, a parent): what inputs are joined into. Its ids (n0..n3,
// e0..e2) are the ones the seed corpora use, so inputs collide with it.
const crdt::GraphDoc& live_document();

}  // namespace trellis::fuzz
