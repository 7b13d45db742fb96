// parse_config: documented defaults, flags in both spellings, TRELLIS_*
// variables under the flags, and a clear error naming the flag for every
// kind of bad input.

#include "config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace trellis::server {
namespace {

using std::chrono::milliseconds;

using Environment = std::map<std::string, std::string, std::less<>>;

// A command line and an environment.
struct Invocation {
  Invocation(std::vector<std::string_view> args = {}, Environment env = {})
      : args(std::move(args)), env(std::move(env)) {}

  std::vector<std::string_view> args;
  Environment env;

  ParsedArgs parse() const {
    return parse_config(args, [this](std::string_view name) -> std::optional<std::string> {
      const auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    });
  }
};

ServerConfig config_of(const Invocation& run) {
  const ParsedArgs parsed = run.parse();
  if (!parsed.ok()) {
    ADD_FAILURE() << "parse failed: " << parsed.error().message;
    return {};
  }
  if (!std::holds_alternative<ServerConfig>(*parsed)) {
    ADD_FAILURE() << "help requested";
    return {};
  }
  return std::get<ServerConfig>(*parsed);
}

// The error message, or "" (and a failure) when parsing succeeded.
std::string error_of(const Invocation& run) {
  const ParsedArgs parsed = run.parse();
  if (parsed.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(parsed.error().code, crdt::ErrorCode::invalid_argument);
  return parsed.error().message;
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  const ServerConfig config = config_of({});
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.threads, 0u);
  EXPECT_GE(config.io_threads(), 1u);
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.storage, StorageKind::sqlite);
  EXPECT_EQ(config.web_root, "web/dist");
  EXPECT_EQ(config.max_frame_bytes, 16u << 20);
  EXPECT_EQ(config.max_connections, 10000u);
  EXPECT_EQ(config.max_workspaces, 1000u);
  EXPECT_EQ(config.ping_interval, milliseconds(20'000));
  EXPECT_EQ(config.ping_timeout, milliseconds(20'000));
  EXPECT_EQ(config.http_idle_timeout, milliseconds(30'000));
  EXPECT_EQ(config.workspace_unload_after, milliseconds(30'000));
  EXPECT_EQ(config.outbound_queue_bytes, 8u << 20);
  EXPECT_EQ(config.snapshot_every, 1000u);
  EXPECT_EQ(config.delta_log_bytes, 8u << 20);
  EXPECT_EQ(config.log_level, LogLevel::info);
  EXPECT_TRUE(config.allowed_origins.empty());
}

TEST(Config, EveryFlagIsReadInBothSpellings) {
  const ServerConfig config = config_of({{"--host",
                                          "0.0.0.0",
                                          "--port=0",
                                          "--threads",
                                          "3",
                                          "--data-dir=/var/lib/trellis",
                                          "--storage",
                                          "memory",
                                          "--web-root",
                                          "/srv/web",
                                          "--max-frame-bytes=1MiB",
                                          "--max-connections",
                                          "50",
                                          "--max-workspaces=7",
                                          "--ping-interval",
                                          "0.5",
                                          "--ping-timeout=2.25s",
                                          "--http-idle-timeout",
                                          "10",
                                          "--workspace-unload-after=0",
                                          "--outbound-queue-bytes",
                                          "512k",
                                          "--snapshot-every=10",
                                          "--delta-log-bytes=1m",
                                          "--log-level",
                                          "debug",
                                          "--allowed-origins",
                                          "https://a.example, https://b.example,"}});
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.threads, 3u);
  EXPECT_EQ(config.io_threads(), 3u);
  EXPECT_EQ(config.data_dir, "/var/lib/trellis");
  EXPECT_EQ(config.storage, StorageKind::memory);
  EXPECT_EQ(config.web_root, "/srv/web");
  EXPECT_EQ(config.max_frame_bytes, 1u << 20);
  EXPECT_EQ(config.max_connections, 50u);
  EXPECT_EQ(config.max_workspaces, 7u);
  EXPECT_EQ(config.ping_interval, milliseconds(500));
  EXPECT_EQ(config.ping_timeout, milliseconds(2250));
  EXPECT_EQ(config.http_idle_timeout, milliseconds(10'000));
  EXPECT_EQ(config.workspace_unload_after, milliseconds(0));
  EXPECT_EQ(config.outbound_queue_bytes, 512u << 10);
  EXPECT_EQ(config.snapshot_every, 10u);
  EXPECT_EQ(config.delta_log_bytes, 1u << 20);
  EXPECT_EQ(config.log_level, LogLevel::debug);
  EXPECT_EQ(config.allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
}

TEST(Config, SizesTakeBinarySuffixesInAnyCase) {
  EXPECT_EQ(config_of({{"--max-frame-bytes", "2048"}}).max_frame_bytes, 2048u);
  EXPECT_EQ(config_of({{"--max-frame-bytes", "4K"}}).max_frame_bytes, 4096u);
  EXPECT_EQ(config_of({{"--max-frame-bytes", "4kib"}}).max_frame_bytes, 4096u);
  EXPECT_EQ(config_of({{"--max-frame-bytes", "3m"}}).max_frame_bytes, 3u << 20);
  EXPECT_EQ(config_of({{"--outbound-queue-bytes", "1GiB"}}).outbound_queue_bytes, 1u << 30);
}

TEST(Config, EnvironmentVariablesSetFlagsAndFlagsWin) {
  const ServerConfig from_env = config_of({{},
                                           {{"TRELLIS_PORT", "9000"},
                                            {"TRELLIS_DATA_DIR", "/tmp/t"},
                                            {"TRELLIS_LOG_LEVEL", "warn"},
                                            {"TRELLIS_PING_INTERVAL", "1.5"},
                                            {"TRELLIS_ALLOWED_ORIGINS", "http://x"}}});
  EXPECT_EQ(from_env.port, 9000);
  EXPECT_EQ(from_env.data_dir, "/tmp/t");
  EXPECT_EQ(from_env.log_level, LogLevel::warn);
  EXPECT_EQ(from_env.ping_interval, milliseconds(1500));
  EXPECT_EQ(from_env.allowed_origins, std::vector<std::string>{"http://x"});

  const ServerConfig both = config_of({{"--port", "9001"}, {{"TRELLIS_PORT", "9000"}}});
  EXPECT_EQ(both.port, 9001);
  // An empty variable counts as unset.
  EXPECT_EQ(config_of({{}, {{"TRELLIS_PORT", ""}}}).port, 8080);
  // The last of a repeated flag wins.
  EXPECT_EQ(config_of({{"--port", "1", "--port", "2"}}).port, 2);
}

TEST(Config, HelpWinsOverEverythingElse) {
  for (const auto& args : std::vector<std::vector<std::string_view>>{
           {"--help"}, {"-h"}, {"--port", "x", "--help"}, {"--nonsense", "--help"}}) {
    const ParsedArgs parsed = Invocation{args}.parse();
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(std::holds_alternative<HelpRequested>(*parsed));
  }
}

TEST(Config, BadInputIsAnErrorNamingTheFlag) {
  struct Case {
    std::vector<std::string_view> args;
    std::string_view expected;  // a substring of the message
  };
  const std::vector<Case> cases = {
      {{"--bogus", "1"}, "unknown flag --bogus"},
      {{"--port"}, "--port needs a value"},
      {{"--host", "--port", "1"}, "--host needs a value"},
      {{"serve"}, "unexpected argument 'serve'"},
      {{"--port", "http"}, "--port: 'http' is not a whole number"},
      {{"--port", "70000"}, "--port: '70000' is out of range (0 to 65535)"},
      {{"--port", "-1"}, "--port: '-1' is not a whole number"},
      {{"--port", " 80"}, "--port"},
      {{"--threads", "5000"}, "--threads"},
      {{"--max-connections", "0"}, "--max-connections: '0' is out of range"},
      {{"--max-workspaces", "0"}, "--max-workspaces"},
      {{"--snapshot-every", "0"}, "--snapshot-every"},
      {{"--max-frame-bytes", "1g"}, "--max-frame-bytes: '1g' is out of range"},
      {{"--max-frame-bytes", "0"}, "--max-frame-bytes"},
      {{"--max-frame-bytes", "1.5m"}, "--max-frame-bytes: '1.5m' is not a size"},
      {{"--max-frame-bytes", "99999999999999999999"}, "--max-frame-bytes"},
      {{"--outbound-queue-bytes", "16ZiB"}, "--outbound-queue-bytes"},
      {{"--outbound-queue-bytes", "17179869184G"}, "--outbound-queue-bytes"},
      {{"--ping-interval", "0"}, "--ping-interval: '0' is out of range (0.001 to 3600 seconds)"},
      {{"--ping-timeout", "1e3"}, "--ping-timeout: '1e3' is not a duration"},
      {{"--ping-timeout", ".5"}, "--ping-timeout"},
      {{"--ping-timeout", "5."}, "--ping-timeout"},
      {{"--http-idle-timeout", "7200"}, "--http-idle-timeout"},
      {{"--workspace-unload-after", "-1"}, "--workspace-unload-after"},
      {{"--storage", "postgres"}, "--storage: 'postgres' is not a storage kind (sqlite or memory)"},
      {{"--log-level", "verbose"}, "--log-level: 'verbose' is not a log level"},
      {{"--host="}, "--host: must not be empty"},
      {{"--data-dir", ""}, "--data-dir: must not be empty"},
      {{"--allowed-origins", "a b"}, "--allowed-origins"},
      {{"--help=yes"}, "unknown flag --help"},
  };
  for (const Case& bad : cases) {
    const std::string message = error_of({bad.args});
    EXPECT_NE(message.find(bad.expected), std::string::npos)
        << "message: " << message << "\nexpected to contain: " << bad.expected;
  }
}

TEST(Config, BadEnvironmentIsAnErrorNamingTheVariable) {
  EXPECT_EQ(error_of({{}, {{"TRELLIS_PORT", "eighty"}}}),
            "TRELLIS_PORT: 'eighty' is not a whole number");
  EXPECT_EQ(error_of({{}, {{"TRELLIS_STORAGE", "disk"}}}),
            "TRELLIS_STORAGE: 'disk' is not a storage kind (sqlite or memory)");
}

TEST(Config, UsageListsEveryFlagWithItsVariable) {
  const std::string text = usage();
  for (std::string_view flag :
       {"host", "port", "threads", "data-dir", "storage", "web-root", "max-frame-bytes",
        "max-connections", "max-workspaces", "ping-interval", "ping-timeout", "http-idle-timeout",
        "workspace-unload-after", "outbound-queue-bytes", "delta-log-bytes", "snapshot-every",
        "log-level", "allowed-origins"}) {
    EXPECT_NE(text.find("--" + std::string(flag) + " "), std::string::npos) << flag;
    std::string variable = "TRELLIS_";
    for (char c : flag)
      variable += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(text.find("[" + variable + "]"), std::string::npos) << variable;
  }
  EXPECT_NE(text.find("--help"), std::string::npos);
  EXPECT_NE(text.find("TRELLIS_HEAP_HUGE_PAGES=0"), std::string::npos);
}

}  // namespace
}  // namespace trellis::server
