// Peer target names: parsing (what the application or a ported Windows SPN gives) and matching a
// peer leaf certificate. DNS and IP matching is OpenSSL's (X509_check_host / X509_check_ip_asc);
// this file only decides *which* check applies and compares URI SANs, where there is no OpenSSL
// function. Rules and rationale: docs/target-names.md.
#include "provider/tls/name_match.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "ssx/ssx.h"

namespace ssx::tls {
namespace {

constexpr size_t kMaxTargetName = 1024;  // ssx.h: longer names are refused
constexpr size_t kMaxDnsName = 253;      // RFC 1035 (without the trailing dot)
constexpr size_t kMaxDnsLabel = 63;
constexpr size_t kMaxSpiffeId = 2048;    // SPIFFE-ID spec 2.3
constexpr size_t kMaxTrustDomain = 255;  // SPIFFE-ID spec 2.3
constexpr size_t kMaxPresented = 16;     // names listed in one message

constexpr const char* kAcceptedForms =
    "accepted forms: a DNS name (db.corp), an IP address (192.0.2.7, 2001:db8::1), a SPIFFE ID "
    "(spiffe://td/path, spiffe://td/path/*, spiffe://td), another URI (https://host/x, urn:x), a "
    "Windows SPN (host/db.corp[:port][/name]), or one of these with an explicit DNS:, IP: or URI: "
    "prefix";

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Text from a certificate or a caller, made safe to print: anything but printable ASCII (and the
// backslash itself) becomes \xNN, so a name with an embedded NUL or newline cannot forge a log line
// or pass for another name.
std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string describe_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", u);
    return buf;
}

[[noreturn]] void reject(std::string_view original, const std::string& why) {
    fail(SSX_E_INVALID_ARGUMENT, "invalid peer target name '" + printable(original) + "': " + why +
                                     " (" + kAcceptedForms + ")");
}

// ---- IP addresses --------------------------------------------------------------------------

// The canonical text of an IPv4 or IPv6 address (inet_ntop's form), or nullopt.
std::optional<std::string> canonical_ip(std::string_view text) {
    if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);  // inet_pton needs a terminated string
    unsigned char addr[sizeof(in6_addr)];
    char out[INET6_ADDRSTRLEN];
    for (int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, s.c_str(), addr) == 1 &&
            inet_ntop(family, addr, out, sizeof out) != nullptr) {
            return std::string(out);
        }
    }
    return std::nullopt;
}

// "2001:db8::1" or "[2001:db8::1]" (the bracketed form of URLs and SPNs).
std::optional<std::string> canonical_ip_maybe_bracketed(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        auto inner = text.substr(1, text.size() - 2);
        if (inner.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]"
        return canonical_ip(inner);
    }
    return canonical_ip(text);
}

// Hex digits, dots and at least two colons (before any '%zone'): the caller meant an IPv6
// address, so a URI-scheme reading ("fe80:...") would only hide the mistake.
bool looks_like_ipv6(std::string_view s) {
    auto end = s.find('%');
    auto addr = s.substr(0, end);
    return std::count(addr.begin(), addr.end(), ':') >= 2 &&
           std::all_of(addr.begin(), addr.end(),
                       [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

// ---- DNS names -----------------------------------------------------------------------------

// A host name as RFC 1123 LDH labels: validated and lower-cased, trailing dot removed.
std::string parse_dns(std::string_view s, std::string_view original) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty()) reject(original, "the DNS name is empty");
    if (s.size() > kMaxDnsName) {
        reject(original, "the DNS name is " + std::to_string(s.size()) +
                             " bytes long; the limit is " + std::to_string(kMaxDnsName));
    }
    std::string_view last_label;
    size_t start = 0;
    while (start <= s.size()) {
        size_t dot = s.find('.', start);
        if (dot == std::string_view::npos) dot = s.size();
        auto label = s.substr(start, dot - start);
        if (label.empty()) reject(original, "the DNS name has an empty label (a leading dot or '..')");
        if (label.size() > kMaxDnsLabel) {
            reject(original, "the DNS label '" + printable(label) + "' is " +
                                 std::to_string(label.size()) + " bytes long; the limit is " +
                                 std::to_string(kMaxDnsLabel));
        }
        for (char c : label) {
            if (c == '*') {
                reject(original,
                       "wildcards are not allowed in a target name: name the concrete host you "
                       "connect to (a certificate may carry *.corp; a target name may not)");
            }
            if (static_cast<unsigned char>(c) >= 0x80) {
                reject(original, "non-ASCII characters: give an internationalized name as its "
                                 "A-labels (xn--...)");
            }
            if (!is_alpha(c) && !is_digit(c) && c != '-') {
                reject(original, "the character " + describe_char(c) +
                                     " is not allowed in a DNS name (letters, digits, '-' and '.' "
                                     "only)");
            }
        }
        if (label.front() == '-' || label.back() == '-') {
            reject(original, "the DNS label '" + printable(label) + "' starts or ends with '-'");
        }
        last_label = label;
        start = dot + 1;
    }
    if (std::all_of(last_label.begin(), last_label.end(), is_digit)) {
        reject(original, "the last label is all digits, so this is neither a DNS name nor a valid "
                         "IPv4 address");
    }
    return to_lower(s);
}

// ---- URIs ----------------------------------------------------------------------------------

bool valid_scheme(std::string_view scheme) {
    if (scheme.empty() || !is_alpha(scheme.front())) return false;
    return std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    });
}

