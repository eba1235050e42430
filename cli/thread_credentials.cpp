#include "thread_credentials.hpp"

#include <linux/capability.h>

#include <fstream>
#include <sstream>
#include <string>

namespace ssx::cli {

namespace {

// The value after "Key:" in a /proc status file.
std::optional<std::string> status_field(const char* file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
    }
    return std::nullopt;
}

// "Uid:\treal\teffective\tsaved\tfilesystem": the 4th number.
std::optional<unsigned long> fourth(const std::optional<std::string>& field) {
    if (!field) return std::nullopt;
    std::istringstream in(*field);
    unsigned long v[4];
    if (!(in >> v[0] >> v[1] >> v[2] >> v[3])) return std::nullopt;
    return v[3];
}

}  // namespace

std::optional<FsIds> thread_fs_ids() {
    auto uid = fourth(status_field("/proc/thread-self/status", "Uid"));
    auto gid = fourth(status_field("/proc/thread-self/status", "Gid"));
    if (!uid || !gid) return std::nullopt;
    return FsIds{static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)};
}

bool can_switch_credentials() {
    auto cap = status_field("/proc/self/status", "CapEff");
    if (!cap) return false;
    unsigned long long bits = 0;
    try {
        bits = std::stoull(*cap, nullptr, 16);
    } catch (const std::exception&) {
        return false;  // unreadable: assume the switch is not possible
    }
    return (bits >> CAP_SETUID & 1) && (bits >> CAP_SETGID & 1);
}

}  // namespace ssx::cli
