// The policy in force (SSX_POLICY), cached per file version. Every caller gets an immutable
// snapshot; a changed file publishes a new one, and connections keep the snapshot they started
// with.
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>
#include <system_error>

#include "common/error.hpp"
#include "policy/policy.hpp"
#include "policy/policy_internal.hpp"
#include "ssx/ssx.h"

namespace ssx::policy {

namespace {

std::int64_t to_ns(const timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The last valid file parsed, reused until the path or the file changes, so a hot path calling
// current() costs one stat(). Failures are not cached: they may come from the files the policy
// names (a missing certificate), which can be fixed without touching the policy file itself.
struct Cache {
    std::string path;  // "" = empty cache
    detail::FileIdentity identity;
    std::shared_ptr<const Policy> policy;
};

std::mutex cache_mutex;
Cache cache;

std::shared_ptr<const Policy> defaults() {
    static const std::shared_ptr<const Policy> built_in = std::make_shared<const Policy>();
    return built_in;
}

std::string join(const std::vector<Problem>& problems) {
    std::string out;
    for (const Problem& p : problems) {
        if (!out.empty()) out += '\n';
        out += p.to_string();
    }
    return out;
}

}  // namespace

std::shared_ptr<const Policy> current() {
    // secure_getenv: in a setuid/setgid/file-capability program the caller's environment is not
    // trusted, or any user could hand it a policy mapping their certificate to root. Such a
    // program gets the built-in defaults (docs/policy.md).
    const char* env = ::secure_getenv("SSX_POLICY");
    if (env == nullptr || *env == '\0') return defaults();

    // Relative to the current directory, made absolute once so messages and the cache key name
    // the file unambiguously (not normalised: ".." after a symlink is the kernel's business).
    std::error_code ec;
    std::filesystem::path file = std::filesystem::absolute(env, ec);
    if (ec) file = env;
    const std::string path = file.string();

    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        const detail::FileIdentity now{st.st_dev, st.st_ino, st.st_size, to_ns(st.st_mtim),
                                       to_ns(st.st_ctim)};
        std::lock_guard lock(cache_mutex);
        if (cache.policy && cache.path == path && cache.identity == now) return cache.policy;
    }
    // Not cached (or stat failed: read_policy_text reports why). Read and parse without the lock;
    // two threads racing here both parse the same file and store equivalent snapshots.
    std::string text;
    detail::FileIdentity identity;
    if (auto problem = detail::read_policy_text(file, text, &identity)) {
        // Not cached: a missing or unreadable file may be fixed at any moment.
        fail(SSX_E_POLICY, problem->to_string());
    }
    LoadResult result = parse(text, file);
    if (!result.policy) fail(SSX_E_POLICY, join(result.problems));
    auto policy = std::make_shared<const Policy>(std::move(*result.policy));
    {
        std::lock_guard lock(cache_mutex);
        cache = Cache{path, identity, policy};
    }
    return policy;
}

}  // namespace ssx::policy
