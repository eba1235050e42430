// A Principal is an authenticated peer: the names its certificate proves, its fingerprint and chain,
// and the local account the policy maps it to. Immutable to its users and shared: tokens, the
// endpoint and the impersonation stack all point at the same object, so strings handed out through
// the C ABI stay valid as long as any token holds it.
#pragma once

#include <cstdint>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "common/openssl_ptr.hpp"
#include "policy/policy.hpp"

namespace ssx::identity {

struct Account {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups;  // supplementary groups (getgrouplist for a named user; [gid] else)
    std::string user;              // "" when mapped by number only
};

// What a principal's certificate says, as the strings and bytes tokens hand out.
struct Description {
    std::string name, subject, spiffe_id, fingerprint;
    std::vector<std::string> names;
    std::vector<std::vector<unsigned char>> chain_der;  // DER of each chain certificate, leaf first
};

class Principal {
public:
    // Builds a principal from a verified peer certificate. chain may be NULL (resumed sessions:
    // only the leaf is known); if given, chain[0] is the leaf. Throws ssx::Error(SSX_E_NO_PEER_CERT)
    // without a leaf.
    static std::shared_ptr<const Principal> from_certificate(X509* leaf, STACK_OF(X509)* chain,
                                                             std::optional<Account> account);
    // A principal known only by name, with no certificate: for tests of the layers above.
    static std::shared_ptr<const Principal> named(std::string name, std::optional<Account> account);

    Principal() = default;  // use from_certificate() or named()
    ~Principal();
    Principal(const Principal&) = delete;
    Principal& operator=(const Principal&) = delete;

    // The strings (and the chain's DER) are read from the certificates on the first request, all
    // at once, then fixed: every query returns the same strings, valid as long as the principal.
    // A connection nobody queries carries none of them. Each accessor throws ssx::Error if
    // OpenSSL cannot print or encode the certificates (out of memory: the certificate itself was
    // verified and parsed during the handshake), so such a failure surfaces at the first query.
    const std::string& name() const { return description().name; }        // see ssx_token_name()
    const std::string& subject() const { return description().subject; }  // RFC 2253
    const std::string& spiffe_id() const { return description().spiffe_id; }      // "" when none
    const std::string& fingerprint() const { return description().fingerprint; }  // SHA-256, hex
    const std::vector<std::string>& names() const { return description().names; }  // "DNS:x", ...
    const Account* account() const { return account_.get(); }  // NULL when not mapped

    // The peer's chain, leaf first. The certificates are shared with OpenSSL's session (one
    // reference each), not copied: an idle connection carries no second copy of its peer's chain.
    size_t chain_length() const { return chain_.size(); }
    // DER of chain certificate `index` (< chain_length()), kept for the principal's lifetime so
    // the bytes handed out through the C ABI stay valid.
    const std::vector<unsigned char>& chain_der(size_t index) const {
        return description().chain_der.at(index);
    }

private:
    const Description& description() const;

    // Each per-connection byte counts here (an idle connection's memory, docs/performance.md):
    // what most connections never use sits behind a pointer.
    std::vector<ossl::X509Ptr> chain_;
    std::unique_ptr<const Account> account_;
    // Set once, by the first thread whose description is stored (compare-and-swap: no lock, and
    // a failure just leaves it unset for the next call); owned, deleted with the principal.
    mutable std::atomic<const Description*> description_{nullptr};
};

// Maps a peer certificate to a local account with the policy's [[identity_map]]: the first entry
// whose `peer` pattern the certificate proves (same matching as target names; see
// tls::parse_target_name / tls::match_peer) wins. A `user` is resolved with getpwnam_r (uid, gid,
// groups via getgrouplist); `uid`/`gid` are taken as given. Returns nullopt when nothing matches.
// Throws ssx::Error(SSX_E_IMPERSONATION_DENIED, ...) when a matching entry names an unknown user.
std::optional<Account> map_account(X509* leaf, const std::vector<policy::IdentityMapEntry>& map);

}  // namespace ssx::identity
