// ssx::Error — the one exception type used inside core/. Each carries a stable SSX_E_* code, the
// errno the C ABI reports, and a message that says what happened and what to do. The C ABI shims
// (capi/) convert it once, at the boundary; nothing else ever crosses it.
#pragma once

#include <exception>
#include <string>

namespace ssx {

// The errno that goes with an SSX_E_* code when the failure has no more precise system errno.
int default_errno(int code) noexcept;

// "SSX_E_NAME_MISMATCH" for any int ("SSX_E_UNKNOWN" for values that are not codes).
const char* error_name(int code) noexcept;

class Error : public std::exception {
public:
    Error(int code, std::string message) : Error(code, default_errno(code), std::move(message)) {}
    Error(int code, int sys_errno, std::string message)
        : code_(code), errno_(sys_errno), message_(std::move(message)) {}

    int code() const noexcept { return code_; }
    int sys_errno() const noexcept { return errno_; }
    const std::string& message() const noexcept { return message_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    int code_;
    int errno_;
    std::string message_;
};

// Throws ssx::Error(code, message).
[[noreturn]] void fail(int code, std::string message);
[[noreturn]] void fail(int code, int sys_errno, std::string message);

// The message of OpenSSL's error queue (oldest first, joined by "; "), and clears the queue.
// Returns "" if the queue is empty.
std::string drain_openssl_errors();

}  // namespace ssx
