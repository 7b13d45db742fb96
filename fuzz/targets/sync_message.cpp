// The sync_message fuzz target: sync::decode_message of protocol frames (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"sync_message",
                                                   trellis::fuzz::check_sync_message};
