// Guards placed in front of tomlplusplus 3.3 (Debian 12's version) for inputs it does not survive.
// Both were found by fuzzing ssx::policy::parse (tests/fuzz/fuzz_policy.cpp); each rule is a cheap
// line-wise over-approximation, so it can refuse odd-but-valid TOML that no policy needs, but never
// lets a dangerous input through.
#include "policy/policy_internal.hpp"

namespace ssx::policy::detail {

namespace {

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

}  // namespace

std::optional<PrescreenIssue> prescreen_toml(std::string_view text) {
    std::size_t line = 1;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view l = text.substr(start, end - start);

        // 1. Nesting depth. tomlplusplus builds and frees nested tables recursively, so
        //    "a.a.a....a = 1" with tens of thousands of dots overflows the stack. Each level of a
        //    key takes a '.' on the key's own line (keys, headers and inline tables cannot span
        //    lines), so bounding dots per line bounds the depth; inline nesting is bounded by
        //    tomlplusplus itself (TOML_MAX_NESTED_VALUES = 256). Dots in strings and comments count
        //    too, so the rule needs no second TOML lexer.
        std::size_t dots = 0;
        for (std::size_t i = 0; i < l.size(); ++i) {
            if (l[i] == '.' && ++dots > kMaxDotsPerLine) {
                return PrescreenIssue{line, i + 1,
                                      "has more than " + std::to_string(kMaxDotsPerLine) +
                                          " '.' characters on this line; policy keys nest only a "
                                          "few levels, so shorten the line (split long dotted keys, "
                                          "strings or comments)"};
            }
        }

        // 2. Table headers. tomlplusplus assumes (TOML_ASSUME: undefined behaviour in release
        //    builds) that a header's '[' or '[[' is followed by a key or ']'; "[&", "[[[" or a
        //    lone "[" break that (upstream marzer/tomlplusplus#294 and #301). A header starts a
        //    line, so a line beginning with '[' must continue as a header would.
        std::size_t i = 0;
        if (line == 1 && l.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // tomlplusplus skips a UTF-8 BOM
        while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
        if (i < l.size() && l[i] == '[') {
            const std::size_t bracket = i;
            ++i;
            if (i < l.size() && l[i] == '[') ++i;  // "[[": an array of tables ("[ [" is an error)
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
            const bool ok = i < l.size() && (is_bare_key_char(l[i]) || l[i] == '"' || l[i] == '\'' ||
                                             l[i] == ']');
            if (!ok) {
                return PrescreenIssue{line, bracket + 1,
                                      "a line starting with '[' must be a table header such as "
                                      "[tls] or [[identity_map]] (a name made of letters, digits, "
                                      "'_' and '-', or a quoted name)"};
            }
        }
        if (end == text.size()) break;
        start = end + 1;
        ++line;
    }
    return std::nullopt;
}

}  // namespace ssx::policy::detail
