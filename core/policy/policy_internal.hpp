// Helpers shared by the policy sources (parse, load, current). Internal to core/policy; the tests
// use them directly because they hold the rules worth testing on their own (suggestions, limits).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policy/policy.hpp"

namespace ssx::policy::detail {

// A policy is a few hundred bytes of text; anything larger is a mistake (SSX_POLICY naming the
// wrong file) or hostile input, and is refused before parsing so parsing time and memory stay
// bounded.
inline constexpr std::size_t kMaxPolicyBytes = 1024 * 1024;

// Most '.' characters one line may hold (see prescreen_toml).
inline constexpr std::size_t kMaxDotsPerLine = 64;

// An input tomlplusplus must not see: where (1-based) and what to do about it.
struct PrescreenIssue {
    std::size_t line = 0;
    std::size_t column = 0;
    std::string message;
};

// Refuses, before tomlplusplus parses it, text that would overflow its stack (too deeply nested
// keys), break its parser's internal assumptions (malformed table headers) or reach its undefined
// behaviour on some non-ASCII characters. Rationale in policy_prescreen.cpp.
std::optional<PrescreenIssue> prescreen_toml(std::string_view text);

// Optimal-string-alignment distance (Levenshtein plus adjacent transposition, so "min_vresion" is
// one edit from "min_version"). Returns max_distance + 1 as soon as the answer is known to exceed
// it.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t max_distance);

// The candidate closest to `word` within edit distance 2, ignoring ASCII case (ties: the first
// listed); nullopt if none.
std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates);

// What identifies one version of a file: a rewrite changes mtime/ctime/size, a replacement (editor
// writing a new file and renaming it) changes the inode. ctime is included because a rewrite within
// one timestamp tick can keep mtime and size, and utimensat() cannot set ctime back.
struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
};

// Reads a whole policy file into `text` (at most kMaxPolicyBytes). Refuses non-regular files (a
// FIFO would block, /dev/zero never ends) without blocking. On success fills `identity` (if given)
// from the descriptor actually read and returns nullopt; otherwise the one Problem to report.
std::optional<Problem> read_policy_text(const std::filesystem::path& file, std::string& text,
                                        FileIdentity* identity);

// Checks a file the policy names: exists, is a regular file, is readable (access(R_OK)). Returns
// the message of the problem (already saying what to do), or nullopt when the file is usable.
std::optional<std::string> check_readable_file(const std::filesystem::path& path);

// Checks a private key file's mode: any permission for group or others is a problem.
std::optional<std::string> check_private_key_mode(const std::filesystem::path& path);

// Validates an OpenSSL TLS 1.3 ciphersuites list ("A:B"), each name against OpenSSL itself. On
// success returns nullopt and sets `normalized` (names trimmed, joined by ':'); else the message.
std::optional<std::string> check_tls13_ciphersuites(std::string_view list, std::string& normalized);

}  // namespace ssx::policy::detail