// RFC 3986 unreserved, gen-delims and sub-delims; '%' is checked separately.
bool uri_char(char c) {
    if (is_alpha(c) || is_digit(c)) return true;
    constexpr std::string_view allowed = "-._~:/?#[]@!$&'()*+,;=";
    return allowed.find(c) != std::string_view::npos;
}

// The scheme of "scheme:..." if the text starts with a syntactically valid one, else "".
std::string_view leading_scheme(std::string_view s) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return {};
    auto scheme = s.substr(0, colon);
    return valid_scheme(scheme) ? scheme : std::string_view{};
}

// ---- SPIFFE IDs ----------------------------------------------------------------------------

struct SpiffeParts {
    std::string problem;  // "" when valid
    std::string_view trust_domain;
    std::string_view path;  // "" or "/seg/seg" (without a trailing "/*")
    bool wildcard = false;  // ended in "/*" (allowed only when asked for)
};

// Validates "spiffe://td[/path][/*]" per the SPIFFE-ID spec. The scheme must be exactly "spiffe://"
// (the spec normalises it to lower case; a different spelling is refused, not folded).
SpiffeParts split_spiffe(std::string_view id, bool allow_wildcard) {
    SpiffeParts p;
    constexpr std::string_view scheme = "spiffe://";
    if (id.size() > kMaxSpiffeId) {
        p.problem = "a SPIFFE ID is at most " + std::to_string(kMaxSpiffeId) + " bytes";
        return p;
    }
    if (id.substr(0, scheme.size()) != scheme) {
        p.problem = istarts_with(id, scheme)
                        ? "write the SPIFFE scheme in lower case ('spiffe://')"
                        : "a SPIFFE ID has the form spiffe://<trust domain>/<path>";
        return p;
    }
    auto body = id.substr(scheme.size());
    if (body.find('?') != std::string_view::npos) {
        p.problem = "a SPIFFE ID has no query part ('?')";
        return p;
    }
    if (body.find('#') != std::string_view::npos) {
        p.problem = "a SPIFFE ID has no fragment ('#')";
        return p;
    }
    auto slash = body.find('/');
    p.trust_domain = body.substr(0, std::min(slash, body.size()));
    p.path = slash == std::string_view::npos ? std::string_view{} : body.substr(slash);
    const auto td = p.trust_domain;
    if (td.empty()) {
        p.problem = "the SPIFFE trust domain is empty";
        return p;
    }
    if (td.size() > kMaxTrustDomain) {
        p.problem = "the SPIFFE trust domain is longer than " + std::to_string(kMaxTrustDomain) +
                    " bytes";
        return p;
    }
    for (char c : td) {
        if (c == '@') { p.problem = "a SPIFFE ID has no user info ('@')"; return p; }
        if (c == ':') { p.problem = "a SPIFFE ID has no port (':')"; return p; }
        if (c >= 'A' && c <= 'Z') {
            p.problem = "the SPIFFE trust domain must be lower case";
            return p;
        }
        if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '.' && c != '-' && c != '_') {
            p.problem = "the character " + describe_char(c) +
                        " is not allowed in a SPIFFE trust domain (a-z, 0-9, '.', '-', '_')";
            return p;
        }
    }
    if (allow_wildcard && p.path.size() >= 2 && p.path.substr(p.path.size() - 2) == "/*") {
        p.wildcard = true;
        p.path.remove_suffix(2);
    }
    // Every segment after a '/': non-empty, not "." or "..", of [A-Za-z0-9._-].
    size_t pos = 0;
    while (pos < p.path.size()) {
        size_t next = p.path.find('/', pos + 1);
        if (next == std::string_view::npos) next = p.path.size();
        auto seg = p.path.substr(pos + 1, next - pos - 1);
        if (seg.empty()) {
            p.problem = "the SPIFFE path has an empty segment ('//' or a trailing '/')";
            return p;
        }
        if (seg == "." || seg == "..") {
            p.problem = "the SPIFFE path segment '" + std::string(seg) + "' is not allowed";
            return p;
        }
        for (char c : seg) {
            if (c == '*') {
                p.problem = allow_wildcard
                                ? "'*' is allowed only as the whole last segment "
                                  "(spiffe://td/path/*)"
                                : "'*' is not allowed in a SPIFFE ID";
                return p;
            }
            if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_') {
                p.problem = "the character " + describe_char(c) +
                            " is not allowed in a SPIFFE path (A-Z, a-z, 0-9, '.', '-', '_'; no "
                            "percent-encoding)";
                return p;
            }
        }
        pos = next;
    }
    return p;
}

