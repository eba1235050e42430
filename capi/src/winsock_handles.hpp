// Token handles of the Winsock API: the UINT64 fields of SOCKET_SECURITY_QUERY_INFO carry an
// ssx_token* widened to 64 bits. Handles given out are remembered, so CloseHandle can refuse
// anything else (a double close, a made-up value) instead of freeing it.
#pragma once

#include <cstdint>

#include "ssx/ssx.h"

namespace ssx::winsock {

// Takes ownership of `token` (may be NULL: returns 0) and returns its handle value. On failure the
// token is closed and the exception propagates.
uint64_t register_token(ssx_token* token);

// Closes the token behind a handle returned by register_token. False if the handle is not one.
bool close_token_handle(void* handle);

// Forgets a token closed through ssx_token_close(), so a later CloseHandle on its (now dangling)
// handle value is refused instead of freeing it twice. Never throws.
void forget_token(ssx_token* token) noexcept;

}  // namespace ssx::winsock
