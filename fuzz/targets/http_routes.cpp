// The http_routes fuzz target: trellisd's HTTP request parsing and routing (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"http_routes", trellis::fuzz::check_http_routes};
