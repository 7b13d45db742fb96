// `trellis`: the command-line client. `edit` applies JSON-line operations to
// a local replica in a data directory and delivers them to trellisd when it
// can be reached; `show` prints the replica's view. Usage and exit codes:
// usage() below and docs/client.md.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "trellis/client/data_dir.hpp"
#include "trellis/client/edit_op.hpp"
#include "trellis/client/native_client.hpp"
#include "trellis/client/transport.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/platform/heap_huge_pages.hpp"

namespace {

using namespace trellis;
using namespace trellis::client;

// Exit codes; when several apply, the largest.
enum ExitCode : int {
  kExitOk = 0,        // done; edits delivered, or kept offline for the next run
  kExitBadInput = 1,  // some input lines were refused (the others were applied)
  kExitUsage = 2,     // bad command line
  kExitDataDir = 3,   // the data directory cannot be used
  kExitRefused = 4,   // the server refused this client for good; edits are kept
};

constexpr std::string_view kUsage =
    R"(trellis - command-line client of the Trellis collaboration server

Usage:
  trellis edit --server ws://HOST:PORT --workspace ID --data-dir DIR
               [--name NAME] [--sync-timeout SECONDS]
  trellis show --data-dir DIR [--server ws://HOST:PORT] [--workspace ID]
               [--sync-timeout SECONDS]
  trellis --help | trellis edit --help | trellis show --help

The data directory holds this replica of the workspace (its snapshot and
fsync'ed journal): edits made while the server cannot be reached stay there
and are delivered by the next run that reaches it.

Exit codes (when several apply, the largest):
  0  done: every edit is applied and durable in DIR, and delivered to the
     server or kept offline for the next run (stderr says which)
  1  some input lines were refused (stderr names them); the others were applied
  2  bad command line
  3  the data directory cannot be used (I/O error, another workspace's,
     in use by another trellis process, or holds no data for `show`)
  4  the server refused this client for good (unauthorized, unsupported
     protocol version); edits are kept in DIR

Environment: TRELLIS_HEAP_HUGE_PAGES=0 keeps 4 KiB pages for the heap; by
default trellis starts by running itself again with glibc's huge pages
(GLIBC_TUNABLES=glibc.malloc.hugetlb=1), which halves the time to build a
large replica in a virtual machine.
)";

constexpr std::string_view kEditUsage = R"(trellis edit: apply operations to a workspace

  trellis edit --server ws://HOST:PORT --workspace ID --data-dir DIR
               [--name NAME] [--sync-timeout SECONDS]

Reads one operation per line on stdin, as a JSON object:
  {"op":"add_node","node":{"id":"n1","type":"box","position":{"x":0,"y":0},"data":{"width":1}}}
  {"op":"update_node","id":"n1","fields":{"position":{"x":5,"y":0}}}
  {"op":"set_data","id":"n1","data":{"width":2}}
  {"op":"remove_node","id":"n1"}
  {"op":"add_edge","edge":{"id":"e1","source":"n1","target":"n2"}}
  {"op":"update_edge","id":"e1","fields":{"label":"feeds"}}
  {"op":"remove_edge","id":"e1"}
Blank lines are skipped. The command first waits up to --sync-timeout
seconds (default 10) to catch up with the server, so that the lines apply
to its latest state. Each line is then applied to the local replica and
made durable in DIR at once; a bad line is reported on stderr with its line
number, changes nothing, and the rest go on. After the end of input the
command waits up to --sync-timeout again for the server to acknowledge
every edit (not when the server could not be reached before); edits it
could not deliver stay in DIR for the next run (exit status 0). --name is
the name other users see (default "trellis").

The server URL is ws://HOST:PORT or ws://HOST:PORT/v1/sync (wss:// is not
supported yet). Exit codes: see `trellis --help`.
)";

constexpr std::string_view kShowUsage = R"(trellis show: print a workspace's view

  trellis show --data-dir DIR [--server ws://HOST:PORT] [--workspace ID]
               [--sync-timeout SECONDS]

Prints {"nodes":[...],"edges":[...]} (React Flow shape) on stdout. With
--server it first syncs with the server, best effort within --sync-timeout
seconds (default 10). The workspace defaults to the one DIR belongs to;
--workspace is needed only for a new DIR. Exit codes: see `trellis --help`.
)";

struct Arguments {
  std::map<std::string, std::string> options;
  bool help = false;
};

