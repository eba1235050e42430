// A Principal is an authenticated peer: the names its certificate proves, its fingerprint and chain,
// and the local account the policy maps it to. Immutable and shared: tokens, the endpoint and the
// impersonation stack all point at the same object, so strings handed out through the C ABI stay
// valid as long as any token holds it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "policy/policy.hpp"

namespace ssx::identity {

struct Account {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups;  // supplementary groups (getgrouplist for a named user; [gid] else)
    std::string user;              // "" when mapped by number only
};

class Principal {
public:
    // Builds a principal from a verified peer certificate. chain may be NULL (resumed sessions:
    // only the leaf is known); if given, chain[0] is the leaf. Throws ssx::Error on malformed input.
    static std::shared_ptr<const Principal> from_certificate(X509* leaf, STACK_OF(X509)* chain,
                                                             std::optional<Account> account);

    const std::string& name() const { return name_; }         // see ssx_token_name()
    const std::string& subject() const { return subject_; }   // RFC 2253
    const std::string& spiffe_id() const { return spiffe_id_; }  // "" when none
    const std::string& fingerprint() const { return fingerprint_; }  // SHA-256, uppercase hex
    const std::vector<std::string>& names() const { return names_; } // "DNS:x", "IP:x", "URI:x", "email:x"
    const std::vector<std::vector<unsigned char>>& chain_der() const { return chain_der_; }
    const std::optional<Account>& account() const { return account_; }

    Principal() = default;  // for tests and from_certificate
    std::string name_, subject_, spiffe_id_, fingerprint_;
    std::vector<std::string> names_;
    std::vector<std::vector<unsigned char>> chain_der_;
    std::optional<Account> account_;
};

// Maps a peer certificate to a local account with the policy's [[identity_map]]: the first entry
// whose `peer` pattern the certificate proves (same matching as target names; see
// tls::parse_target_name / tls::match_peer) wins. A `user` is resolved with getpwnam_r (uid, gid,
// groups via getgrouplist); `uid`/`gid` are taken as given. Returns nullopt when nothing matches.
// Throws ssx::Error(SSX_E_IMPERSONATION_DENIED, ...) when a matching entry names an unknown user.
std::optional<Account> map_account(X509* leaf, const std::vector<policy::IdentityMapEntry>& map);

}  // namespace ssx::identity