TargetName parse_spiffe(std::string_view s, std::string_view original) {
    auto parts = split_spiffe(s, /*allow_wildcard=*/true);
    if (!parts.problem.empty()) reject(original, parts.problem);
    TargetName t;
    t.original = std::string(original);
    t.value = "spiffe://" + std::string(parts.trust_domain) + std::string(parts.path);
    if (parts.path.empty()) {
        t.kind = TargetKind::spiffe_trust_domain;  // "spiffe://td" or "spiffe://td/*"
    } else {
        t.kind = parts.wildcard ? TargetKind::spiffe_prefix : TargetKind::spiffe_exact;
    }
    return t;
}

// Any URI: SPIFFE IDs get their own kinds and rules; others are matched exactly.
TargetName parse_uri(std::string_view s, std::string_view original) {
    auto scheme = leading_scheme(s);
    if (scheme.empty()) {
        reject(original, "a URI starts with a scheme: a letter, then letters, digits, '+', '-' or "
                         "'.', then ':'");
    }
    if (iequals(scheme, "spiffe")) return parse_spiffe(s, original);
    auto rest = s.substr(scheme.size() + 1);
    if (rest.empty()) reject(original, "the URI has nothing after its scheme");
    // "db.corp:443" or "localhost:8080/x" parse as URIs, but the caller meant host:port.
    auto digits = rest.substr(0, rest.find('/'));
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit)) {
        reject(original, "this looks like host:port; a target name carries no port: give the host "
                         "alone ('" + printable(scheme) + "') or a Windows SPN ('host/" +
                         printable(scheme) + ":" + printable(digits) + "')");
    }
    for (size_t i = 0; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '%') {
            if (i + 2 >= rest.size() || !is_hex(rest[i + 1]) || !is_hex(rest[i + 2])) {
                reject(original, "'%' in a URI must be followed by two hex digits");
            }
            i += 2;
        } else if (!uri_char(c)) {
            reject(original, "the character " + describe_char(c) +
                                 " is not allowed in a URI; percent-encode it (%XX)");
        }
    }
    TargetName t;
    t.kind = TargetKind::uri;
    t.value = to_lower(scheme) + ":" + std::string(rest);
    t.original = std::string(original);
    return t;
}

struct UriParts {
    std::string_view scheme, userinfo, hostport, rest;
    bool has_authority = false;
};

