// The exit codes of `ssx` (documented in docs/cli.md; scripts depend on them, never renumber) and
// the one exception type the subcommands throw to end with one of them.
#pragma once

#include <stdexcept>
#include <string>

namespace ssx::cli {

enum class Exit : int {
    ok = 0,
    security = 1,  // the peer failed authentication, the name did not match, access was denied
    usage = 2,     // bad command line (unknown option, malformed ADDRESS or value)
    config = 3,    // policy file, certificates or keys unusable; PKI folder problems
    network = 4,   // name resolution, TCP connect, timeouts, the peer closed or reset
    internal = 5,  // a bug in ssx; please report it with the message
};

// The exit code for an SSX_E_* code (grouped as ssx.h groups them).
Exit exit_for_ssx_code(int code);

// Ends a subcommand: main() prints "ssx: <message>" (one line, saying what to do) to stderr, or a
// JSON error object with --json, and exits with `exit`. `error_name` is the SSX_E_* name when the
// failure came from the library ("" otherwise).
class Failure : public std::runtime_error {
public:
    Failure(Exit exit, std::string message, std::string error_name = "")
        : std::runtime_error(std::move(message)), exit_(exit), error_name_(std::move(error_name)) {}
    Exit exit() const { return exit_; }
    const std::string& error_name() const { return error_name_; }
    // The command already printed its JSON result (which says what failed): main() adds no second
    // JSON document, only the line on stderr.
    Failure& json_reported() {
        json_reported_ = true;
        return *this;
    }
    bool is_json_reported() const { return json_reported_; }

private:
    Exit exit_;
    std::string error_name_;
    bool json_reported_ = false;
};

// A library message made one line: a multi-line message (a policy's problems) becomes its first
// line plus how many more there are.
std::string one_line_message(int code, std::string message);

// Throws a Failure for the calling thread's last ssx error: "<what>: <library message>".
[[noreturn]] void fail_with_last_error(const std::string& what);

}  // namespace ssx::cli
