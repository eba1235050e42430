// The C ABI's ssx_token: a handle (access rights + shared principal). Defined here so both capi/
// and the control layer can create them; callers outside see only the opaque pointer.
#pragma once

#include <cstdint>
#include <memory>

#include "identity/principal.hpp"

struct ssx_token {
    std::shared_ptr<const ssx::identity::Principal> principal;
    uint32_t access_mask = 0;
};