UriParts split_uri(std::string_view u) {
    UriParts p;
    auto colon = u.find(':');
    if (colon == std::string_view::npos) {
        p.rest = u;
        return p;
    }
    p.scheme = u.substr(0, colon);
    auto after = u.substr(colon + 1);
    if (after.substr(0, 2) == "//") {
        p.has_authority = true;
        auto auth_end = after.find_first_of("/?#", 2);
        if (auth_end == std::string_view::npos) auth_end = after.size();
        auto authority = after.substr(2, auth_end - 2);
        auto at = authority.rfind('@');
        if (at != std::string_view::npos) {
            p.userinfo = authority.substr(0, at + 1);
            p.hostport = authority.substr(at + 1);
        } else {
            p.hostport = authority;
        }
        p.rest = after.substr(auth_end);
    } else {
        p.rest = after;
    }
    return p;
}

// RFC 3986 6.2.2.1: scheme and host are case-insensitive; everything else (user info, path,
// query, fragment, percent-encodings) is compared exactly. No other normalisation: a certificate
// must carry the URI the caller named.
bool uri_equal(std::string_view a, std::string_view b) {
    auto x = split_uri(a), y = split_uri(b);
    return iequals(x.scheme, y.scheme) && x.has_authority == y.has_authority &&
           x.userinfo == y.userinfo && iequals(x.hostport, y.hostport) && x.rest == y.rest;
}

// ---- Windows SPNs --------------------------------------------------------------------------

// "service/host[:port][/name]": only the host is an identity a certificate can prove; the service
// class, port and service name are Kerberos routing details with no X.509 counterpart.
TargetName parse_spn(std::string_view s, std::string_view original) {
    auto slash = s.find('/');
    auto service = s.substr(0, slash);
    if (service.empty()) {
        reject(original, "the Windows SPN has no service class before '/' (e.g. host/db.corp)");
    }
    for (char c : service) {
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.') {
            reject(original, "the character " + describe_char(c) +
                                 " is not allowed in an SPN service class (letters, digits, '.', "
                                 "'-', '_')");
        }
    }
    auto rest = s.substr(slash + 1);
    std::string_view host, after;
    bool bracketed = false;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) reject(original, "the SPN host has '[' without ']'");
        host = rest.substr(1, close - 1);
        after = rest.substr(close + 1);
        bracketed = true;
    } else {
        auto end = rest.find_first_of(":/");
        host = rest.substr(0, end);
        after = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    if (host.empty()) reject(original, "the Windows SPN has no host after the service class");
    if (!after.empty() && after.front() == ':') {
        auto end = after.find('/', 1);
        auto port = after.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
        unsigned long value = 0;
        bool ok = !port.empty() && port.size() <= 5 &&
                  std::all_of(port.begin(), port.end(), is_digit);
        for (char c : ok ? port : std::string_view{}) value = value * 10 + (c - '0');
        if (!ok || value < 1 || value > 65535) {
            reject(original, "the SPN port '" + printable(port) + "' is not a number from 1 to 65535");
        }
        after = end == std::string_view::npos ? std::string_view{} : after.substr(end);
    }
    if (!after.empty()) {
        if (after.front() != '/') {
            reject(original, "unexpected '" + printable(after) + "' after the SPN host");
        }
        if (after.size() == 1) reject(original, "the SPN service name after the last '/' is empty");
    }
    TargetName t;
    t.original = std::string(original);
    if (bracketed) {
        auto ip = host.find(':') == std::string_view::npos ? std::nullopt : canonical_ip(host);
        if (!ip) reject(original, "'[" + printable(host) + "]' in the SPN is not an IPv6 address");
        t.kind = TargetKind::ip;
        t.value = *ip;
    } else if (auto ip = canonical_ip(host)) {
        t.kind = TargetKind::ip;
        t.value = *ip;
    } else {
        t.kind = TargetKind::dns;
        t.value = parse_dns(host, original);
    }
    return t;
}

// ---- Certificates --------------------------------------------------------------------------

ossl::GeneralNames subject_alt_names(X509* leaf) {
    // NULL when absent (or when the extension is duplicated, which X509_get_ext_d2i refuses).
    return ossl::GeneralNames(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
}

std::string_view asn1_view(const ASN1_STRING* s) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
            static_cast<size_t>(ASN1_STRING_length(s))};
}

