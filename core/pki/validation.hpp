// Checks of what a caller asks the development PKI to put in a certificate or on disk. The point
// is to refuse typos and unsafe file names with a clear message before anything is written, not
// to restate every RFC. Internal to core/pki; each throws ssx::Error(SSX_E_INVALID_ARGUMENT).
#pragma once

#include <string>
#include <string_view>

namespace ssx::pki::detail {

// A leaf / policy name: [A-Za-z0-9._-]+, 1..64 characters, not starting with '.', and not "ca"
// (any case: ca.pem and ca.key belong to the CA). It becomes a file stem, so this also keeps it
// inside DIR (no '/', no "..").
void check_name(std::string_view name);

// A DNS SAN: dot-separated labels of letters, digits and '-' (not at a label's ends), 1..63
// characters each, 253 in all, no trailing dot. The leftmost label may hold one '*' (a wildcard,
// e.g. *.example.com), so tests can exercise wildcard matching.
void check_dns(std::string_view dns);

// An IP SAN as text (inet_pton, IPv4 or IPv6, no zone). Returns the 4 or 16 address bytes.
std::string parse_ip(std::string_view ip);

// A URI SAN: scheme ":" rest, scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / "."), rest not empty,
// printable ASCII without spaces (e.g. spiffe://corp/db).
void check_uri(std::string_view uri);

// An rfc822Name SAN: local@domain, both parts non-empty, printable ASCII without spaces.
void check_email(std::string_view email);

// A subject common name: 1..64 bytes (X.520 ub-common-name), no control characters.
void check_common_name(std::string_view cn);

}  // namespace ssx::pki::detail
