// libFuzzer target: arbitrary bytes as policy text. ssx::policy::parse must never crash, hang,
// leak or throw for bad input, and must return either a policy or at least one problem.
// Built by tests/fuzz/CMakeLists.txt (SSX_BUILD_FUZZERS=ON, clang) and run by scripts/fuzz.sh; the
// normal build replays the corpus as a regression test.
// tomlplusplus is compiled into the fuzz build (header-only mode) so the sanitizers see its code,
// with TOML_ASSERT defined away to match Debian's library (built with NDEBUG by GCC 12, where its
// internal assertions compile to nothing). Real defects found so far are refused by
// core/policy/policy_prescreen.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // Relative paths in the input resolve under a folder that does not exist, so the file checks
    // run (and fail) without touching real files.
    ssx::policy::LoadResult r = ssx::policy::parse(text, "/nonexistent-ssx-fuzz/policy.toml");
    if (r.policy.has_value() == !r.problems.empty()) std::abort();  // exactly one of the two
    for (const auto& p : r.problems) {
        if (p.message.empty()) std::abort();
        (void)p.to_string();
    }
    return 0;
}