std::vector<std::string_view> uri_sans(const GENERAL_NAMES* names) {
    std::vector<std::string_view> out;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_URI) out.push_back(asn1_view(gn->d.uniformResourceIdentifier));
    }
    return out;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    char out[INET6_ADDRSTRLEN];
    int len = ASN1_STRING_length(ip);
    int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
    if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(ip), out, sizeof out)) return out;
    return "<invalid " + std::to_string(len) + "-byte address>";
}

std::string mismatch(const TargetName& target, X509* leaf) {
    return "peer certificate does not match target name '" + printable(target.original) +
           "' (presented: " + presented_names(leaf) + ")";
}

bool starts_with_segment(std::string_view id, std::string_view prefix) {
    return id.size() > prefix.size() + 1 && id.substr(0, prefix.size()) == prefix &&
           id[prefix.size()] == '/';
}

}  // namespace

TargetName parse_target_name(std::string_view name) {
    if (name.empty()) reject(name, "the name is empty");
    if (name.size() > kMaxTargetName) {
        fail(SSX_E_INVALID_ARGUMENT, "invalid peer target name: it is " +
                                         std::to_string(name.size()) + " bytes long; the limit is " +
                                         std::to_string(kMaxTargetName) + " (" + kAcceptedForms + ")");
    }
    for (size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        if (c == 0) reject(name, "it contains a NUL byte at offset " + std::to_string(i));
        if (c < 0x20 || c == 0x7f) {
            reject(name, "it contains the control character " + describe_char(name[i]) +
                             " at offset " + std::to_string(i));
        }
    }
    auto make = [&](TargetKind kind, std::string value) {
        return TargetName{kind, std::move(value), std::string(name)};
    };

    // Explicit forms (case-insensitive, as in OpenSSL's "DNS:"/"IP:"/"URI:" SAN syntax).
    if (istarts_with(name, "DNS:")) return make(TargetKind::dns, parse_dns(name.substr(4), name));
    if (istarts_with(name, "IP:")) {
        auto ip = canonical_ip_maybe_bracketed(name.substr(3));
        if (!ip) reject(name, "after 'IP:' comes an IPv4 or IPv6 address (no port, no zone ID)");
        return make(TargetKind::ip, *ip);
    }
    if (istarts_with(name, "URI:")) return parse_uri(name.substr(4), name);

    // Implicit forms, most specific first.
    if (auto ip = canonical_ip_maybe_bracketed(name)) return make(TargetKind::ip, *ip);
    if (name.find("://") != std::string_view::npos) return parse_uri(name, name);
    auto scheme = leading_scheme(name);
    auto slash = name.find('/');
    if (!scheme.empty() && scheme.size() < slash) {
        // "urn:x", "spiffe:x/y", "db.corp:443": a scheme before any '/'.
        if (looks_like_ipv6(name)) {
            reject(name, "not a valid IP address (IPv6 zone IDs such as %eth0 are not accepted)");
        }
        return parse_uri(name, name);
    }
    if (slash != std::string_view::npos) return parse_spn(name, name);
    if (name.find(':') != std::string_view::npos) {
        // No URI scheme (those start with a letter) and no SPN: an attempt at an IPv6 address.
        reject(name, "not a valid IP address, and not a URI (a URI scheme starts with a letter)");
    }
    return make(TargetKind::dns, parse_dns(name, name));
}

std::vector<std::string> san_names(X509* leaf) {
    std::vector<std::string> out;
    if (leaf == nullptr) return out;
    auto names = subject_alt_names(leaf);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        switch (gn->type) {
            case GEN_DNS: out.push_back("DNS:" + printable(asn1_view(gn->d.dNSName))); break;
            case GEN_IPADD: out.push_back("IP:" + ip_text(gn->d.iPAddress)); break;
            case GEN_URI:
                out.push_back("URI:" + printable(asn1_view(gn->d.uniformResourceIdentifier)));
                break;
            case GEN_EMAIL: out.push_back("email:" + printable(asn1_view(gn->d.rfc822Name))); break;
            default: break;  // directoryName, otherName, ...: never matched, not listed
        }
    }
    return out;
}

