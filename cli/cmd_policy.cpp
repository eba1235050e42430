// `ssx policy check [FILE]`: validates a policy with the library's own parser
// (core/policy/policy.hpp), prints every problem as "file:line:column: key: message", or, for a
// valid file, the effective settings with every default filled in (as TOML, so it can be pasted).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json.hpp"
#include "policy/policy.hpp"

namespace ssx::cli {

namespace {

struct CheckOptions {
    std::string file;
};

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

std::string version_text(int v) { return v == 0x0303 ? "1.2" : "1.3"; }

void print_effective(std::ostream& out, const ssx::policy::Policy& p) {
    auto unset = [](const std::string& v, const char* what) {
        return v.empty() ? std::string("   # not set: ") + what : std::string();
    };
    out << "[tls]\n"
        << "certificate = " << toml_quote(p.certificate) << unset(p.certificate, "give --cert per command") << "\n"
        << "private_key = " << toml_quote(p.private_key) << unset(p.private_key, "give --key per command") << "\n"
        << "trust_anchors = " << toml_quote(p.trust_anchors) << unset(p.trust_anchors, "give --trust per command")
        << "\n"
        << "min_version = " << toml_quote(version_text(p.min_version)) << "\n"
        << "cipher_suites = " << toml_quote(p.cipher_suites) << (p.cipher_suites.empty() ? "   # ssx's default order" : "")
        << "\n"
        << "handshake_timeout_ms = " << p.handshake_timeout_ms << "\n"
        << "allow_insecure = " << bool_text(p.allow_insecure) << "\n"
        << "session_resumption = " << bool_text(p.session_resumption) << "\n\n"
        << "[peer_name]\n"
        << "verification = "
        << toml_quote(p.peer_name_verification == ssx::policy::PeerNameVerification::required ? "required" : "optional")
        << "\n\n"
        << "[impersonation]\n"
        << "os_credentials = " << bool_text(p.os_credentials) << "\n"
        << "allow_root = " << bool_text(p.allow_root) << "\n";
    for (const auto& m : p.identity_map) {
        out << "\n[[identity_map]]   # line " << m.line << "\n"
            << "peer = " << toml_quote(m.peer) << "\n";
        if (m.user) out << "user = " << toml_quote(*m.user) << "\n";
        if (m.uid) out << "uid = " << *m.uid << "\n";
        if (m.gid) out << "gid = " << *m.gid << "\n";
    }
}

json::Value effective_json(const ssx::policy::Policy& p) {
    json::Value map = json::Array{};
    for (const auto& m : p.identity_map) {
        map.push(json::Value()
                     .set("peer", m.peer)
                     .set("user", m.user ? json::Value(*m.user) : json::Value())
                     .set("uid", m.uid ? json::Value(*m.uid) : json::Value())
                     .set("gid", m.gid ? json::Value(*m.gid) : json::Value())
                     .set("line", m.line));
    }
    return json::Value()
        .set("tls", json::Value()
                        .set("certificate", p.certificate)
                        .set("private_key", p.private_key)
                        .set("trust_anchors", p.trust_anchors)
                        .set("min_version", version_text(p.min_version))
                        .set("cipher_suites", p.cipher_suites)
                        .set("handshake_timeout_ms", p.handshake_timeout_ms)
                        .set("allow_insecure", p.allow_insecure)
                        .set("session_resumption", p.session_resumption))
        .set("peer_name", json::Value().set(
                              "verification",
                              p.peer_name_verification == ssx::policy::PeerNameVerification::required ? "required"
                                                                                                      : "optional"))
        .set("impersonation",
             json::Value().set("os_credentials", p.os_credentials).set("allow_root", p.allow_root))
        .set("identity_map", std::move(map));
}

void run_check(const CheckOptions& o, const Globals& g) {
    std::string file = o.file;
    if (file.empty()) {
        const char* env = std::getenv("SSX_POLICY");
        if (!env || !*env) {
            throw Failure(Exit::usage, "no policy to check: give FILE or set SSX_POLICY");
        }
        file = env;
    }
    ssx::policy::LoadResult result = ssx::policy::load_file(file);
    const size_t n = result.problems.size();

    if (g.json) {
        json::Value problems = json::Array{};
        for (const auto& p : result.problems) {
            problems.push(json::Value()
                              .set("file", p.file)
                              .set("line", p.line)
                              .set("column", p.column)
                              .set("key", p.key)
                              .set("message", p.message)
                              .set("text", p.to_string()));
        }
        std::cout << json::Value()
                         .set("ok", n == 0 && result.policy.has_value())
                         .set("file", file)
                         .set("problems", std::move(problems))
                         .set("effective", result.policy ? effective_json(*result.policy) : json::Value())
                         .dump()
                  << std::endl;
    } else if (n == 0 && result.policy) {
        std::cout << "# " << file << ": valid. Effective settings, defaults included:\n";
        print_effective(std::cout, *result.policy);
    } else {
        for (const auto& p : result.problems) std::cout << p.to_string() << "\n";
    }
    std::cout.flush();
    if (n > 0 || !result.policy) {
        throw Failure(Exit::config, std::to_string(n) + (n == 1 ? " problem" : " problems") + " in " + file +
                                        "; fix " + (n == 1 ? "it" : "them") + " and run 'ssx policy check' again",
                      "SSX_E_POLICY")
            .json_reported();
    }
}

}  // namespace

void add_policy_command(CLI::App& app, Globals& globals) {
    CLI::App* policy = app.add_subcommand("policy", "Administrator policy files (docs/policy.md)");
    policy->require_subcommand(1);
    auto o = std::make_shared<CheckOptions>();
    CLI::App* cmd = policy->add_subcommand(
        "check", "Validate a policy: print every problem (file:line:column: key: message), or the effective settings");
    cmd->add_option("FILE", o->file, "Policy file (default: $SSX_POLICY)");
    cmd->add_flag("--json", globals.json, "Print the result as JSON");
    cmd->callback([o, &globals] { run_check(*o, globals); });
}

}  // namespace ssx::cli
