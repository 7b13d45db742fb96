// The socketio fuzz target: Socket.IO packets (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"socketio", trellis::fuzz::check_socketio};
