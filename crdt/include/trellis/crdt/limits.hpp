#pragma once
// Every size the library accepts is bounded; each limit is enforced in one
// place (mutator validation in graph_doc.cpp, decoding in graph_codec.cpp)
// and documented in docs/crdt.md. Inputs past a limit get
// ErrorCode::limit_exceeded and change nothing.

#include <cstddef>
#include <cstdint>

namespace trellis::crdt::limits {

// Bytes of a node or edge id.
inline constexpr std::size_t kMaxIdBytes = 256;
// Bytes of a field name (top-level field or data key).
inline constexpr std::size_t kMaxFieldNameBytes = 256;
// Fields (top-level plus data keys, tombstones included) of one node or edge.
inline constexpr std::size_t kMaxFieldsPerEntity = 1024;
// Nesting depth of one field value (an object inside an array is depth 2).
inline constexpr std::size_t kMaxValueDepth = 32;
// Bytes of one string inside a field value.
inline constexpr std::size_t kMaxStringBytes = 1 << 20;
// Elements of one array or object inside a field value.
inline constexpr std::size_t kMaxContainerElements = 1 << 16;
// Bytes of one encoded state or delta accepted by the decoder.
inline constexpr std::size_t kMaxEncodedBytes = 256u << 20;
// Distinct replicas named by one encoded state or delta.
inline constexpr std::size_t kMaxReplicasPerMessage = 1 << 16;
// Entries of the string table of one encoded state (a reference to any of
// them fits in a fixext2).
inline constexpr std::size_t kMaxInternedStrings = 1 << 16;

// Largest Lamport counter or sequence number accepted from outside: far
// beyond any real history (2^53, also exact in JavaScript numbers), and far
// enough from 2^64 that counters can never wrap.
inline constexpr std::uint64_t kMaxCounter = std::uint64_t{1} << 53;

}  // namespace trellis::crdt::limits
