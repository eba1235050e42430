// Guards placed in front of tomlplusplus 3.3 (Debian 12's version) for inputs it does not survive.
// All were found by fuzzing ssx::policy::parse (tests/fuzz/fuzz_policy.cpp). Each rule
// over-approximates, so it may refuse odd-but-valid TOML that no policy needs, but never lets a
// dangerous input through.
#include <algorithm>

#include "policy/policy_internal.hpp"

namespace ssx::policy::detail {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";  // tomlplusplus skips a UTF-8 BOM at the start

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// Rules 1 and 2 look at each line on its own, with no notion of strings or comments, so no lexing
// mistake can let a dangerous line through.
std::optional<PrescreenIssue> check_lines(std::string_view text) {
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
        //    tomlplusplus itself (TOML_MAX_NESTED_VALUES = 256). Dots in strings and comments
        //    count too.
        std::size_t dots = 0;
        for (std::size_t i = 0; i < l.size(); ++i) {
            if (l[i] == '.' && ++dots > kMaxDotsPerLine) {
                return PrescreenIssue{
                    line, i + 1,
                    "has more than " + std::to_string(kMaxDotsPerLine) +
                        " '.' characters on this line; policy keys nest only a "
                        "few levels, so shorten the line (split long dotted keys, "
                        "strings or comments)"};
            }
        }

        // 2. Table headers. tomlplusplus asserts that a header's '[' or '[[' is followed by a key
        //    or ']'; "[&", "[[[" or a lone "[" break that (upstream marzer/tomlplusplus#294, #301):
        //    an abort in builds with assertions, an optimiser assumption (undefined behaviour) in
        //    clang release builds. Debian's GCC 12 build happens to survive it, but that is luck,
        //    so ssx refuses such lines itself. A header starts a line, so a line beginning with '['
        //    must continue as a header would.
        std::size_t i = line == 1 && l.substr(0, kBom.size()) == kBom ? kBom.size() : 0;
        while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
        if (i < l.size() && l[i] == '[') {
            const std::size_t bracket = i;
            ++i;
            if (i < l.size() && l[i] == '[') ++i;  // "[[": an array of tables ("[ [" is an error)
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
            const bool ok = i < l.size() &&
                            (is_bare_key_char(l[i]) || l[i] == '"' || l[i] == '\'' || l[i] == ']');
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

// 3. Non-ASCII outside strings and comments. tomlplusplus's is_non_ascii_horizontal_whitespace()
//    reaches TOML_UNREACHABLE (undefined behaviour in release builds) for whole blocks of code
//    points (U+00A1..U+0499: é, ß, Greek, Cyrillic; and two more blocks), and the parser asks it
//    about every character where whitespace may follow: between tokens, after a line-ending
//    backslash in a multi-line basic string, and while it scans a bare value (number, date) up to
//    the next space, ',', ']', '}' or '#' — a scan that runs straight through quotes, so in
//    `x = 1"é"` the é is scanned although it looks quoted.
//    This lexer therefore allows non-ASCII only in comments, in literal strings, and in
//    single-line basic strings whose quote opens a token (start of a value, a key, or after a
//    space, '=', '[', '{' or ','), never in a quote in the middle of a bare value. It is stricter
//    than TOML on purpose: compact forms such as {a="é"} are refused; `a = "é"` is fine.
std::optional<PrescreenIssue> check_non_ascii(std::string_view text) {
    enum class State { normal, comment, basic, literal, ml_basic, ml_literal };
    State state = State::normal;
    std::size_t line = 1;
    std::size_t line_start = 0;
    int depth = 0;          // open '[' / '{' of values (arrays may span lines)
    bool key_part = true;   // before the first '=' of a top-level line: keys, never scanned
    std::size_t token = 0;  // length of the bare token being read in a value (0: none)
    std::size_t i = text.substr(0, kBom.size()) == kBom ? kBom.size() : 0;
    auto issue = [&](std::string message) {
        return PrescreenIssue{line, i - line_start + 1, std::move(message)};
    };
    auto run_of = [&text](std::size_t at, char q) {  // length of the run of q starting at `at`
        std::size_t n = 0;
        while (at + n < text.size() && text[at + n] == q) ++n;
        return n;
    };
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            line_start = i + 1;
            if (state == State::comment || state == State::basic || state == State::literal) {
                state = State::normal;  // single-line forms end here (a string: with an error)
            }
            if (state == State::normal) {
                key_part = depth == 0;
                token = 0;
            }
            ++i;
            continue;
        }
        const bool non_ascii = static_cast<unsigned char>(c) >= 0x80;
        switch (state) {
            case State::normal:
                if (non_ascii) {
                    return issue(
                        "non-ASCII character outside a string or comment; quote the text "
                        "(key = \"...\") or fix the key");
                }
                if (c == '#') {
                    state = State::comment;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == ',') {
                    token = 0;
                } else if (c == ']' || c == '}') {
                    token = 0;
                    if (!key_part && depth > 0) --depth;
                } else if (key_part) {
                    if (c == '=') {
                        key_part = false;
                        token = 0;
                    } else if (c == '"' || c == '\'') {
                        const bool multi = run_of(i, c) >= 3;
                        state = c == '"' ? (multi ? State::ml_basic : State::basic)
                                         : (multi ? State::ml_literal : State::literal);
                        i += multi ? 3 : 1;
                        continue;
                    }
                } else if (token == 0 && (c == '[' || c == '{')) {
                    ++depth;
                } else if (token == 0 && c == '=') {
                    // a key inside an inline table ended
                } else if (token == 0 && (c == '"' || c == '\'')) {
                    const bool multi = run_of(i, c) >= 3;
                    state = c == '"' ? (multi ? State::ml_basic : State::basic)
                                     : (multi ? State::ml_literal : State::literal);
                    i += multi ? 3 : 1;
                    continue;
                } else {
                    ++token;  // part of a bare token: quotes here are scanned, not strings
                }
                break;
            case State::comment: break;
            case State::basic:
                if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
                    i += 2;  // an escape: the next byte never ends the string
                    continue;
                }
                if (c == '"') state = State::normal;
                break;
            case State::literal:
                if (c == '\'') state = State::normal;
                break;
            case State::ml_basic:
                if (non_ascii) {
                    return issue(
                        "non-ASCII character in a multi-line \"\"\" string; use a single-line "
                        "string or a ''' literal string");
                }
                if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
                    i += 2;
                    continue;
                }
                [[fallthrough]];
            case State::ml_literal:
                if (c == (state == State::ml_basic ? '"' : '\'')) {
                    // Up to two quotes may sit just inside the closing three (TOML 1.0).
                    const std::size_t n = run_of(i, c);
                    if (n >= 3) state = State::normal;
                    i += n >= 3 ? std::min<std::size_t>(n, 5) : n;
                    continue;
                }
                break;
        }
        ++i;
    }
    return std::nullopt;
}

}  // namespace

std::optional<PrescreenIssue> prescreen_toml(std::string_view text) {
    if (auto issue = check_lines(text)) return issue;
    return check_non_ascii(text);
}

}  // namespace ssx::policy::detail
