// One owned ssx_token* (a peer's or the thread's principal). Closed by close(), or when the Python
// object goes away (reference count or garbage collector) — whichever comes first; a token stays
// valid after its socket closes (ssx.h).
//
// Accessors keep the GIL: the strings they copy are owned by the token and freed by close(), so
// holding the GIL is what keeps a close() on another thread from freeing them mid-copy.
#pragma once

#include <memory>

#include <pybind11/pybind11.h>

#include "ssx/ssx.h"

namespace ssxpy {

class TokenHandle {
public:
    explicit TokenHandle(ssx_token* token) : token_(token) {}
    ~TokenHandle() { ssx_token_close(token_); }
    TokenHandle(const TokenHandle&) = delete;
    TokenHandle& operator=(const TokenHandle&) = delete;

    void close() {
        ssx_token_close(token_);
        token_ = nullptr;
    }
    bool closed() const { return token_ == nullptr; }

    uint32_t access_mask() const;
    pybind11::str name() const;
    pybind11::str subject() const;
    pybind11::object spiffe_id() const;  // None when there is none
    pybind11::str fingerprint() const;
    pybind11::tuple names() const;
    pybind11::tuple chain() const;
    pybind11::object unix_account() const;  // (uid, gid) or None when not mapped
    pybind11::object unix_user() const;     // str or None
    pybind11::object unix_groups() const;   // tuple of int or None
    std::unique_ptr<TokenHandle> duplicate() const;

private:
    const ssx_token* get() const;  // raises ValueError when closed
    ssx_token* token_;
};

void bind_token(pybind11::module_& m);

}  // namespace ssxpy
