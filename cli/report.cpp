#include "report.hpp"

#include <ctime>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "common/openssl_ptr.hpp"
#include "exit_codes.hpp"

namespace ssx::cli {

namespace {

std::string name_text(const X509_NAME* name) {
    ossl::Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

std::string time_text(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

CertificateSummary summarize(const unsigned char* der, size_t len) {
    const unsigned char* p = der;
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(len)));
    if (!cert) return {"(unparsable certificate)", "", "", ""};
    return {name_text(X509_get_subject_name(cert.get())), name_text(X509_get_issuer_name(cert.get())),
            time_text(X509_get0_notBefore(cert.get())), time_text(X509_get0_notAfter(cert.get()))};
}

std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string required(const char* value, const char* accessor) {
    if (!value) fail_with_last_error(std::string("reading the peer token (") + accessor + ")");
    return value;
}

std::string account_text(const PeerIdentity& p) {
    std::string ids = "uid " + std::to_string(p.uid) + ", gid " + std::to_string(p.gid);
    return p.user.empty() ? ids : p.user + " (" + ids + ")";
}

}  // namespace

void row(std::ostream& out, std::string_view key, std::string_view value, std::string_view indent, size_t width) {
    std::string k(key);
    if (k.size() < width) k.resize(width, ' ');
    out << indent << k << ' ' << value << '\n';
}

std::string tls_version_name(uint32_t version) {
    switch (version) {
    case 0x0304: return "TLS 1.3";
    case 0x0303: return "TLS 1.2";
    case 0: return "none";
    default: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%04x", version);
        return buf;
    }
    }
}

PeerIdentity describe_token(const ssx_token* token) {
    PeerIdentity p;
    p.name = required(ssx_token_name(token), "name");
    p.subject = required(ssx_token_subject(token), "subject");
    p.fingerprint = required(ssx_token_fingerprint(token), "fingerprint");
    if (const char* id = ssx_token_spiffe_id(token)) p.spiffe_id = id;
    for (size_t i = 0, n = ssx_token_name_count(token); i < n; ++i) {
        p.names.push_back(required(ssx_token_name_at(token, i), "names"));
    }
    for (size_t i = 0, n = ssx_token_chain_length(token); i < n; ++i) {
        size_t len = 0;
        const unsigned char* der = ssx_token_chain_der(token, i, &len);
        if (!der) fail_with_last_error("reading the peer token (chain)");
        p.chain.push_back(summarize(der, len));
    }
    if (ssx_token_unix_account(token, &p.uid, &p.gid) == 0) {
        p.mapped = true;
        if (const char* user = ssx_token_unix_user(token)) p.user = user;
        size_t count = 0;
        if (ssx_token_unix_groups(token, nullptr, &count) != 0 && ssx_last_error() == SSX_E_BUFFER_TOO_SMALL) {
            p.groups.resize(count);
            if (ssx_token_unix_groups(token, p.groups.data(), &count) != 0) {
                fail_with_last_error("reading the peer token (groups)");
            }
            p.groups.resize(count);
        }
    } else if (ssx_last_error() != SSX_E_NOT_FOUND) {
        fail_with_last_error("reading the peer token (account)");
    }
    return p;
}

SecurityReport query_security(int fd) {
    ssx_query_template tmpl = SSX_QUERY_TEMPLATE_INIT;
    tmpl.peer_token_access_mask = SSX_TOKEN_QUERY;
    // The size probe: a NULL buffer fails with SSX_E_BUFFER_TOO_SMALL and says how much is needed,
    // so a newer library with a larger struct never writes past ours.
    size_t need = 0;
    if (ssx_query_socket_security(fd, &tmpl, nullptr, &need) == 0 || ssx_last_error() != SSX_E_BUFFER_TOO_SMALL) {
        fail_with_last_error("querying the connection (size probe)");
    }
    std::vector<unsigned char> buffer(std::max(need, sizeof(ssx_query_info)));
    auto* info = reinterpret_cast<ssx_query_info*>(buffer.data());
    size_t len = buffer.size();
    if (ssx_query_socket_security(fd, &tmpl, info, &len) != 0) fail_with_last_error("querying the connection");
    Token app(info->peer_application_token);
    Token machine(info->peer_machine_token);

    SecurityReport r;
    r.flags = info->flags;
    r.protocol = info->protocol;
    r.tls_version = info->tls_version;
    r.cipher = info->cipher;
    r.alpn = info->alpn;
    r.resumed = (info->tls_flags & SSX_TLS_RESUMED) != 0;
    r.verify_result = info->verify_result;
    if (app) r.peer = describe_token(app.get());
    return r;
}

