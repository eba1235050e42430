// `ssx serve --exec CMD`: one child process per connection, its stdin and stdout on pipes that the
// server pumps to and from the secured connection (the data path is TLS inside this process, so
// the child cannot be handed the socket itself). With an account, the child runs as that account.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ssx::cli {

struct ChildAccount {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::string user;  // "" when mapped by number only
};

struct ChildSpec {
    std::string command;                 // run as /bin/sh -c COMMAND
    std::vector<std::string> extra_env;  // "NAME=value", added to (and replacing in) the environment
    std::optional<ChildAccount> account; // switch real/effective/saved ids and groups before exec
};

struct Child {
    pid_t pid = -1;
    int stdin_fd = -1;   // write end: what the child reads
    int stdout_fd = -1;  // read end: what the child writes
};

// Starts the child. Its stderr is the server's. Every other descriptor is closed in the child.
// The account switch is setgroups, setresgid, setresuid in that order, each checked; if one fails
// the child prints why and exits with 126 before running anything. Throws Failure when fork or
// pipe fail.
Child spawn_child(const ChildSpec& spec);

// Waits for the child; returns "exit status N" or "killed by signal N".
std::string wait_child(pid_t pid);

}  // namespace ssx::cli
