#include "exit_codes.hpp"

#include "ssx/ssx.h"

namespace ssx::cli {

Exit exit_for_ssx_code(int code) {
    switch (code) {
    case SSX_OK: return Exit::ok;
    // Transport problems, not verdicts about the peer's identity.
    case SSX_E_CONNECT:
    case SSX_E_TIMEOUT:
    case SSX_E_PEER_CLOSED:
    case SSX_E_IO:
    case SSX_E_SHUT_DOWN:
    case SSX_E_WANT_READ:
    case SSX_E_WANT_WRITE:
        return Exit::network;
    case SSX_E_ACCESS_DENIED:
    case SSX_E_NOT_SECURED:
    case SSX_E_IMPERSONATION_DENIED:
        return Exit::security;
    case SSX_E_OS_CREDENTIALS:  // the process lacks CAP_SETUID/CAP_SETGID: a deployment problem
        return Exit::config;
    default: break;
    }
    if (code >= 1 && code <= 19) return Exit::usage;
    if (code >= 20 && code <= 39) return Exit::config;
    if (code >= 40 && code <= 69) return Exit::security;
    if (code >= 70 && code <= 89) return Exit::security;  // SSX_E_PROTOCOL: malformed TLS data
    return Exit::internal;
}

std::string one_line_message(int code, std::string message) {
    if (message.empty()) return "failed without a message (this is a bug in ssx; please report it)";
    // A bad policy file is reported with one problem per line; errors here are one line, and
    // `ssx policy check` lists them all.
    size_t newline = message.find('\n');
    if (newline == std::string::npos) return message;
    size_t more = 0;
    for (size_t i = newline; i != std::string::npos; i = message.find('\n', i + 1)) {
        if (i + 1 < message.size()) ++more;
    }
    message.resize(newline);
    message += " (and " + std::to_string(more) + " more " + (more == 1 ? "problem" : "problems");
    message += code == SSX_E_POLICY ? ": run 'ssx policy check' to see all)" : ")";
    return message;
}

void fail_with_last_error(const std::string& what) {
    int code = ssx_last_error();
    throw Failure(exit_for_ssx_code(code), what + ": " + one_line_message(code, ssx_last_error_message()),
                  ssx_error_name(code));
}

}  // namespace ssx::cli
