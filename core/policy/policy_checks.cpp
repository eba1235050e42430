// Value checks used while parsing a policy: spelling suggestions, the files the policy names, and
// TLS 1.3 cipher suite names (validated by OpenSSL itself, so the list always matches the library).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "policy/policy_internal.hpp"
#include "ssx/ssx.h"

namespace ssx::policy::detail {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t max_distance) {
    const std::size_t too_far = max_distance + 1;
    if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > max_distance) {
        return too_far;
    }
    // Three rolling rows of the classic dynamic programme (two back, for transpositions).
    std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        row[0] = i;
        std::size_t row_min = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t d = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d = std::min(d, prev2[j - 2] + 1);
            }
            row[j] = d;
            row_min = std::min(row_min, d);
        }
        if (row_min > max_distance) return too_far;  // every later row is at least this far
        std::swap(prev2, prev);
        std::swap(prev, row);
    }
    return std::min(prev[b.size()], too_far);
}

std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
    constexpr std::size_t kMaxDistance = 2;
    // Case is ignored for suggesting ("Certificate" -> "certificate"), never for accepting.
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    if (word.size() > 256) return std::nullopt;  // no known name is anywhere near that long
    const std::string lowered = lower(word);
    std::optional<std::string_view> best;
    std::size_t best_distance = kMaxDistance + 1;
    for (std::string_view candidate : candidates) {
        std::size_t d = edit_distance(lowered, lower(candidate), kMaxDistance);
        if (d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

std::optional<std::string> check_readable_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int e = errno;
        return "'" + path.string() + "' cannot be used: " + std::strerror(e) +
               "; fix the path (relative paths are resolved against the policy file's folder)";
    }
    if (!S_ISREG(st.st_mode)) {
        return "'" + path.string() + "' is not a regular file; name a PEM file";
    }
    if (::access(path.c_str(), R_OK) != 0) {
        int e = errno;
        return "'" + path.string() + "' is not readable by this process (uid " +
               std::to_string(::getuid()) + "): " + std::strerror(e) +
               "; grant read access to the account that runs the application";
    }
    return std::nullopt;
}

std::optional<std::string> check_private_key_mode(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // check_readable_file reported it
    const unsigned open_bits = st.st_mode & (S_IRWXG | S_IRWXO);
    if (open_bits == 0) return std::nullopt;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return "private key '" + path.string() + "' is accessible by " +
           ((st.st_mode & S_IRWXG) && (st.st_mode & S_IRWXO) ? "group and others"
            : (st.st_mode & S_IRWXG)                         ? "its group"
                                                             : "others") +
           " (mode " + mode + "); run chmod 600 '" + path.string() + "'";
}

namespace {

// Every TLS 1.3 suite name RFC 8446 defines; used only for "did you mean" and for listing what
// this OpenSSL accepts. Whether a name is valid is always decided by OpenSSL.
constexpr std::array<std::string_view, 5> kTls13Suites = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"};

// True if OpenSSL knows `name` as a TLS 1.3 suite. SSL_CTX_set_ciphersuites alone is not enough:
// OpenSSL 3 skips unknown names in a list and accepts TLS 1.2 names with an empty 1.3 list, so
// each name is set alone and then looked up among the context's TLS 1.3 ciphers.
bool openssl_knows_tls13_suite(SSL_CTX* ctx, const std::string& name) {
    ERR_set_mark();  // our probing must not leave errors behind for the caller's error reporting
    const bool set = SSL_CTX_set_ciphersuites(ctx, name.c_str()) == 1;
    ERR_pop_to_mark();
    if (!set) return false;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        const char* std_name = SSL_CIPHER_standard_name(c);
        if (std_name != nullptr && name == std_name &&
            std::strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0) {
            return true;
        }
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::string> check_tls13_ciphersuites(std::string_view list,
                                                    std::string& normalized) {
    if (trim(list).empty()) {
        return std::string(
            "is empty; remove the key to use ssx's default suites, or list TLS 1.3 "
            "suite names separated by ':'");
    }
    // TLS 1.3 defines five suites; a long list is a mistake, and bounding it bounds the work below.
    constexpr std::size_t kMaxNames = 16;
    if (static_cast<std::size_t>(std::count(list.begin(), list.end(), ':')) >= kMaxNames) {
        return "lists more than " + std::to_string(kMaxNames) +
               " names; TLS 1.3 has five suites: list each at most once, separated by ':'";
    }
    ossl::SslCtx ctx(SSL_CTX_new(TLS_method()));
    if (!ctx) {
        drain_openssl_errors();
        fail(SSX_E_NO_MEMORY, "cannot create an OpenSSL context to check [tls] cipher_suites");
    }
    std::vector<std::string> names;
    std::string bad;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = std::min(list.find(':', start), list.size());
        std::string name(trim(list.substr(start, end - start)));
        start = end + 1;
        if (name.empty()) {
            return std::string(
                "has an empty entry; separate TLS 1.3 suite names with a single ':'");
        }
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return "lists '" + name + "' more than once; list each suite once";
        }
        if (openssl_knows_tls13_suite(ctx.get(), name)) {
            names.push_back(std::move(name));
            continue;
        }
        if (!bad.empty()) bad += "; ";
        bad += "'" + name + "' is not a TLS 1.3 cipher suite this OpenSSL supports";
        if (auto hint = suggest(name, kTls13Suites)) {
            bad += " (did you mean '" + std::string(*hint) + "'?)";
        } else if (name.find_first_of(", ") != std::string::npos) {
            bad += " (separate names with ':')";
        }
    }
    if (!bad.empty()) {
        std::string known;
        for (std::string_view s : kTls13Suites) {
            if (!openssl_knows_tls13_suite(ctx.get(), std::string(s))) continue;
            if (!known.empty()) known += ":";
            known += s;
        }
        return bad + "; use names from: " + known;
    }
    normalized.clear();
    for (const std::string& n : names) {
        if (!normalized.empty()) normalized += ':';
        normalized += n;
    }
    // The whole list must also be accepted as one string, exactly as the provider will set it.
    ERR_set_mark();
    const bool whole = SSL_CTX_set_ciphersuites(ctx.get(), normalized.c_str()) == 1;
    ERR_pop_to_mark();
    if (!whole) return "is not accepted by OpenSSL as a TLS 1.3 ciphersuites list";
    return std::nullopt;
}

}  // namespace ssx::policy::detail