// Parses "--name value" and "--name=value" pairs of the allowed names.
std::optional<Arguments> parse_arguments(const std::vector<std::string_view>& args,
                                         const std::vector<std::string_view>& allowed) {
  Arguments parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      std::cerr << "trellis: unexpected argument '" << arg << "'\n";
      return std::nullopt;
    }
    std::string name(arg.substr(2));
    std::optional<std::string> value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::cerr << "trellis: unknown option '--" << name << "'\n";
      return std::nullopt;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        std::cerr << "trellis: --" << name << " needs a value\n";
        return std::nullopt;
      }
      value = std::string(args[++i]);
    }
    parsed.options[name] = *value;
  }
  return parsed;
}

std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds < 0 || seconds > 86400) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// What the command line says about the client, checked.
struct ClientSetup {
  ClientOptions options;
  std::chrono::milliseconds sync_timeout{10'000};
};

std::optional<ClientSetup> client_setup(const Arguments& arguments, bool server_required,
                                        bool workspace_required) {
  const auto& options = arguments.options;
  ClientSetup setup;
  auto get = [&](const std::string& name) -> const std::string* {
    const auto found = options.find(name);
    return found == options.end() ? nullptr : &found->second;
  };
  const std::string* data_dir = get("data-dir");
  const std::string* server = get("server");
  const std::string* workspace = get("workspace");
  if (!data_dir || data_dir->empty()) {
    std::cerr << "trellis: --data-dir is required\n";
    return std::nullopt;
  }
  if (server_required && !server) {
    std::cerr << "trellis: --server is required\n";
    return std::nullopt;
  }
  if (workspace_required && (!workspace || workspace->empty())) {
    std::cerr << "trellis: --workspace is required\n";
    return std::nullopt;
  }
  setup.options.data_dir = *data_dir;
  if (server) {
    if (auto address = parse_server_url(*server); !address) {
      std::cerr << "trellis: " << address.error().message << "\n";
      return std::nullopt;
    }
    setup.options.server_url = *server;
  }
  if (workspace) setup.options.workspace_id = *workspace;
  if (const std::string* name = get("name")) setup.options.client_name = *name;
  if (const std::string* timeout = get("sync-timeout")) {
    const auto parsed = parse_seconds(*timeout);
    if (!parsed) {
      std::cerr << "trellis: --sync-timeout takes seconds (0 to 86400), not '" << *timeout << "'\n";
      return std::nullopt;
    }
    setup.sync_timeout = *parsed;
  }
  return setup;
}

// The client's last non-fatal error, for the final message.
class ErrorLog {
 public:
  ClientCallbacks callbacks() {
    ClientCallbacks callbacks;
    callbacks.error = [this](const ClientError& error) {
      std::lock_guard lock(mutex_);
      last_ = to_string(error);
    };
    return callbacks;
  }
  std::string last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::string last_;
};

std::unique_ptr<NativeClient> open_client(ClientSetup& setup, ErrorLog& log, int& exit_code) {
  auto client = NativeClient::open(setup.options, log.callbacks());
  if (!client) {
    std::cerr << "trellis: cannot use " << setup.options.data_dir.string() << ": "
              << client.error().message << "\n";
    exit_code = kExitDataDir;
    return nullptr;
  }
  return std::move(*client);
}

// Waits for the server to have everything; explains on stderr what it does
// not have. Returns the exit code it calls for.
int sync_and_report(NativeClient& client, const ClientSetup& setup, const ErrorLog& log,
                    std::string_view command, std::chrono::milliseconds wait) {
  const bool synced = client.wait_until_synced(wait);
  const ClientStatus status = client.status();
  if (status.halted) {
    std::cerr << "trellis: " << to_string(*status.halted) << "\n";
    if (status.outbox_size > 0) {
      std::cerr << "trellis: " << status.outbox_size << " edit(s) are kept in "
                << setup.options.data_dir.string() << "\n";
    }
    return status.halted->source == ClientError::Source::store ? kExitDataDir : kExitRefused;
  }
  if (synced) return kExitOk;
  const auto seconds = std::chrono::duration<double>(setup.sync_timeout).count();
  std::cerr << "trellis: could not sync with " << setup.options.server_url << " within " << seconds
            << " s";
  if (const std::string last = log.last(); !last.empty()) std::cerr << " (" << last << ")";
  std::cerr << "\n";
  if (status.outbox_size > 0) {
    std::cerr << "trellis: " << status.outbox_size << " edit(s) are kept offline in "
              << setup.options.data_dir.string() << " and will be delivered on the next run\n";
  } else if (command == "show") {
    std::cerr << "trellis: showing the local replica, which may be behind the server\n";
  }
  return kExitOk;
}

// What a command accepts.
struct CommandSpec {
  std::string_view usage;
  std::vector<std::string_view> options;
  bool server_required = false;
  bool workspace_required = false;
};

// The command line checked: the client's setup, or the exit code to return
// at once (after --help, or a usage error).
std::variant<ClientSetup, int> prepare(const std::vector<std::string_view>& args,
                                       const CommandSpec& spec) {
  const auto arguments = parse_arguments(args, spec.options);
  if (!arguments) return kExitUsage;
  if (arguments->help) {
    std::cout << spec.usage;
    return kExitOk;
  }
  auto setup = client_setup(*arguments, spec.server_required, spec.workspace_required);
  if (!setup) return kExitUsage;
  return std::move(*setup);
}

int run_edit(const std::vector<std::string_view>& args) {
  auto prepared = prepare(args, {kEditUsage,
                                 {"server", "workspace", "data-dir", "name", "sync-timeout"},
                                 /*server_required=*/true,
                                 /*workspace_required=*/true});
  if (const int* exit_now = std::get_if<int>(&prepared)) return *exit_now;
  auto* setup = &std::get<ClientSetup>(prepared);
  ErrorLog log;
  int exit_code = kExitOk;
  auto client = open_client(*setup, log, exit_code);
  if (!client) return exit_code;
  client->connect();
  // Catch up first, so that the lines apply to the server's latest state.
  const bool reached = client->wait_until(
      [](const ClientStatus& status) {
        return status.state == ConnectionState::online || status.halted.has_value();
      },
      setup->sync_timeout);

  std::string line;
  std::size_t line_number = 0;
  std::size_t applied = 0;
  std::size_t refused = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto op = parse_edit_op(line);
    std::optional<crdt::Error> error;
    if (!op) {
      error = op.error();
    } else {
      error = client->edit([&](crdt::GraphDoc& doc) { return apply_edit_op(doc, *op); });
    }
    if (error) {
      ++refused;
      std::cerr << "trellis: line " << line_number << ": " << error->message << "\n";
      const auto halted = client->status().halted;
      if (halted && halted->source == ClientError::Source::store) {
        std::cerr << "trellis: stopping: " << to_string(*halted) << "\n";
        return kExitDataDir;
      }
      continue;
    }
    ++applied;
  }
  // A server that could not be reached before the input was read is not
  // waited for a second time.
  const bool wait_again = reached || client->status().state == ConnectionState::online;
  exit_code = sync_and_report(*client, *setup, log, "edit",
                              wait_again ? setup->sync_timeout : std::chrono::milliseconds(0));
  client->stop();
  if (refused > 0) {
    std::cerr << "trellis: " << refused << " of " << (applied + refused)
              << " operation(s) were refused\n";
    exit_code = std::max<int>(exit_code, kExitBadInput);
  }
  return exit_code;
}

int run_show(const std::vector<std::string_view>& args) {
  auto prepared = prepare(args, {kShowUsage, {"server", "workspace", "data-dir", "sync-timeout"}});
  if (const int* exit_now = std::get_if<int>(&prepared)) return *exit_now;
  auto* setup = &std::get<ClientSetup>(prepared);
  if (setup->options.workspace_id.empty()) {
    auto stored = stored_workspace_id(setup->options.data_dir);
    if (!stored) {
      std::cerr << "trellis: " << stored.error().message
                << " (give --workspace and --server to fetch a workspace)\n";
      return kExitDataDir;
    }
    setup->options.workspace_id = *stored;
  }
  ErrorLog log;
  int exit_code = kExitOk;
  auto client = open_client(*setup, log, exit_code);
  if (!client) return exit_code;
  if (!setup->options.server_url.empty()) {
    client->connect();
    exit_code = sync_and_report(*client, *setup, log, "show", setup->sync_timeout);
  }
  client->stop();
  std::cout << client->view().dump(2) << "\n";
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: this may run the process again (heap_huge_pages.hpp).
  trellis::platform::use_heap_huge_pages(argv);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string_view command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "edit") return run_edit(args);
  if (command == "show") return run_show(args);
  std::cerr << "trellis: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}
