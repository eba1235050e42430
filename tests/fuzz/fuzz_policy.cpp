// libFuzzer target: arbitrary bytes as policy text. ssx::policy::parse must never crash, hang,
// leak or throw for bad input, and must return either a policy or at least one problem.
// Build (until CMake wires SSX_BUILD_FUZZERS), from the repository root:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -DTOML_HEADER_ONLY=1 \
//     '-DTOML_ASSERT(expr)=static_assert(true)' \
//     -Icore -Icapi/include tests/fuzz/fuzz_policy.cpp core/policy/*.cpp core/common/error.cpp \
//     core/provider/tls/name_match.cpp -lssl -lcrypto -o fuzz_policy
//   ./fuzz_policy -max_len=4096 tests/fuzz/corpus/policy
// TOML_HEADER_ONLY=1 compiles tomlplusplus into the target so the fuzzer and the sanitizers see
// its code. The TOML_ASSERT definition matches Debian's library (built with NDEBUG by GCC 12,
// where tomlplusplus's internal assertions and assumptions compile to nothing). Without it the
// fuzzer also stops on those assertions; some still fire (e.g. "x = [}") and are harmless in
// Debian's build, while the real defects found so far are refused by policy_prescreen.cpp.
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
