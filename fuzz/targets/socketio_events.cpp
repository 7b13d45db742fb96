// The socketio_events fuzz target: the seed's JSON events applied through ClientShadow
// (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"socketio_events",
                                                   trellis::fuzz::check_socketio_events};
