// Peer target names: parsing what the application (or a Windows SPN) gives, and checking a peer
// certificate against it. DNS and IP checks use OpenSSL's X509_check_host / X509_check_ip (never
// hand-rolled); URI and SPIFFE checks compare the URI SANs. Rules in docs/security-model.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

namespace ssx::tls {

enum class TargetKind {
    dns,                  // "db.corp": DNS SANs, RFC 6125 (wildcard only as whole left-most label)
    ip,                   // "192.0.2.7", "2001:db8::1": IP SANs
    uri,                  // "https://x/y", "urn:x": exact URI SAN
    spiffe_exact,         // "spiffe://td/path"
    spiffe_prefix,        // "spiffe://td/path/*": any ID below path (whole segments)
    spiffe_trust_domain,  // "spiffe://td" or "spiffe://td/*": any ID in td
};

struct TargetName {
    TargetKind kind = TargetKind::dns;
    std::string value;     // normalised: DNS lower-case without trailing dot; IP canonical text;
                           // SPIFFE: "spiffe://td/path" (prefix without the "/*"), td lower-case
    std::string original;  // what the caller gave, for messages
};

// Parses a target name. Accepts the forms documented for ssx_set_peer_target_name(): plain DNS,
// IP, URIs (spiffe:// and others), explicit "DNS:", "IP:", "URI:" prefixes, and Windows SPNs
// "service/host[:port][/name]" (matched by host). Throws ssx::Error(SSX_E_INVALID_ARGUMENT,
// message naming the problem) for empty, over-long (> 1024 bytes), malformed or NUL-containing
// names, wildcards in DNS names, and invalid SPIFFE IDs (SPIFFE spec: lower-case trust domain of
// [a-z0-9.-_], path segments of [A-Za-z0-9.-_], no empty, "." or ".." segments, no query/fragment).
TargetName parse_target_name(std::string_view name);

struct MatchResult {
    bool ok = false;
    std::string reason;  // on failure: "peer certificate does not match target name 'db.corp'
                         // (presented: DNS:www.corp, DNS:*.web.corp)"
};

// Checks a peer leaf certificate against a target name. For SPIFFE kinds the X509-SVID leaf rules
// apply too: exactly one URI SAN, not a CA, no keyCertSign/cRLSign key usage. Never uses the
// subject CN for DNS names (docs/security-model.md).
// certificate_wildcards: whether a wildcard DNS SAN in the certificate ("*.svc.corp") may match.
// True for target names (RFC 6125 server identity); false for authorization ([[identity_map]]),
// where a certificate for "*.svc.corp" must not stand in for the account of "admin.svc.corp".
MatchResult match_peer(const TargetName& target, X509* leaf, bool certificate_wildcards = true);

// "DNS:a, IP:1.2.3.4, URI:spiffe://x" — the SANs a certificate presents, for messages (at most 16
// names, then "... (N more)").
std::string presented_names(X509* leaf);

// Shared with identity/ (one reading of a certificate for matching, messages and tokens):

// The certificate's DNS, IP, URI and email SANs in certificate order, each prefixed by its type:
// "DNS:db.corp", "IP:192.0.2.7" (canonical text), "URI:spiffe://corp/db", "email:a@corp". Bytes
// outside printable ASCII and '\' are written as "\xNN", so an embedded NUL or control character
// can never make one name look like another. Other SAN types are not listed.
std::vector<std::string> san_names(X509* leaf);

// The SPIFFE ID of an X509-SVID leaf: the certificate must carry exactly one URI SAN, holding a
// valid SPIFFE ID with a non-root path, not be a CA and not have keyCertSign/cRLSign key usage.
// Returns nullopt otherwise; *why_not (if given) then names the rule that failed.
std::optional<std::string> svid_spiffe_id(X509* leaf, std::string* why_not = nullptr);

}  // namespace ssx::tls
