#include "security_options.hpp"

#include <cstdlib>

#include "exit_codes.hpp"

namespace ssx::cli {

void SecurityOptions::add_to(CLI::App& command) {
    command.add_option("--policy", policy, "Policy file to use instead of $SSX_POLICY")
        ->type_name("FILE");
    command.add_option("--cert", cert, "Certificate (PEM, leaf first; may hold the chain); overrides the policy")
        ->type_name("FILE");
    command.add_option("--key", key, "Private key (PEM) of --cert")->type_name("FILE");
    command.add_option("--trust", trust, "Trust anchors (PEM bundle) that verify the peer; overrides the policy")
        ->type_name("FILE");
    command.add_option("--alpn", alpn, "ALPN protocols, comma-separated (e.g. h2,http/1.1)")->type_name("LIST");
    command.add_option("--timeout", timeout_ms, "Handshake deadline in milliseconds (default: the policy's, 10000)")
        ->type_name("MS")
        ->check(CLI::Range(1u, 600000u));
}

void SecurityOptions::apply() const {
    if (cert.empty() != key.empty()) {
        throw Failure(Exit::usage, "--cert and --key go together; give both (or neither, to use the policy)");
    }
    if (!policy.empty()) ::setenv("SSX_POLICY", policy.c_str(), 1);
}

ssx_security_settings SecurityOptions::settings() const {
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    s.handshake_timeout_ms = timeout_ms;
    s.certificate_file = cert.empty() ? nullptr : cert.c_str();
    s.private_key_file = key.empty() ? nullptr : key.c_str();
    s.trust_file = trust.empty() ? nullptr : trust.c_str();
    s.alpn = alpn.empty() ? nullptr : alpn.c_str();
    return s;
}

std::string SecurityOptions::credentials_hint() {
    const char* env = std::getenv("SSX_POLICY");
    if (env && *env) return "";
    return " (with ssx: --policy FILE, e.g. one written by 'ssx pki issue', or --cert, --key and --trust)";
}

}  // namespace ssx::cli
