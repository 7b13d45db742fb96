// The engineio fuzz target: Engine.IO packets, payloads and handshake queries (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"engineio", trellis::fuzz::check_engineio};
