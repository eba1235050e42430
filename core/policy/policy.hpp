// The administrator's policy: a TOML file named by SSX_POLICY (docs/policy.md). Parsed once into an
// immutable Policy; callers hold a shared_ptr to the snapshot they started with, so a reload never
// changes a connection in flight.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssx::policy {

enum class PeerNameVerification { required, optional };

struct IdentityMapEntry {
    std::string peer;                 // a target-name form (docs/policy.md), e.g. "spiffe://corp/*"
    std::optional<std::string> user;  // local user name, resolved when a peer is mapped
    std::optional<uint32_t> uid;      // numeric account (user not needed)
    std::optional<uint32_t> gid;      // primary group; defaults to the user's primary group
    int line = 0;                     // where it was declared, for messages
};

struct Policy {
    std::filesystem::path source;     // the file read; empty for the built-in defaults
    // [tls]; paths are absolute (relative ones resolved against the policy file's folder); "" = unset
    std::string certificate;
    std::string private_key;
    std::string trust_anchors;
    int min_version = 0x0304;         // 0x0304 (TLS 1.3, default) or 0x0303 (TLS 1.2)
    std::string cipher_suites;        // OpenSSL TLS 1.3 ciphersuites list; "" = ssx's default order
    uint32_t handshake_timeout_ms = 10000;
    bool allow_insecure = true;       // may applications use SSX_SETTINGS_ALLOW_INSECURE?
    bool session_resumption = true;   // [tls] session_resumption
    // [peer_name]
    PeerNameVerification peer_name_verification = PeerNameVerification::required;
    // [impersonation]
    bool os_credentials = false;
    bool allow_root = false;
    // [[identity_map]], in file order; the first entry whose `peer` matches wins
    std::vector<IdentityMapEntry> identity_map;
};

struct Problem {
    std::string file;
    int line = 0;        // 0 when unknown
    int column = 0;
    std::string key;     // dotted key, e.g. "tls.min_version"; "" for syntax errors
    std::string message; // what is wrong and what to do
    std::string to_string() const;  // "file:line:column: key: message"
};

struct LoadResult {
    std::optional<Policy> policy;  // set when there are no problems
    std::vector<Problem> problems; // every problem found (syntax, unknown keys, bad values, paths)
};

// Parses policy text. `file` names it in messages and is the base for relative paths.
// Checks: TOML syntax; unknown tables/keys (reported, never ignored); types and ranges; that the
// referenced files exist and are readable. Never throws for bad input.
LoadResult parse(std::string_view text, const std::filesystem::path& file);

// Reads and parses a file. An unreadable file is one Problem (line 0) naming the file and errno.
LoadResult load_file(const std::filesystem::path& file);

// The policy in force: the file named by SSX_POLICY (re-read when the variable's value or the
// file's modification time changes), or built-in defaults (no credentials) when SSX_POLICY is
// unset or empty. Throws ssx::Error(SSX_E_POLICY, "<all problems, one per line>") for a bad file.
std::shared_ptr<const Policy> current();

}  // namespace ssx::policy