void print_peer(std::ostream& out, const PeerIdentity& p, bool with_chain, std::string_view in) {
    row(out, "peer", p.name, in);
    row(out, "subject", p.subject, in);
    row(out, "names", p.names.empty() ? "(none)" : joined(p.names), in);
    row(out, "sha256", p.fingerprint, in);
    row(out, "account", p.mapped ? account_text(p) : "(not mapped to a local account)", in);
    if (!with_chain) return;
    for (size_t i = 0; i < p.chain.size(); ++i) {
        const auto& c = p.chain[i];
        row(out, i == 0 ? "chain" : "", "[" + std::to_string(i) + "] " + c.subject, in);
        row(out, "", "    issued by " + c.issuer, in);
        row(out, "", "    valid " + c.not_before + " to " + c.not_after, in);
    }
}

std::string flags_text(uint32_t flags) {
    std::vector<std::string> out;
    if (flags & SSX_INFO_CONNECTION_SECURED) out.emplace_back("secured");
    if (flags & SSX_INFO_CONNECTION_ENCRYPTED) out.emplace_back("encrypted");
    if (flags & SSX_INFO_CONNECTION_IMPERSONATED) out.emplace_back("impersonated by this thread");
    return out.empty() ? "NOT SECURED (clear text)" : joined(out);
}

void print_report(std::ostream& out, const SecurityReport& r, bool with_chain, std::string_view in) {
    row(out, "security", flags_text(r.flags), in);
    row(out, "protocol", tls_version_name(r.tls_version) + (r.cipher.empty() ? "" : ", " + r.cipher), in);
    row(out, "alpn", r.alpn.empty() ? "(none)" : r.alpn, in);
    row(out, "resumed", r.resumed ? "yes (peer re-authorized)" : "no (full handshake)", in);
    row(out, "verified", r.verify_result == 0 ? "yes" : X509_verify_cert_error_string(r.verify_result), in);
    if (r.peer) print_peer(out, *r.peer, with_chain, in);
}

std::string one_line(const SecurityReport& r) {
    std::string who = r.peer ? r.peer->name : "unauthenticated peer";
    std::string how = tls_version_name(r.tls_version) + (r.cipher.empty() ? "" : ", " + r.cipher) +
                      (r.resumed ? ", resumed" : ", new session");
    return who + " (" + how + ")";
}

json::Value to_json(const PeerIdentity& p) {
    json::Value names = json::Array{};
    for (const auto& n : p.names) names.push(n);
    json::Value chain = json::Array{};
    for (const auto& c : p.chain) {
        chain.push(json::Value()
                       .set("subject", c.subject)
                       .set("issuer", c.issuer)
                       .set("not_before", c.not_before)
                       .set("not_after", c.not_after));
    }
    json::Value account;  // null when not mapped
    if (p.mapped) {
        json::Value groups = json::Array{};
        for (uint32_t g : p.groups) groups.push(g);
        account.set("user", p.user.empty() ? json::Value() : json::Value(p.user))
            .set("uid", p.uid)
            .set("gid", p.gid)
            .set("groups", std::move(groups));
    }
    return json::Value()
        .set("name", p.name)
        .set("subject", p.subject)
        .set("spiffe_id", p.spiffe_id.empty() ? json::Value() : json::Value(p.spiffe_id))
        .set("sha256", p.fingerprint)
        .set("names", std::move(names))
        .set("account", std::move(account))
        .set("chain", std::move(chain));
}

json::Value to_json(const SecurityReport& r) {
    return json::Value()
        .set("secured", (r.flags & SSX_INFO_CONNECTION_SECURED) != 0)
        .set("encrypted", (r.flags & SSX_INFO_CONNECTION_ENCRYPTED) != 0)
        .set("impersonated", (r.flags & SSX_INFO_CONNECTION_IMPERSONATED) != 0)
        .set("protocol", r.protocol == SSX_PROTOCOL_TLS ? "TLS" : "none")
        .set("tls_version", tls_version_name(r.tls_version))
        .set("cipher", r.cipher)
        .set("alpn", r.alpn.empty() ? json::Value() : json::Value(r.alpn))
        .set("resumed", r.resumed)
        .set("verify_result", r.verify_result)
        .set("peer", r.peer ? to_json(*r.peer) : json::Value());
}

}  // namespace ssx::cli
