#include "pki/validation.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::pki::detail {
namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}
// Printable ASCII except space: what an IA5String SAN should hold.
bool is_graphic(char c) {
    return c > 0x20 && c < 0x7f;
}

[[noreturn]] void reject(std::string_view kind, std::string_view value, std::string_view why) {
    fail(SSX_E_INVALID_ARGUMENT,
         std::string(kind) + " \"" + std::string(value) + "\" is invalid: " + std::string(why));
}

}  // namespace

void check_name(std::string_view name) {
    constexpr const char* kRule = "use 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.'";
    if (name.empty() || name.size() > 64) reject("name", name, kRule);
    if (name.front() == '.') reject("name", name, kRule);
    for (char c : name)
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') reject("name", name, kRule);
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    if (lower == "ca")
        reject("name", name, "\"ca\" is reserved for the CA's own files; choose another name");
}

void check_dns(std::string_view dns) {
    if (dns.empty() || dns.size() > 253) reject("DNS name", dns, "it must be 1 to 253 characters");
    if (dns.back() == '.') reject("DNS name", dns, "write it without the trailing dot");
    bool leftmost = true;
    size_t start = 0;
    while (start <= dns.size()) {
        size_t end = dns.find('.', start);
        if (end == std::string_view::npos) end = dns.size();
        std::string_view label = dns.substr(start, end - start);
        if (label.empty() || label.size() > 63)
            reject("DNS name", dns, "each dot-separated label must be 1 to 63 characters");
        if (label.front() == '-' || label.back() == '-')
            reject("DNS name", dns, "a label may not start or end with '-'");
        int stars = 0;
        for (char c : label) {
            if (c == '*') {
                ++stars;
                continue;
            }
            if (!is_alnum(c) && c != '-')
                reject("DNS name", dns,
                       "use letters, digits, '-' and '.' only (and '*' in the leftmost label)");
        }
        if (stars > (leftmost ? 1 : 0))
            reject("DNS name", dns, "a wildcard '*' may appear once, in the leftmost label only");
        leftmost = false;
        start = end + 1;
    }
}

std::string parse_ip(std::string_view ip) {
    std::string text(ip);
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, text.c_str(), buf) == 1)
        return std::string(reinterpret_cast<char*>(buf), 4);
    if (::inet_pton(AF_INET6, text.c_str(), buf) == 1)
        return std::string(reinterpret_cast<char*>(buf), 16);
    reject("IP address", ip,
           "write an IPv4 (127.0.0.1) or IPv6 (::1) address, without a port or zone");
}

void check_uri(std::string_view uri) {
    size_t colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0)
        reject("URI", uri, "it needs a scheme, e.g. spiffe://corp/db");
    if (!is_alpha(uri.front())) reject("URI", uri, "the scheme must start with a letter");
    for (char c : uri.substr(0, colon))
        if (!is_alnum(c) && c != '+' && c != '-' && c != '.')
            reject("URI", uri, "the scheme may hold only letters, digits, '+', '-' and '.'");
    if (colon + 1 == uri.size()) reject("URI", uri, "nothing follows the scheme");
    for (char c : uri)
        if (!is_graphic(c))
            reject("URI", uri, "use printable ASCII without spaces (percent-encode the rest)");
}

void check_email(std::string_view email) {
    size_t at = email.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == email.size() ||
        email.find('@', at + 1) != std::string_view::npos)
        reject("email", email, "write it as local@domain");
    for (char c : email)
        if (!is_graphic(c)) reject("email", email, "use printable ASCII without spaces");
}

void check_common_name(std::string_view cn) {
    if (cn.empty() || cn.size() > 64) reject("common name", cn, "it must be 1 to 64 bytes");
    for (char ch : cn) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) reject("common name", cn, "it may not hold control characters");
    }
}

}  // namespace ssx::pki::detail
