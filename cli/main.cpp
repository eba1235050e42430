// `ssx`: try ssx, diagnose a peer, run a secured service without writing code (docs/cli.md).
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "common/error.hpp"
#include "exit_codes.hpp"
#include "json.hpp"
#include "ssx/ssx.h"

namespace {

using ssx::cli::Exit;

// One line on stderr; with --json also an object on stdout, so a script reading stdout always gets
// one JSON document: {"ok": false, "exit_code": 1, "error": "SSX_E_NAME_MISMATCH", "message": ...}.
int report(const ssx::cli::Globals& globals, Exit exit, const std::string& message, const std::string& name,
           bool json_done = false) {
    namespace json = ssx::cli::json;
    if (globals.json && !json_done) {
        std::cout << json::Value()
                         .set("ok", false)
                         .set("exit_code", static_cast<int>(exit))
                         .set("error", name.empty() ? json::Value() : json::Value(name))
                         .set("message", message)
                         .dump()
                  << std::endl;
    }
    std::cerr << "ssx: " << message << std::endl;
    return static_cast<int>(exit);
}

}  // namespace

int main(int argc, char** argv) {
    // Writing to a closed pipe (`ssx connect ... | head -1`, a child that exited) must be an error
    // we report, not a silent death. ssx_send never raises SIGPIPE itself.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"ssx - secure sockets for Linux: TLS 1.3 with mutual X.509 authentication, the Winsock\n"
                 "Secure Socket Extensions workflow. Start with 'ssx demo'. Exit codes: 0 ok, 1 security\n"
                 "failure, 2 usage, 3 configuration (policy, credentials), 4 network, 5 internal error."};
    app.name("ssx");
    app.set_version_flag("--version", std::string("ssx ") + ssx_version());
    app.require_subcommand(1);

    ssx::cli::Globals globals;
    ssx::cli::add_demo_command(app, globals);
    ssx::cli::add_pki_command(app, globals);
    ssx::cli::add_policy_command(app, globals);
    ssx::cli::add_serve_command(app, globals);
    ssx::cli::add_connect_command(app, globals);
    ssx::cli::add_query_command(app, globals);

    try {
        app.parse(argc, argv);
        return 0;
    } catch (const CLI::ParseError& e) {
        // --help and --version end parsing with code 0; everything else is a usage error.
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(Exit::usage);
    } catch (const ssx::cli::Failure& f) {
        return report(globals, f.exit(), f.what(), f.error_name(), f.is_json_reported());
    } catch (const ssx::Error& e) {
        return report(globals, ssx::cli::exit_for_ssx_code(e.code()), e.message(), ssx::error_name(e.code()));
    } catch (const std::exception& e) {
        return report(globals, Exit::internal, std::string("internal error: ") + e.what() +
                                                   " (this is a bug in ssx; please report it)", "");
    }
}
