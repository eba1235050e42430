// The subcommands of `ssx`, one file each (cmd_*.cpp). Each adds itself to the application; its
// callback runs the command and throws Failure to end with a non-zero exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace ssx::cli {

// State shared by main() and the subcommands.
struct Globals {
    bool json = false;  // --json: machine-readable output (and errors as JSON on stdout)
};

void add_demo_command(CLI::App& app, Globals& globals);
void add_pki_command(CLI::App& app, Globals& globals);
void add_policy_command(CLI::App& app, Globals& globals);
void add_serve_command(CLI::App& app, Globals& globals);
void add_connect_command(CLI::App& app, Globals& globals);
void add_query_command(CLI::App& app, Globals& globals);

}  // namespace ssx::cli
