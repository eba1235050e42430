// extern "C" token accessors of ssx.h. Strings live in the shared, immutable Principal, so they stay
// valid for as long as the token (or any other token of the same principal) is open.
#include <cstring>

#include "capi/src/guard.hpp"
#include "capi/src/winsock_handles.hpp"
#include "identity/token.hpp"
#include "ssx/ssx.h"

using ssx::capi::guarded;

namespace {

const ssx::identity::Principal& readable(const ssx_token* token) {
    if (!token) ssx::fail(SSX_E_NULL_POINTER, "token is NULL");
    if (!(token->access_mask & SSX_TOKEN_QUERY)) {
        ssx::fail(SSX_E_ACCESS_DENIED, "the token was opened without SSX_TOKEN_QUERY; query with an access "
                                       "mask that includes it (SSX_TOKEN_QUERY, SSX_TOKEN_READ or "
                                       "SSX_TOKEN_ALL_ACCESS)");
    }
    return *token->principal;
}

const ssx::identity::Account& account_of(const ssx_token* token) {
    const auto& p = readable(token);
    if (!p.account()) {
        ssx::fail(SSX_E_NOT_FOUND, "peer '" + p.name() + "' is not mapped to a local account "
                                                         "(add an [[identity_map]] entry to the policy)");
    }
    return *p.account();
}

}  // namespace

extern "C" {

SSX_API int ssx_token_close(ssx_token* token) {
    ssx::winsock::forget_token(token);  // a Winsock handle of it must not be closed again
    delete token;
    return 0;
}

SSX_API int ssx_token_duplicate(const ssx_token* token, ssx_token** out) {
    return guarded(-1, [&] {
        if (!token || !out) ssx::fail(SSX_E_NULL_POINTER, "ssx_token_duplicate: token or out is NULL");
        *out = new ssx_token{token->principal, token->access_mask};
        return 0;
    });
}

SSX_API uint32_t ssx_token_access_mask(const ssx_token* token) { return token ? token->access_mask : 0; }

SSX_API const char* ssx_token_name(const ssx_token* token) {
    return guarded(static_cast<const char*>(nullptr), [&] { return readable(token).name().c_str(); });
}

SSX_API const char* ssx_token_subject(const ssx_token* token) {
    return guarded(static_cast<const char*>(nullptr), [&] { return readable(token).subject().c_str(); });
}

SSX_API const char* ssx_token_spiffe_id(const ssx_token* token) {
    return guarded(static_cast<const char*>(nullptr), [&] {
        const auto& p = readable(token);
        if (p.spiffe_id().empty()) ssx::fail(SSX_E_NOT_FOUND, "the peer's certificate has no SPIFFE ID");
        return p.spiffe_id().c_str();
    });
}

SSX_API const char* ssx_token_fingerprint(const ssx_token* token) {
    return guarded(static_cast<const char*>(nullptr), [&] { return readable(token).fingerprint().c_str(); });
}

SSX_API size_t ssx_token_name_count(const ssx_token* token) {
    return guarded(static_cast<size_t>(0), [&] { return readable(token).names().size(); });
}

SSX_API const char* ssx_token_name_at(const ssx_token* token, size_t index) {
    return guarded(static_cast<const char*>(nullptr), [&] {
        const auto& names = readable(token).names();
        if (index >= names.size()) {
            ssx::fail(SSX_E_INVALID_ARGUMENT, "name index " + std::to_string(index) + " is past the end (" +
                                                  std::to_string(names.size()) + " names)");
        }
        return names[index].c_str();
    });
}

SSX_API size_t ssx_token_chain_length(const ssx_token* token) {
    return guarded(static_cast<size_t>(0), [&] { return readable(token).chain_length(); });
}

SSX_API const unsigned char* ssx_token_chain_der(const ssx_token* token, size_t index, size_t* der_len) {
    return guarded(static_cast<const unsigned char*>(nullptr), [&] {
        const auto& principal = readable(token);
        if (!der_len) ssx::fail(SSX_E_NULL_POINTER, "ssx_token_chain_der: der_len is NULL");
        if (index >= principal.chain_length()) {
            ssx::fail(SSX_E_INVALID_ARGUMENT, "chain index " + std::to_string(index) + " is past the end (" +
                                                  std::to_string(principal.chain_length()) + " certificates)");
        }
        const auto& der = principal.chain_der(index);
        *der_len = der.size();
        return der.data();
    });
}

SSX_API int ssx_token_unix_account(const ssx_token* token, uint32_t* uid, uint32_t* gid) {
    return guarded(-1, [&] {
        const auto& a = account_of(token);
        if (uid) *uid = a.uid;
        if (gid) *gid = a.gid;
        return 0;
    });
}

SSX_API const char* ssx_token_unix_user(const ssx_token* token) {
    return guarded(static_cast<const char*>(nullptr), [&] {
        const auto& a = account_of(token);
        if (a.user.empty()) ssx::fail(SSX_E_NOT_FOUND, "the account is mapped by number only (no user name)");
        return a.user.c_str();
    });
}

SSX_API int ssx_token_unix_groups(const ssx_token* token, uint32_t* groups, size_t* count) {
    return guarded(-1, [&] {
        if (!count) ssx::fail(SSX_E_NULL_POINTER, "ssx_token_unix_groups: count is NULL");
        const auto& a = account_of(token);
        if (!groups || *count < a.groups.size()) {
            *count = a.groups.size();
            ssx::fail(SSX_E_BUFFER_TOO_SMALL, "ssx_token_unix_groups needs room for " +
                                                  std::to_string(a.groups.size()) + " groups; the count was written");
        }
        if (!a.groups.empty()) std::memcpy(groups, a.groups.data(), a.groups.size() * sizeof(uint32_t));
        *count = a.groups.size();
        return 0;
    });
}

}  // extern "C"
