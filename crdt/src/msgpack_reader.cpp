#include "trellis/crdt/msgpack_reader.hpp"

#include <algorithm>
#include <array>

namespace trellis::crdt {

namespace {

bool is_container(const MsgpackElement& element) {
  return element.kind == MsgpackKind::array || element.kind == MsgpackKind::map;
}

// Elements that follow a container's header: a map's pairs are two each.
std::uint64_t elements_after(const MsgpackElement& element) {
  return element.kind == MsgpackKind::map ? std::uint64_t{2} * element.count : element.count;
}

}  // namespace

std::string_view to_string(MsgpackFault fault) {
  switch (fault) {
    case MsgpackFault::truncated:
      return "the input ends inside a value";
    case MsgpackFault::invalid_byte:
      return "an invalid byte (0xc1)";
    case MsgpackFault::too_many_elements:
      return "an array or map declares more elements than the input can hold";
    case MsgpackFault::too_deep:
      return "containers nested too deeply";
    case MsgpackFault::trailing_bytes:
      return "trailing bytes after the value";
  }
  return "invalid msgpack";
}

std::optional<MsgpackFault> check_msgpack(std::span<const std::uint8_t> bytes,
                                          MsgpackBounds bounds) {
  // Elements still to come in each open container, innermost last: a fixed
  // array, so that checking allocates nothing whatever the input claims.
  std::array<std::uint64_t, kMaxMsgpackDepth> open;
  const std::size_t max_depth = std::min(bounds.max_depth, kMaxMsgpackDepth);
  std::size_t depth = 0;
  MsgpackReader reader(bytes);
  MsgpackElement element;
  do {
    if (!reader.next(element)) {
      const bool invalid = !reader.at_end() && bytes[bytes.size() - reader.remaining()] == 0xc1;
      return invalid ? MsgpackFault::invalid_byte : MsgpackFault::truncated;
    }
    if (is_container(element)) {
      const std::size_t allowed =
          element.kind == MsgpackKind::array ? bounds.max_array_elements : bounds.max_map_pairs;
      if (element.count > allowed) return MsgpackFault::too_many_elements;
      if (element.count > 0) {
        if (depth >= max_depth) return MsgpackFault::too_deep;
        open[depth++] = elements_after(element);
        continue;
      }
    }
    // A value is complete, and with it every container it was the last of.
    while (depth > 0 && --open[depth - 1] == 0)
      --depth;
  } while (depth > 0);
  if (!reader.at_end()) return MsgpackFault::trailing_bytes;
  return std::nullopt;
}

bool MsgpackReader::skip() {
  // Elements still to skip; a count beyond what the input holds ends in a
  // failed next() at the end of the input, in time linear in its size.
  std::uint64_t pending = 1;
  MsgpackElement element;
  while (pending > 0) {
    if (!next(element)) return false;
    --pending;
    if (is_container(element)) pending += elements_after(element);
  }
  return true;
}

}  // namespace trellis::crdt
