#pragma once
// SHA-256 over OpenSSL's EVP interface, for the stream and state digests of
// graph-workload.md §5. Only the benchmark links libcrypto; the library does not.

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace trellis::bench {

// Incremental: feed text with update(), then take the lowercase hex digest once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Finishes the hash; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  evp_md_ctx_st* context_;
};

std::string sha256_hex(std::string_view bytes);

}  // namespace trellis::bench
