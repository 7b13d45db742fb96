#pragma once
// What /proc says about a child trellisd: which of this process's children
// listens on a port (ChildServer knows the port, not the pid), its resident
// memory now and at its peak, and how many file descriptors it holds. For
// tests that check that memory and sockets return to their baseline after
// an attack.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace trellis::testing {

// The pid of a child of this process that has a TCP socket listening on
// `port` (loopback, IPv4 or IPv6), or nullopt.
std::optional<int> child_listening_on(std::uint16_t port);

// A field of /proc/<pid>/status given in kB ("VmRSS", "VmHWM"), in bytes;
// nullopt when the process or the field is not there.
std::optional<std::size_t> status_bytes(int pid, const std::string& field);

// Open file descriptors of `pid` (entries of /proc/<pid>/fd), or nullopt.
std::optional<std::size_t> open_descriptors(int pid);

}  // namespace trellis::testing
