// Parsing policy text: TOML syntax (tomlplusplus), then a walk over the fixed schema that collects
// every problem (unknown keys with suggestions, types, ranges, files) instead of stopping at the
// first, so an administrator fixes a file in one pass. The schema is in docs/policy.md.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <span>
#include <system_error>

#include <toml++/toml.h>

#include "common/error.hpp"
#include "policy/policy.hpp"
#include "policy/policy_internal.hpp"
#include "provider/tls/name_match.hpp"
#include "ssx/ssx.h"

namespace ssx::policy {

namespace {

using toml::node_type;

struct KeySpec {
    std::string_view name;
    node_type type;
    std::string_view example;  // a correct line, quoted in type errors
};

constexpr KeySpec kTlsKeys[] = {
    {"certificate", node_type::string, R"(certificate = "server.pem")"},
    {"private_key", node_type::string, R"(private_key = "server.key")"},
    {"trust_anchors", node_type::string, R"(trust_anchors = "ca.pem")"},
    {"min_version", node_type::string, R"(min_version = "1.3")"},
    {"cipher_suites", node_type::string, R"(cipher_suites = "TLS_AES_256_GCM_SHA384")"},
    {"handshake_timeout_ms", node_type::integer, "handshake_timeout_ms = 10000"},
    {"allow_insecure", node_type::boolean, "allow_insecure = false"},
    {"session_resumption", node_type::boolean, "session_resumption = true"},
};
constexpr KeySpec kPeerNameKeys[] = {
    {"verification", node_type::string, R"(verification = "required")"},
};
constexpr KeySpec kImpersonationKeys[] = {
    {"os_credentials", node_type::boolean, "os_credentials = false"},
    {"allow_root", node_type::boolean, "allow_root = false"},
};
constexpr KeySpec kIdentityMapKeys[] = {
    {"peer", node_type::string, R"(peer = "spiffe://corp/app")"},
    {"user", node_type::string, R"(user = "alice")"},
    {"uid", node_type::integer, "uid = 1000"},
    {"gid", node_type::integer, "gid = 1000"},
};

struct TableSpec {
    std::string_view name;
    std::span<const KeySpec> keys;
};
constexpr TableSpec kTables[] = {
    {"tls", kTlsKeys},
    {"peer_name", kPeerNameKeys},
    {"impersonation", kImpersonationKeys},
    {"identity_map", kIdentityMapKeys},
};
constexpr std::array<std::string_view, 4> kTableNames = {"tls", "peer_name", "impersonation",
                                                         "identity_map"};

constexpr std::int64_t kMaxTimeoutMs = 600000;
// Beyond this many problems the rest is noise (and a hostile file could make millions).
constexpr std::size_t kMaxProblems = 50;
// (uid_t)-1 and (gid_t)-1 mean "no change" to setfsuid/setfsgid, so they are not accounts.
constexpr std::int64_t kMaxId = 4294967294LL;

// Input text quoted in messages: control bytes escaped, long strings cut, so a hostile file cannot
// flood or corrupt a terminal or a log line.
std::string printable(std::string_view s, std::size_t limit = 80) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (out.size() >= limit) {
            // Cut before a UTF-8 continuation byte, never inside a character.
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
                out.pop_back();
            }
            if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
            out += "...";
            break;
        }
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\x%02x", c);
            out += esc;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string_view type_name(node_type t) {
    switch (t) {
        case node_type::table: return "a table";
        case node_type::array: return "an array";
        case node_type::string: return "a string";
        case node_type::integer: return "an integer";
        case node_type::floating_point: return "a floating-point number";
        case node_type::boolean: return "a boolean";
        case node_type::date: return "a date";
        case node_type::time: return "a time";
        case node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

const KeySpec& spec_of(std::span<const KeySpec> keys, std::string_view name) {
    for (const KeySpec& k : keys) {
        if (k.name == name) return k;
    }
    fail(SSX_E_INTERNAL, "policy schema has no key '" + std::string(name) + "'");
}

std::string dotted(std::string_view prefix, std::string_view name) {
    return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

class Parser {
public:
    Parser(const std::filesystem::path& file, std::vector<Problem>& problems)
        : file_(file.string()), problems_(problems) {
        // Relative paths in the policy are relative to the file's folder, whatever the cwd is.
        std::error_code ec;
        std::filesystem::path abs =
            file.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(file, ec);
        base_ = file.empty() ? abs : abs.parent_path();
        if (ec) base_ = file.parent_path();
    }

    void add(const toml::source_region& where, std::string key, std::string message) {
        if (problems_.size() > kMaxProblems) return;
        if (problems_.size() == kMaxProblems) {
            problems_.push_back(
                Problem{file_, 0, 0, "", "more problems not shown; fix the ones above first"});
            return;
        }
        problems_.push_back(
            Problem{file_, static_cast<int>(std::min<std::uint64_t>(where.begin.line, INT_MAX)),
                    static_cast<int>(std::min<std::uint64_t>(where.begin.column, INT_MAX)),
                    std::move(key), std::move(message)});
    }

    void run(const toml::table& root, Policy& out) {
        check_unknown_root_keys(root);
        if (const toml::table* t = table_at(root, "tls")) parse_tls(*t, out);
        if (const toml::table* t = table_at(root, "peer_name")) parse_peer_name(*t, out);
        if (const toml::table* t = table_at(root, "impersonation")) parse_impersonation(*t, out);
        if (const toml::node* n = root.get("identity_map")) parse_identity_map(*n, out);
    }

private:
    // ---- structure ---------------------------------------------------------------------------

    const toml::table* table_at(const toml::table& root, std::string_view name) {
        const toml::node* n = root.get(name);
        if (n == nullptr) return nullptr;
        if (const toml::table* t = n->as_table()) return t;
        add(n->source(), std::string(name),
            "must be a table, not " + std::string(type_name(n->type())) + "; write [" +
                std::string(name) + "] on a line of its own, followed by its keys");
        return nullptr;
    }

    // Where a misplaced key belongs, e.g. "tls" for "min_version" written at the top level.
    static std::optional<std::string_view> home_table_of(std::string_view key,
                                                         std::string_view except) {
        for (const TableSpec& t : kTables) {
            if (t.name == except) continue;
            for (const KeySpec& k : t.keys) {
                if (k.name == key) return t.name;
            }
        }
        return std::nullopt;
    }

    static std::string list_names(std::span<const KeySpec> keys) {
        std::string out;
        for (const KeySpec& k : keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
        return out;
    }

    void check_unknown_root_keys(const toml::table& root) {
        for (auto&& [key, node] : root) {
            const std::string_view name = key.str();
            if (std::find(kTableNames.begin(), kTableNames.end(), name) != kTableNames.end())
                continue;
            const std::string shown = printable(name);
            const bool is_table = node.is_table() || node.is_array_of_tables();
            std::string message =
                (is_table ? "unknown table [" : "unknown key '") + shown + (is_table ? "]" : "'");
            if (auto home = home_table_of(name, "")) {
                message += "; did you mean " + std::string(*home) + "." + shown +
                           "? put it under [" + std::string(*home) + "]";
            } else if (auto hint = detail::suggest(name, kTableNames)) {
                message += "; did you mean [" + std::string(*hint) + "]?";
            } else {
                message +=
                    "; the known tables are [tls], [peer_name], [impersonation] and "
                    "[[identity_map]]: remove it or fix its name";
            }
            add(key.source(), printable(name, 200), std::move(message));
        }
    }

    // Reports every key of `t` that its table (`table_name`) does not define; `prefix` starts the
    // dotted keys in problems ("tls", "identity_map[2]").
    void check_unknown_keys(const toml::table& t, std::string_view table_name,
                            std::string_view prefix, std::span<const KeySpec> keys) {
        std::vector<std::string_view> names;
        for (const KeySpec& k : keys) names.push_back(k.name);
        const std::string label =
            table_name == "identity_map" ? "[[identity_map]]" : "[" + std::string(table_name) + "]";
        for (auto&& [key, node] : t) {
            const std::string_view name = key.str();
            if (std::find(names.begin(), names.end(), name) != names.end()) continue;
            const std::string shown = printable(name);
            const bool is_table = node.is_table() || node.is_array_of_tables();
            std::string message =
                (is_table ? "unknown table '" : "unknown key '") + shown + "' in " + label;
            if (auto hint = detail::suggest(name, names)) {
                message += "; did you mean '" + std::string(*hint) + "'?";
            } else if (auto home = home_table_of(name, table_name)) {
                message += "; did you mean " + std::string(*home) + "." + shown +
                           "? it belongs in [" + std::string(*home) + "]";
            } else {
                message += "; remove it or use one of: " + list_names(keys);
            }
            add(key.source(), dotted(prefix, printable(name, 200)), std::move(message));
        }
    }

    // ---- typed values -------------------------------------------------------------------------

    // The node for `name` if present and of the schema's type; else nullptr (a type error is
    // reported when present with another type).
    const toml::node* typed(const toml::table& t, std::string_view prefix,
                            std::span<const KeySpec> keys, std::string_view name) {
        const toml::node* n = t.get(name);
        if (n == nullptr) return nullptr;
        const KeySpec& spec = spec_of(keys, name);
        if (n->type() == spec.type) return n;
        add(n->source(), dotted(prefix, name),
            "must be " + std::string(type_name(spec.type)) + ", not " +
                std::string(type_name(n->type())) + "; for example: " + std::string(spec.example));
        return nullptr;
    }

    std::optional<std::string> string_value(const toml::table& t, std::string_view prefix,
                                            std::span<const KeySpec> keys, std::string_view name) {
        const toml::node* n = typed(t, prefix, keys, name);
        if (n == nullptr) return std::nullopt;
        const std::string& s = n->as_string()->get();
        // TOML allows "\u0000"; a NUL would silently cut a path or a name passed to the OS.
        if (s.find('\0') != std::string::npos) {
            add(n->source(), dotted(prefix, name), "contains a NUL character (\\u0000); remove it");
            return std::nullopt;
        }
        return s;
    }

    std::optional<bool> bool_value(const toml::table& t, std::string_view prefix,
                                   std::span<const KeySpec> keys, std::string_view name) {
        const toml::node* n = typed(t, prefix, keys, name);
        if (n == nullptr) return std::nullopt;
        return n->as_boolean()->get();
    }

    std::optional<std::int64_t> int_value(const toml::table& t, std::string_view prefix,
                                          std::span<const KeySpec> keys, std::string_view name,
                                          std::int64_t min, std::int64_t max,
                                          std::string_view hint) {
        const toml::node* n = typed(t, prefix, keys, name);
        if (n == nullptr) return std::nullopt;
        const std::int64_t v = n->as_integer()->get();
        if (v < min || v > max) {
            add(n->source(), dotted(prefix, name),
                "is " + std::to_string(v) + ", outside " + std::to_string(min) + ".." +
                    std::to_string(max) + "; " + std::string(hint));
            return std::nullopt;
        }
        return v;
    }

    // A [tls] file: resolved against the policy's folder, then checked on disk.
    std::optional<std::string> path_value(const toml::table& t, std::string_view name,
                                          bool private_key) {
        const auto s = string_value(t, "tls", kTlsKeys, name);
        if (!s) return std::nullopt;
        const toml::node* n = t.get(name);
        if (s->empty()) {
            add(n->source(), dotted("tls", name), "is empty; name a PEM file or remove the key");
            return std::nullopt;
        }
        // Joined, never normalised or canonicalised: "conf/../x" must mean what the kernel makes
        // of it when conf is a symlink, and a certificate renewed behind a symlink (certbot's
        // live/ folder) must be picked up when credentials are reloaded.
        std::filesystem::path p(*s);
        if (p.is_relative()) p = base_ / p;
        if (auto message = detail::check_readable_file(p)) {
            add(n->source(), dotted("tls", name), std::move(*message));
            return std::nullopt;
        }
        if (private_key) {
            if (auto message = detail::check_private_key_mode(p)) {
                add(n->source(), dotted("tls", name), std::move(*message));
                return std::nullopt;
            }
        }
        return p.string();
    }

    // ---- tables -------------------------------------------------------------------------------

    void parse_tls(const toml::table& t, Policy& out) {
        check_unknown_keys(t, "tls", "tls", kTlsKeys);
        if (auto v = path_value(t, "certificate", false)) out.certificate = *v;
        if (auto v = path_value(t, "private_key", true)) out.private_key = *v;
        if (auto v = path_value(t, "trust_anchors", false)) out.trust_anchors = *v;
        // A certificate is useless without its key and the reverse; an application overriding one
        // per socket overrides both (ssx_security_settings), so a half pair is always a mistake.
        const toml::node* cert = t.get("certificate");
        const toml::node* key = t.get("private_key");
        if ((cert == nullptr) != (key == nullptr)) {
            const toml::node* present = cert != nullptr ? cert : key;
            add(present->source(), cert != nullptr ? "tls.certificate" : "tls.private_key",
                cert != nullptr ? "is set but tls.private_key is not; set both (the key of this "
                                  "certificate) or neither"
                                : "is set but tls.certificate is not; set both (the certificate of "
                                  "this key) or neither");
        }
        if (auto v = string_value(t, "tls", kTlsKeys, "min_version")) {
            if (*v == "1.3") {
                out.min_version = 0x0304;
            } else if (*v == "1.2") {
                out.min_version = 0x0303;
            } else {
                add(t.get("min_version")->source(), "tls.min_version",
                    "is \"" + printable(*v) +
                        "\"; use \"1.3\" (the default) or \"1.2\" (TLS 1.0 and "
                        "1.1 are not supported)");
            }
        }
        if (auto v = string_value(t, "tls", kTlsKeys, "cipher_suites")) {
            std::string normalized;
            if (auto message = detail::check_tls13_ciphersuites(*v, normalized)) {
                add(t.get("cipher_suites")->source(), "tls.cipher_suites",
                    printable(*message, 1000));
            } else {
                out.cipher_suites = std::move(normalized);
            }
        }
        if (auto v = int_value(t, "tls", kTlsKeys, "handshake_timeout_ms", 1, kMaxTimeoutMs,
                               "give the handshake deadline in milliseconds (default 10000)")) {
            out.handshake_timeout_ms = static_cast<std::uint32_t>(*v);
        }
        if (auto v = bool_value(t, "tls", kTlsKeys, "allow_insecure")) out.allow_insecure = *v;
        if (auto v = bool_value(t, "tls", kTlsKeys, "session_resumption"))
            out.session_resumption = *v;
    }

    void parse_peer_name(const toml::table& t, Policy& out) {
        check_unknown_keys(t, "peer_name", "peer_name", kPeerNameKeys);
        if (auto v = string_value(t, "peer_name", kPeerNameKeys, "verification")) {
            if (*v == "required") {
                out.peer_name_verification = PeerNameVerification::required;
            } else if (*v == "optional") {
                out.peer_name_verification = PeerNameVerification::optional;
            } else {
                add(t.get("verification")->source(), "peer_name.verification",
                    "is \"" + printable(*v) + "\"; use \"required\" (the default) or \"optional\"");
            }
        }
    }

    void parse_impersonation(const toml::table& t, Policy& out) {
        check_unknown_keys(t, "impersonation", "impersonation", kImpersonationKeys);
        if (auto v = bool_value(t, "impersonation", kImpersonationKeys, "os_credentials")) {
            out.os_credentials = *v;
        }
        if (auto v = bool_value(t, "impersonation", kImpersonationKeys, "allow_root"))
            out.allow_root = *v;
    }

    void parse_identity_map(const toml::node& node, Policy& out) {
        const toml::array* entries = node.as_array();
        if (entries == nullptr) {
            add(node.source(), "identity_map",
                "must be an array of tables, not " + std::string(type_name(node.type())) +
                    "; write [[identity_map]] (double brackets) above each entry");
            return;
        }
        std::vector<SeenPeer> seen;
        for (std::size_t i = 0; i < entries->size(); ++i) {
            const toml::node& element = *entries->get(i);
            const std::string prefix = "identity_map[" + std::to_string(i) + "]";
            const toml::table* t = element.as_table();
            if (t == nullptr) {
                add(element.source(), prefix,
                    "must be a table, not " + std::string(type_name(element.type())) +
                        "; write each entry as [[identity_map]] with peer = \"...\" and "
                        "user = \"...\" or uid = N");
                continue;
            }
            if (auto entry = parse_identity_entry(*t, i, prefix, seen)) {
                out.identity_map.push_back(std::move(*entry));
            }
        }
    }

    // A peer pattern already mapped by an earlier entry (which then always wins).
    struct SeenPeer {
        tls::TargetKind kind;
        std::string value;  // normalised by parse_target_name, so equivalent spellings collide
        std::size_t index;
        int line;
    };

    // One [[identity_map]] entry; nullopt (with problems reported) when anything in it is wrong.
    std::optional<IdentityMapEntry> parse_identity_entry(const toml::table& t, std::size_t index,
                                                         const std::string& prefix,
                                                         std::vector<SeenPeer>& seen) {
        check_unknown_keys(t, "identity_map", prefix, kIdentityMapKeys);
        IdentityMapEntry entry;
        entry.line = static_cast<int>(std::min<std::uint64_t>(t.source().begin.line, INT_MAX));
        bool ok = true;

        if (auto peer = peer_value(t, index, prefix, entry.line, seen)) {
            entry.peer = std::move(*peer);
        } else {
            ok = false;
        }

        const toml::node* user_node = t.get("user");
        const toml::node* uid_node = t.get("uid");
        if (user_node == nullptr && uid_node == nullptr) {
            add(t.source(), prefix,
                "maps the peer to no account; add user = \"name\" or uid = N (with optional "
                "gid = N)");
            ok = false;
        } else if (user_node != nullptr && uid_node != nullptr) {
            add(uid_node->source(), prefix + ".uid",
                "is set together with user; keep one of them (gid may accompany either)");
            ok = false;
        }
        if (user_node != nullptr) {
            if (auto user = string_value(t, prefix, kIdentityMapKeys, "user")) {
                if (auto message = check_user_name(*user)) {
                    add(user_node->source(), prefix + ".user", std::move(*message));
                    ok = false;
                } else {
                    entry.user = *user;
                }
            } else {
                ok = false;
            }
        }
        if (uid_node != nullptr) {
            if (auto v = int_value(t, prefix, kIdentityMapKeys, "uid", 0, kMaxId,
                                   "use the account's numeric user id (see `id -u NAME`)")) {
                entry.uid = static_cast<std::uint32_t>(*v);
            } else {
                ok = false;
            }
        }
        if (t.get("gid") != nullptr) {
            if (auto v = int_value(t, prefix, kIdentityMapKeys, "gid", 0, kMaxId,
                                   "use the group's numeric id (see `id -g NAME`)")) {
                entry.gid = static_cast<std::uint32_t>(*v);
            } else {
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
        return entry;
    }

    // The entry's `peer`: present, a valid target-name form (same parser as
    // ssx_set_peer_target_name, so both accept exactly the same patterns), and not a repeat.
    std::optional<std::string> peer_value(const toml::table& t, std::size_t index,
                                          const std::string& prefix, int line,
                                          std::vector<SeenPeer>& seen) {
        const toml::node* node = t.get("peer");
        if (node == nullptr) {
            add(t.source(), prefix + ".peer",
                "is missing; every entry names the peers it maps, e.g. "
                "peer = \"spiffe://corp/app\"");
            return std::nullopt;
        }
        auto peer = string_value(t, prefix, kIdentityMapKeys, "peer");
        if (!peer) return std::nullopt;
        if (peer->empty()) {
            add(node->source(), prefix + ".peer",
                "is empty; name the peers this entry maps, e.g. peer = \"spiffe://corp/app\"");
            return std::nullopt;
        }
        tls::TargetName parsed;
        try {
            parsed = tls::parse_target_name(*peer);
        } catch (const ssx::Error& e) {
            add(node->source(), prefix + ".peer", printable(e.message(), 1000));
            return std::nullopt;
        }
        auto dup = std::find_if(seen.begin(), seen.end(), [&parsed](const SeenPeer& s) {
            return s.kind == parsed.kind && s.value == parsed.value;
        });
        if (dup != seen.end()) {
            add(node->source(), prefix + ".peer",
                "repeats the peer of identity_map[" + std::to_string(dup->index) + "] (line " +
                    std::to_string(dup->line) +
                    "), which always wins; remove one of the two entries");
            return std::nullopt;
        }
        seen.push_back({parsed.kind, parsed.value, index, line});
        return peer;
    }

    // Refuses names no account can have: the passwd format cannot hold ':' or control characters,
    // and tools that build paths from user names reject '/'. An all-digit name is almost surely
    // meant as a uid.
    static std::optional<std::string> check_user_name(const std::string& user) {
        if (user.empty()) return R"(is empty; name a local account, e.g. user = "alice")";
        if (user.size() > 255) return "is longer than 255 bytes; name a local account";
        for (unsigned char c : user) {
            if (c < 0x20 || c == 0x7f || c == ':' || c == '/') {
                return "\"" + printable(user) +
                       "\" contains a character no account name can hold "
                       "(control, ':' or '/'); name a local account";
            }
        }
        if (std::all_of(user.begin(), user.end(),
                        [](unsigned char c) { return c >= '0' && c <= '9'; })) {
            return "\"" + user + "\" is a number; write uid = " + user + " for a numeric account";
        }
        return std::nullopt;
    }

    std::string file_;
    std::filesystem::path base_;
    std::vector<Problem>& problems_;
};

}  // namespace

LoadResult parse(std::string_view text, const std::filesystem::path& file) {
    LoadResult result;
    if (text.size() > detail::kMaxPolicyBytes) {
        result.problems.push_back(
            Problem{file.string(), 0, 0, "",
                    "is " + std::to_string(text.size()) +
                        " bytes, larger than the 1 MiB limit for a policy file"});
        return result;
    }
    Parser parser(file, result.problems);
    if (auto issue = detail::prescreen_toml(text)) {
        toml::source_region where{};
        where.begin = {
            static_cast<toml::source_index>(std::min<std::size_t>(issue->line, INT_MAX)),
            static_cast<toml::source_index>(std::min<std::size_t>(issue->column, INT_MAX))};
        parser.add(where, "", std::move(issue->message));
        return result;
    }
    toml::table root;
    try {
        root = toml::parse(text, file.string());
    } catch (const toml::parse_error& e) {
        parser.add(e.source(), "",
                   printable(e.description(), 500) + "; fix the TOML syntax (https://toml.io)");
        return result;
    }
    Policy policy;
    policy.source = file;
    parser.run(root, policy);
    if (!result.problems.empty()) {
        // File order reads best; problems without a line (none today) go last.
        std::stable_sort(result.problems.begin(), result.problems.end(),
                         [](const Problem& a, const Problem& b) {
                             auto rank = [](const Problem& p) {
                                 return std::pair(p.line == 0 ? INT_MAX : p.line, p.column);
                             };
                             return rank(a) < rank(b);
                         });
        return result;
    }
    result.policy = std::move(policy);
    return result;
}

}  // namespace ssx::policy
