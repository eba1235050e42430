// CloseHandle for the token handles of WSAQuerySocketSecurity (see winsock_handles.hpp).
#include "capi/src/winsock_handles.hpp"

#include <memory>
#include <mutex>
#include <unordered_set>

#include "capi/src/winsock_errors.hpp"
#include "ssx/winsock.h"

namespace ssx::winsock {

namespace {

struct Registry {
    std::mutex mu;
    std::unordered_set<ssx_token*> open;
};

// Never destroyed: CloseHandle may run from another library's static destructor at exit.
Registry& registry() {
    static Registry* r = new Registry;
    return *r;
}

}  // namespace

uint64_t register_token(ssx_token* token) {
    if (!token) return 0;
    std::unique_ptr<ssx_token, int (*)(ssx_token*)> owned(token, ssx_token_close);
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    r.open.insert(token);  // may throw bad_alloc: `owned` closes the token
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(owned.release()));
}

bool close_token_handle(void* handle) {
    auto* token = static_cast<ssx_token*>(handle);
    Registry& r = registry();
    {
        std::lock_guard lock(r.mu);
        if (!token || r.open.erase(token) == 0) return false;
    }
    ssx_token_close(token);
    return true;
}

void forget_token(ssx_token* token) noexcept {
    if (!token) return;
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    r.open.erase(token);
}

}  // namespace ssx::winsock

extern "C" {

SSX_API BOOL CloseHandle(HANDLE hObject) {
    return ssx::winsock::wsa_guarded(FALSE, [&] {
        if (!ssx::winsock::close_token_handle(hObject)) {
            ssx::winsock::wsa_fail(WSA_INVALID_HANDLE, SSX_E_INVALID_ARGUMENT,
                                   "CloseHandle: the handle is not an open token handle from "
                                   "WSAQuerySocketSecurity (NULL, or already closed)");
        }
        return TRUE;
    });
}

}  // extern "C"
