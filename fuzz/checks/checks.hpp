#pragma once
// The checks behind the fuzz targets of fuzz/ (docs/fuzzing.md). Each takes
// the fuzzer's bytes, drives one part of Trellis with them, and returns a
// description of the first invariant it saw broken, or nothing. A fuzz
// target aborts on a description; the regression test
// (fuzz/regressions/replay_test.cpp) replays the committed inputs through
// the same functions with g++ in the normal builds.
//
// An exception escaping the code under test counts as a violation: every
// decoder and mutator of the project promises errors as values.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace trellis::fuzz {

using Violation = std::optional<std::string>;
using Check = Violation (*)(const std::uint8_t* data, std::size_t size);

// crdt::decode of a state or delta: round trip, join_encoded, join laws
// with a live document, view invariants.
Violation check_crdt_decode(const std::uint8_t* data, std::size_t size);
// sync::decode_message: round trip, and the CRDT payloads of welcome and
// delta through the crdt_decode checks.
Violation check_sync_message(const std::uint8_t* data, std::size_t size);
// Operations on 3 replicas with deltas reordered, duplicated and dropped,
// then everything delivered: the replicas converge.
Violation check_crdt_replicas(const std::uint8_t* data, std::size_t size);
// Engine.IO packets, payloads and handshake queries: decode, round trip.
Violation check_engineio(const std::uint8_t* data, std::size_t size);
// Socket.IO packets: decode, round trip.
Violation check_socketio(const std::uint8_t* data, std::size_t size);
// Socket.IO packets parsed as the seed's events and applied to a document
// through a ClientShadow: deltas, view and shadow stay consistent.
Violation check_socketio_events(const std::uint8_t* data, std::size_t size);
// An HTTP request parsed by Beast and answered by trellisd's routing.
Violation check_http_routes(const std::uint8_t* data, std::size_t size);

}  // namespace trellis::fuzz
