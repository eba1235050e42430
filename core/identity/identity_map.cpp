// map_account: the policy's [[identity_map]] applied to a verified peer certificate. The first
// entry whose `peer` pattern the certificate proves wins (file order, as in sshd's Match blocks),
// using exactly the matching of target names, so one rule set governs both.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.hpp"
#include "identity/principal.hpp"
#include "provider/tls/name_match.hpp"
#include "ssx/ssx.h"

namespace ssx::identity {
namespace {

constexpr size_t kMaxPasswdBuffer = 1 << 20;  // getpwnam_r ERANGE retries stop here
constexpr int kGroupListAttempts = 8;         // getgrouplist may race with /etc/group edits

std::string where(const policy::IdentityMapEntry& e) {
    return "identity_map line " + std::to_string(e.line);
}

// getpwnam_r with a buffer that grows on ERANGE (bounded).
Account resolve_user(const policy::IdentityMapEntry& e, const std::string& user) {
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t size = hint > 0 ? static_cast<size_t>(hint) : 4096;
    std::vector<char> buf;
    passwd pw{};
    passwd* result = nullptr;
    int rc = 0;
    for (;;) {
        buf.resize(size);
        rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &result);
        if (rc != ERANGE || size >= kMaxPasswdBuffer) break;
        size *= 2;
    }
    // "Not found" is 0 with a NULL result; glibc may also report ENOENT/ESRCH/EBADF/EPERM for it.
    if (result == nullptr &&
        (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)) {
        fail(SSX_E_IMPERSONATION_DENIED,
             where(e) + ": user '" + user + "' does not exist on this host; create the account or "
                                            "fix the identity map");
    }
    if (result == nullptr) {
        fail(SSX_E_IMPERSONATION_DENIED, rc,
             where(e) + ": looking up user '" + user + "' failed: " + std::strerror(rc));
    }

    Account a;
    a.user = user;
    a.uid = pw.pw_uid;
    a.gid = e.gid ? *e.gid : pw.pw_gid;
    if (e.uid && *e.uid != a.uid) {
        fail(SSX_E_IMPERSONATION_DENIED,
             where(e) + ": uid " + std::to_string(*e.uid) + " does not belong to user '" + user +
                 "' (uid " + std::to_string(a.uid) + "); give one of them");
    }

    // getgrouplist reports the size it needs when the buffer is short; the group database can
    // change between calls, so retry a bounded number of times.
    int count = 32;
    for (int attempt = 0; attempt < kGroupListAttempts; ++attempt) {
        std::vector<gid_t> groups(static_cast<size_t>(count));
        int n = count;
        if (getgrouplist(user.c_str(), a.gid, groups.data(), &n) >= 0) {
            a.groups.assign(groups.begin(), groups.begin() + n);
            return a;
        }
        count = std::max(n, count * 2);
    }
    fail(SSX_E_IMPERSONATION_DENIED,
         where(e) + ": could not list the groups of user '" + user + "' (the group list kept "
                                                                     "growing)");
}

}  // namespace

std::optional<Account> map_account(X509* leaf, const std::vector<policy::IdentityMapEntry>& map) {
    if (leaf == nullptr) return std::nullopt;
    for (const auto& entry : map) {
        tls::TargetName pattern;
        try {
            pattern = tls::parse_target_name(entry.peer);
        } catch (const Error& err) {
            fail(SSX_E_POLICY, where(entry) + ": peer: " + err.message());
        }
        // Authorization, not server identity: a wildcard certificate never maps to an account.
        if (!tls::match_peer(pattern, leaf, /*certificate_wildcards=*/false).ok) continue;

        if (entry.user) return resolve_user(entry, *entry.user);
        if (entry.uid) {
            Account a;
            a.uid = *entry.uid;
            a.gid = entry.gid ? *entry.gid : *entry.uid;
            a.groups = {a.gid};
            return a;
        }
        fail(SSX_E_POLICY, where(entry) + ": the entry maps '" + entry.peer +
                               "' to nothing; give user = \"name\" or uid = N");
    }
    return std::nullopt;
}

}  // namespace ssx::identity
