#pragma once
// Top-level fields common enough in React Flow objects to get a one-byte key
// in format v1 (docs/encoding.md), shared by the encoder and the decoder. The
// order is part of the format: append only.

#include <array>
#include <string_view>

namespace trellis::crdt::codec {

inline constexpr std::array<std::string_view, 18> kWellKnownFields = {
    "type",   "position",     "width",        "height",    "parentId", "source",
    "target", "sourceHandle", "targetHandle", "hidden",    "selected", "draggable",
    "zIndex", "extent",       "style",        "className", "animated", "measured"};

}  // namespace trellis::crdt::codec
