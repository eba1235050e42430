// What ssx_query_socket_security() and a peer token say about a connection, collected once and
// printed for people (aligned rows) or scripts (JSON). Used by query, connect, serve and demo.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "ssx/ssx.h"

namespace ssx::cli {

struct TokenCloser {
    void operator()(ssx_token* t) const noexcept { ssx_token_close(t); }
};
using Token = std::unique_ptr<ssx_token, TokenCloser>;

struct CertificateSummary {
    std::string subject, issuer, not_before, not_after;  // RFC 2253; "YYYY-MM-DD HH:MM:SS UTC"
};

struct PeerIdentity {
    std::string name, subject, spiffe_id, fingerprint;
    std::vector<std::string> names;          // "DNS:x", "URI:x", ...
    std::vector<CertificateSummary> chain;   // leaf first; only the leaf on a resumed session
    bool mapped = false;                     // [[identity_map]] maps it to a local account
    uint32_t uid = 0, gid = 0;
    std::string user;                        // "" when mapped by number only
    std::vector<uint32_t> groups;
};

struct SecurityReport {
    uint32_t flags = 0;        // SSX_INFO_CONNECTION_*
    int32_t protocol = 0;
    uint32_t tls_version = 0;
    std::string cipher, alpn;
    bool resumed = false;
    int32_t verify_result = 0;
    std::optional<PeerIdentity> peer;  // absent on a clear-text connection
};

// Queries fd the documented way: a size probe (NULL info) first, then the query with a token
// opened for SSX_TOKEN_QUERY. Throws Failure with the library's reason.
SecurityReport query_security(int fd);

// Reads every accessor of a token (needs SSX_TOKEN_QUERY). Throws Failure on an accessor failure.
PeerIdentity describe_token(const ssx_token* token);

std::string tls_version_name(uint32_t version);  // "TLS 1.3", "TLS 1.2", "none"
std::string flags_text(uint32_t flags);          // "secured, encrypted" or "NOT SECURED (clear text)"

// Aligned "  key   value" rows; with_chain adds the certificate chain; indent prefixes each row.
void print_report(std::ostream& out, const SecurityReport& report, bool with_chain = false,
                  std::string_view indent = "  ");
void print_peer(std::ostream& out, const PeerIdentity& peer, bool with_chain = false, std::string_view indent = "  ");
// One line: "spiffe://demo/client (TLS 1.3, TLS_AES_256_GCM_SHA384, new session)".
std::string one_line(const SecurityReport& report);

json::Value to_json(const SecurityReport& report);
json::Value to_json(const PeerIdentity& peer);

// Prints "<indent>key         value" with the key padded to `width` columns.
void row(std::ostream& out, std::string_view key, std::string_view value, std::string_view indent = "  ",
         size_t width = 12);

}  // namespace ssx::cli
