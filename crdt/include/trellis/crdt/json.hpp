#pragma once
// Field values are JSON values (null, bool, number, string, array, object),
// opaque to the CRDT: a field is replaced whole under last-writer-wins.
// nlohmann::json keeps object keys sorted, so a value has one canonical form.

#include <nlohmann/json.hpp>

namespace trellis::crdt {

using Json = nlohmann::json;

}  // namespace trellis::crdt
