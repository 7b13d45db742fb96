// The one translation unit that compiles Asio's and Beast's implementation.
#include "trellis/net/asio.hpp"

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
