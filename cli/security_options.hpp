// Where a command's credentials come from: the policy named by SSX_POLICY (or --policy), optionally
// overridden per socket by --cert/--key/--trust (ssx_security_settings). Shared by serve, connect,
// query.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "ssx/ssx.h"

namespace ssx::cli {

struct SecurityOptions {
    std::string policy;  // --policy FILE: used instead of $SSX_POLICY for this run
    std::string cert, key, trust;
    std::string alpn;
    unsigned timeout_ms = 0;  // 0 = the policy's handshake deadline

    // Adds --policy, --cert, --key, --trust, --alpn, --timeout to a subcommand.
    void add_to(CLI::App& command);
    // Checks the combination (--cert and --key go together) and exports --policy as SSX_POLICY.
    // Throws Failure(Exit::usage).
    void apply() const;
    // Settings for ssx_set_socket_security; the pointers borrow this object's strings.
    ssx_security_settings settings() const;
    // A hint appended to SSX_E_NO_CREDENTIALS failures: where credentials could come from.
    static std::string credentials_hint();
};

}  // namespace ssx::cli