std::string presented_names(X509* leaf) {
    auto names = san_names(leaf);
    if (names.empty()) return "no subject alternative names";
    std::string out;
    for (size_t i = 0; i < names.size() && i < kMaxPresented; ++i) {
        if (i) out += ", ";
        out += names[i];
    }
    if (names.size() > kMaxPresented) {
        out += ", ... (" + std::to_string(names.size() - kMaxPresented) + " more)";
    }
    return out;
}

std::optional<std::string> svid_spiffe_id(X509* leaf, std::string* why_not) {
    auto refuse = [&](std::string why) -> std::optional<std::string> {
        if (why_not) *why_not = "X509-SVID rule: " + why;
        return std::nullopt;
    };
    if (leaf == nullptr) return refuse("no certificate");
    auto names = subject_alt_names(leaf);
    auto uris = uri_sans(names.get());
    if (uris.size() != 1) {
        return refuse("the certificate must carry exactly one URI SAN (it has " +
                      std::to_string(uris.size()) + ")");
    }
    auto id = uris.front();
    auto parts = split_spiffe(id, /*allow_wildcard=*/false);
    if (!parts.problem.empty()) {
        return refuse("the URI SAN '" + printable(id) + "' is not a valid SPIFFE ID: " +
                      parts.problem);
    }
    if (parts.path.empty()) {
        return refuse("a leaf's SPIFFE ID must have a path ('" + printable(id) +
                      "' names only a trust domain)");
    }
    uint32_t flags = X509_get_extension_flags(leaf);
    if (flags & EXFLAG_INVALID) return refuse("the certificate's extensions are malformed");
    if (flags & EXFLAG_CA) return refuse("a leaf must not be a CA (basicConstraints CA is true)");
    if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(leaf) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN))) {
        return refuse("a leaf must not have the keyCertSign or cRLSign key usage");
    }
    return std::string(id);
}

MatchResult match_peer(const TargetName& target, X509* leaf, bool certificate_wildcards) {
    if (leaf == nullptr) {
        return {false, "no peer certificate to match target name '" + printable(target.original) +
                           "'"};
    }
    switch (target.kind) {
        case TargetKind::dns: {
            // Never the subject CN (RFC 6125 6.4.4: a CN is not a typed identity); wildcards only
            // as the whole left-most label, and OpenSSL further refuses "*.tld"-style patterns.
            int rc = X509_check_host(leaf, target.value.data(), target.value.size(),
                                     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                         X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                         (certificate_wildcards ? 0u : X509_CHECK_FLAG_NO_WILDCARDS),
                                     nullptr);
            if (rc == 1) return {true, {}};
            if (rc < 0) {
                return {false, "checking target name '" + printable(target.original) +
                                   "' against the peer certificate failed: " +
                                   drain_openssl_errors()};
            }
            return {false, mismatch(target, leaf)};
        }
        case TargetKind::ip: {
            int rc = X509_check_ip_asc(leaf, target.value.c_str(), 0);
            if (rc == 1) return {true, {}};
            if (rc < 0) {
                return {false, "checking target name '" + printable(target.original) +
                                   "' against the peer certificate failed: " +
                                   drain_openssl_errors()};
            }
            return {false, mismatch(target, leaf)};
        }
        case TargetKind::uri: {
            auto names = subject_alt_names(leaf);
            for (auto uri : uri_sans(names.get())) {
                if (uri_equal(target.value, uri)) return {true, {}};
            }
            return {false, mismatch(target, leaf)};
        }
        case TargetKind::spiffe_exact:
        case TargetKind::spiffe_prefix:
        case TargetKind::spiffe_trust_domain: {
            std::string why;
            auto id = svid_spiffe_id(leaf, &why);
            if (!id) {
                return {false, "peer certificate is not a valid X509-SVID for target name '" +
                                   printable(target.original) + "': " + why + " (presented: " +
                                   presented_names(leaf) + ")"};
            }
            bool ok = target.kind == TargetKind::spiffe_exact
                          ? *id == target.value
                          : starts_with_segment(*id, target.value);
            if (ok) return {true, {}};
            return {false, mismatch(target, leaf)};
        }
    }
    return {false, mismatch(target, leaf)};
}

}  // namespace ssx::tls
