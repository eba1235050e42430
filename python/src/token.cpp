#include "token.hpp"

#include <memory>
#include <vector>

#include "errors.hpp"

namespace py = pybind11;

namespace ssxpy {

namespace {

[[noreturn]] void raise_last() { raise_failure(capture_failure()); }

py::str text_or_raise(const char* s) {
    if (!s) raise_last();
    return decode(s, "surrogateescape");
}

// A NULL that means "not there" (SSX_E_NOT_FOUND) becomes None; other failures raise.
py::object optional_text(const char* s) {
    if (s) return decode(s, "surrogateescape");
    Failure f = capture_failure();
    if (f.code == SSX_E_NOT_FOUND) return py::none();
    raise_failure(f);
}

}  // namespace

const ssx_token* TokenHandle::get() const {
    if (!token_) throw py::value_error("the token is closed");
    return token_;
}

uint32_t TokenHandle::access_mask() const { return ssx_token_access_mask(get()); }

py::str TokenHandle::name() const { return text_or_raise(ssx_token_name(get())); }

py::str TokenHandle::subject() const { return text_or_raise(ssx_token_subject(get())); }

py::object TokenHandle::spiffe_id() const { return optional_text(ssx_token_spiffe_id(get())); }

py::str TokenHandle::fingerprint() const { return text_or_raise(ssx_token_fingerprint(get())); }

py::tuple TokenHandle::names() const {
    const ssx_token* t = get();
    // The count cannot fail; reading names without QUERY access must raise, not look empty.
    if (!(ssx_token_access_mask(t) & SSX_TOKEN_QUERY)) text_or_raise(ssx_token_name(t));
    size_t n = ssx_token_name_count(t);
    py::tuple out(n);
    for (size_t i = 0; i < n; ++i) out[i] = text_or_raise(ssx_token_name_at(t, i));
    return out;
}

py::tuple TokenHandle::chain() const {
    const ssx_token* t = get();
    if (!(ssx_token_access_mask(t) & SSX_TOKEN_QUERY)) text_or_raise(ssx_token_name(t));
    size_t n = ssx_token_chain_length(t);
    py::tuple out(n);
    for (size_t i = 0; i < n; ++i) {
        size_t len = 0;
        const unsigned char* der = ssx_token_chain_der(t, i, &len);
        if (!der) raise_last();
        out[i] = py::bytes(reinterpret_cast<const char*>(der), len);
    }
    return out;
}

py::object TokenHandle::unix_account() const {
    uint32_t uid = 0, gid = 0;
    if (ssx_token_unix_account(get(), &uid, &gid) == 0) return py::make_tuple(uid, gid);
    Failure f = capture_failure();
    if (f.code == SSX_E_NOT_FOUND) return py::none();
    raise_failure(f);
}

py::object TokenHandle::unix_user() const { return optional_text(ssx_token_unix_user(get())); }

py::object TokenHandle::unix_groups() const {
    const ssx_token* t = get();
    // Size negotiation: ask for the count, then fetch. The groups cannot change (tokens are
    // immutable), so the second call gets exactly that many.
    size_t count = 0;
    if (ssx_token_unix_groups(t, nullptr, &count) != 0) {
        Failure f = capture_failure();
        if (f.code == SSX_E_NOT_FOUND) return py::none();
        if (f.code != SSX_E_BUFFER_TOO_SMALL) raise_failure(f);
    }
    std::vector<uint32_t> groups(count);
    if (count > 0 && ssx_token_unix_groups(t, groups.data(), &count) != 0) raise_last();
    py::tuple out(count);
    for (size_t i = 0; i < count; ++i) out[i] = groups[i];
    return out;
}

std::unique_ptr<TokenHandle> TokenHandle::duplicate() const {
    ssx_token* copy = nullptr;
    if (ssx_token_duplicate(get(), &copy) != 0) raise_last();
    return std::make_unique<TokenHandle>(copy);
}

void bind_token(py::module_& m) {
    py::class_<TokenHandle>(m, "TokenHandle")
        .def("close", &TokenHandle::close)
        .def_property_readonly("closed", &TokenHandle::closed)
        .def("access_mask", &TokenHandle::access_mask)
        .def("name", &TokenHandle::name)
        .def("subject", &TokenHandle::subject)
        .def("spiffe_id", &TokenHandle::spiffe_id)
        .def("fingerprint", &TokenHandle::fingerprint)
        .def("names", &TokenHandle::names)
        .def("chain", &TokenHandle::chain)
        .def("unix_account", &TokenHandle::unix_account)
        .def("unix_user", &TokenHandle::unix_user)
        .def("unix_groups", &TokenHandle::unix_groups)
        .def("duplicate", &TokenHandle::duplicate);
}

}  // namespace ssxpy
