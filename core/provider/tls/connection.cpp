#include "provider/tls/connection.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/err.h>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::tls {

namespace {

Connection* connection_of(const SSL* ssl) {
    return static_cast<Connection*>(SSL_get_ex_data(ssl, connection_ex_index()));
}

void info_callback(const SSL* ssl, int where, int ret) {
    if (!(where & SSL_CB_ALERT)) return;
    if (auto* conn = connection_of(ssl)) conn->on_alert((where & SSL_CB_READ) != 0, ret);
}

void message_callback(int write_p, int, int content_type, const void* buf, size_t len, SSL* ssl,
                      void*) {
    if (auto* conn = connection_of(ssl)) conn->on_message(write_p, content_type, buf, len);
}

std::string subject_of(X509* cert) {
    if (!cert) return "(none)";
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    return buf;
}

std::string issuer_of(X509* cert) {
    if (!cert) return "(none)";
    char buf[512];
    X509_NAME_oneline(X509_get_issuer_name(cert), buf, sizeof buf);
    return buf;
}

std::string time_text(const ASN1_TIME* t) {
    if (!t) return "?";
    ossl::Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

bool alert_means_untrusted(const std::string& alert) {
    return alert == "unknown CA" || alert == "bad certificate" || alert == "certificate unknown" ||
           alert == "decrypt error" || alert == "unsupported certificate" ||
           alert == "certificate revoked" || alert == "access denied";
}

}  // namespace

Connection::Connection(int fd, ConnectionSetup setup)
    : fd_(fd),
      context_(std::move(setup.context)),
      session_key_(std::move(setup.session_key)),
      check_(std::make_unique<HandshakeCheck>()),
      confirm_acceptance_(setup.confirm_acceptance) {
    check_->target = std::move(setup.target);
    bio_state_.fd = fd;
    ERR_clear_error();
    ssl_.reset(SSL_new(context_->ctx()));
    if (!ssl_) fail(SSX_E_NO_MEMORY, "could not create a TLS session: " + drain_openssl_errors());
    SSL* ssl = ssl_.get();
    SSL_set_ex_data(ssl, connection_ex_index(), this);
    BIO* bio = new_fd_bio(&bio_state_);
    if (!bio) fail(SSX_E_NO_MEMORY, "could not create a socket BIO");
    SSL_set_bio(ssl, bio, bio);
    SSL_set_info_callback(ssl, info_callback);
    // Handshake messages tell whether the peer speaks TLS at all and, after the handshake, whether
    // the server accepted us; the callback is removed once established (no cost on the data path).
    SSL_set_msg_callback(ssl, message_callback);

    if (context_->options().role == Role::server) {
        SSL_set_accept_state(ssl);
        return;
    }
    SSL_set_connect_state(ssl);
    if (check_->target && check_->target->kind == TargetKind::dns) {
        // SNI lets a server with several identities present the right one.
        SSL_set_tlsext_host_name(ssl, check_->target->value.c_str());
    }
    const std::string& alpn = context_->alpn_wire();
    if (!alpn.empty()) {
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned int>(alpn.size()));
    }
    if (!session_key_.empty()) {
        if (ossl::SslSession session = context_->find_session(session_key_)) {
            SSL_set_session(ssl, session.get());
        }
    }
}

Connection::~Connection() = default;

Step Connection::map_retry(int ssl_error, const char* what) {
    if (ssl_error == SSL_ERROR_WANT_READ) return Step::want_read;
    if (ssl_error == SSL_ERROR_WANT_WRITE) return Step::want_write;
    fail_io(ssl_error, what);
}

Step Connection::do_handshake() {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_.get());
    if (r == 1) return Step::done;
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ) return Step::want_read;
    if (e == SSL_ERROR_WANT_WRITE) return Step::want_write;
    fail_handshake(e);
}

Step Connection::handshake() {
    if (established_) return Step::done;
    SSL* ssl = ssl_.get();
    if (!tls_done_) {
        if (Step step = do_handshake(); step != Step::done) return step;
        tls_done_ = true;
        if (SSL_session_reused(ssl)) reauthorize_resumed();
        if (context_->options().role == Role::server && SSL_get_num_tickets(ssl) == 0) {
            // Without tickets a TLS 1.3 server sends nothing after the handshake, and the client
            // could not tell acceptance from rejection: a KeyUpdate is the invisible "accepted".
            SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED);
        }
    }
    if (context_->options().role == Role::server) {
        if (SSL_get_key_update_type(ssl) != SSL_KEY_UPDATE_NONE) {
            if (Step step = do_handshake(); step != Step::done) return step;  // flushes the KeyUpdate
        }
        skip_confirmation();  // servers await nothing: just mark established
        return Step::done;
    }
    if (confirm_acceptance_ && !confirmed_) {
        // In TLS 1.3 the server checks our certificate after the client's handshake is complete;
        // its verdict arrives as its first post-handshake record (a ticket, a KeyUpdate, data) or
        // as an alert. Wait for it, so a rejection is reported by connect, not by the first recv.
        ERR_clear_error();
        unsigned char byte;
        size_t n = 0;
        int r = SSL_peek_ex(ssl, &byte, 1, &n);
        if (r != 1) {
            int e = SSL_get_error(ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN) {
                confirmed_ = true;  // accepted, then closed in an orderly way
            } else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (!confirmed_) return e == SSL_ERROR_WANT_READ ? Step::want_read : Step::want_write;
            } else {
                fail_handshake(e);
            }
        }
    }
    skip_confirmation();
    return Step::done;
}

void Connection::skip_confirmation() {
    confirmed_ = true;
    established_ = true;
    check_.reset();
    bio_state_.hold = false;
    // Read-ahead from here on: one recv() takes whatever the socket holds instead of a 5-byte
    // header and then the body (half the receive calls per record in bulk). Not during the
    // handshake: its last read could then take the peer's first data along and leave it inside
    // OpenSSL, invisible to a poll() that follows ssx_accept/ssx_connect.
    // The buffer is empty here (the handshake read whole records only). Every ssx receive path
    // tries SSL_read before it waits; ssx.h gives poll() callers the rule.
    SSL_set_read_ahead(ssl_.get(), 1);
    SSL_set_msg_callback(ssl_.get(), nullptr);
}

void Connection::reauthorize_resumed() {
    const bool client = context_->options().role == Role::client;
    const char* who = client ? "server" : "client";
    X509* leaf = SSL_get0_peer_certificate(ssl_.get());
    if (!leaf) {
        fail(SSX_E_NO_PEER_CERT, std::string("the resumed session carries no ") + who +
                                     " certificate; reconnect without resumption");
    }
    if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
        fail(SSX_E_CERT_NOT_YET_VALID, std::string("the ") + who + "'s certificate (" + subject_of(leaf) +
                                           ") is not valid yet (clock change?); resumption refused");
    }
    if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
        fail(SSX_E_CERT_EXPIRED, std::string("the ") + who + "'s certificate (" + subject_of(leaf) +
                                     ") expired on " + time_text(X509_get0_notAfter(leaf)) +
                                     " since the session was created; resumption refused");
    }
    if (!check_) fail(SSX_E_INTERNAL, "resumed session re-checked after the handshake");  // never skip it
    if (client && check_->target) {
        MatchResult m = match_peer(*check_->target, leaf);
        if (!m.ok) fail(SSX_E_NAME_MISMATCH, m.reason);
    }
}

int Connection::on_verify(int preverify_ok, X509_STORE_CTX* store) {
    if (!check_) return 0;  // no verification after the handshake (fail closed if one ever came)
    HandshakeCheck& c = *check_;
    int depth = X509_STORE_CTX_get_error_depth(store);
    if (!preverify_ok) {
        if (c.verify_error == X509_V_OK) {
            c.verify_error = X509_STORE_CTX_get_error(store);
            c.verify_depth = depth;
            X509* failed = X509_STORE_CTX_get_current_cert(store);
            if (failed && X509_up_ref(failed) == 1) c.failed_cert.reset(failed);
        }
        return 0;
    }
    if (depth == 0 && c.target) {
        X509* leaf = X509_STORE_CTX_get_current_cert(store);
        try {
            MatchResult m = match_peer(*c.target, leaf);
            if (m.ok) return 1;
            c.name_failure = m.reason;
        } catch (const std::exception& e) {
            c.name_failure = e.what();
        }
        c.verify_error = X509_V_ERR_HOSTNAME_MISMATCH;
        c.verify_depth = 0;
        X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    return 1;
}

int Connection::on_new_session(SSL_SESSION* session) {
    if (session_key_.empty()) return 0;
    context_->store_session(session_key_, session);
    return 1;  // the cache owns the reference now
}

void Connection::on_message(int write_p, int content_type, const void* buf, size_t len) {
    if (write_p || len == 0) return;
    if (content_type == SSL3_RT_ALERT) {
        tls_peer_ = true;
        return;
    }
    if (content_type != SSL3_RT_HANDSHAKE) return;
    int type = static_cast<const unsigned char*>(buf)[0];
    if (type == SSL3_MT_SERVER_HELLO || type == SSL3_MT_CLIENT_HELLO) tls_peer_ = true;
    if (type == SSL3_MT_SERVER_HELLO) server_hello_seen_ = true;
    if (tls_done_ && (type == SSL3_MT_NEWSESSION_TICKET || type == SSL3_MT_KEY_UPDATE)) {
        confirmed_ = true;
        // Read nothing more while confirming: records after this one (the server's first data)
        // stay in the socket, where the caller's poll() sees them, not decrypted inside OpenSSL.
        bio_state_.hold = true;
    }
}

void Connection::on_alert(bool received, int value) {
    if (!received) return;  // the messages report what the peer said; what we sent is in the error
    std::string text = SSL_alert_desc_string_long(value);
    if (alert_received_.empty() && (value & 0xff) != SSL_AD_CLOSE_NOTIFY) alert_received_ = text;
}

bool Connection::first_bytes_look_like_tls() const {
    if (bio_state_.first_len < 1) return false;
    const unsigned char type = bio_state_.first[0];
    if (type != SSL3_RT_HANDSHAKE && type != SSL3_RT_ALERT) return false;
    return bio_state_.first_len < 2 || bio_state_.first[1] == 0x03;
}

bool Connection::peer_spoke_tls() const { return tls_peer_ || first_bytes_look_like_tls(); }

void Connection::fail_handshake(int ssl_error) {
    const bool client = context_->options().role == Role::client;
    const std::string who = client ? "server" : "client";
    unsigned long first = ERR_peek_error();
    int reason = first ? ERR_GET_REASON(first) : 0;
    std::string ossl = drain_openssl_errors();
    std::string detail = ossl.empty() ? "" : " [" + ossl + "]";

    if (check_ && check_->verify_error != X509_V_OK) {
        const HandshakeCheck& c = *check_;
        tls_peer_ = true;
        // The peer's certificate at the failing depth, for the message.
        X509* cert = c.failed_cert.get();
        if (STACK_OF(X509)* chain = cert ? nullptr : SSL_get_peer_cert_chain(ssl_.get())) {
            if (c.verify_depth >= 0 && c.verify_depth < sk_X509_num(chain)) cert = sk_X509_value(chain, c.verify_depth);
        }
        if (!cert) cert = SSL_get0_peer_certificate(ssl_.get());
        switch (c.verify_error) {
            case X509_V_ERR_HOSTNAME_MISMATCH:
            case X509_V_ERR_IP_ADDRESS_MISMATCH:
            case X509_V_ERR_EMAIL_MISMATCH:
                fail(SSX_E_NAME_MISMATCH,
                     c.name_failure.empty() ? "the " + who + "'s certificate does not match the target name"
                                            : c.name_failure);
            case X509_V_ERR_CERT_HAS_EXPIRED:
                fail(SSX_E_CERT_EXPIRED, "the " + who + "'s certificate '" + subject_of(cert) +
                                             "' expired on " + time_text(cert ? X509_get0_notAfter(cert) : nullptr) +
                                             "; the " + who + " needs a renewed certificate");
            case X509_V_ERR_CERT_NOT_YET_VALID:
                fail(SSX_E_CERT_NOT_YET_VALID,
                     "the " + who + "'s certificate '" + subject_of(cert) + "' is not valid before " +
                         time_text(cert ? X509_get0_notBefore(cert) : nullptr) + "; check both clocks");
            default:
                fail(SSX_E_PEER_UNTRUSTED,
                     "the " + who + "'s certificate chain does not verify against our trust anchors: " +
                         X509_verify_cert_error_string(c.verify_error) + " (depth " +
                         std::to_string(c.verify_depth) + ", subject '" + subject_of(cert) + "', issuer '" +
                         issuer_of(cert) + "'); add the " + who +
                         "'s CA to [tls] trust_anchors if it should be trusted");
        }
    }
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        fail(SSX_E_NO_PEER_CERT,
             "the client presented no certificate; ssx requires mutual authentication: give the client "
             "a certificate issued by a CA in the server's trust anchors");
    }
    if (!alert_received_.empty()) {
        const std::string& a = alert_received_;
        // A server that cannot agree on version, suite or group answers our hello with
        // 'handshake failure'; after its hello that alert means something else.
        if (a == "protocol version" || a == "insufficient security" ||
            (client && a == "handshake failure" && !server_hello_seen_)) {
            fail(SSX_E_PROTOCOL_VERSION, "the " + who + " refused the TLS version or cipher suites (alert '" +
                                             a + "'); check [tls] min_version and cipher_suites on both sides");
        }
        std::string hint;
        if (a == "certificate required") {
            hint = "the " + who + " requires a certificate from us: configure [tls] certificate and private_key";
        } else if (alert_means_untrusted(a)) {
            hint = "the " + who + " does not accept our certificate: its trust anchors must include our CA, "
                   "our certificate must be valid for this use, and (if the " + who +
                   " named a target) our certificate must prove that name";
        } else if (a == "certificate expired") {
            hint = "our certificate has expired: renew it";
        } else if (a == "no application protocol") {
            hint = "no common ALPN protocol: check the alpn settings on both sides";
        } else {
            hint = "see the " + who + "'s log for why";
        }
        fail(SSX_E_PEER_REJECTED, "the " + who + " rejected the handshake with alert '" + a + "': " + hint);
    }
    if (reason == SSL_R_NO_APPLICATION_PROTOCOL) {
        fail(SSX_E_HANDSHAKE, "no common ALPN protocol with the " + who + "; check the alpn settings" + detail);
    }
    if (bio_state_.bytes_in > 0 && !tls_peer_ && !first_bytes_look_like_tls()) {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%02x", bio_state_.first[0]);
        fail(SSX_E_PEER_NOT_TLS, "the " + who + " does not speak TLS (its first byte was " + hex +
                                     "); secure both sides, or set SSX_SETTINGS_ALLOW_INSECURE on both "
                                     "to permit clear text");
    }
    switch (reason) {
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_NO_PROTOCOLS_AVAILABLE:
        case SSL_R_NO_SHARED_CIPHER:
        case SSL_R_NO_CIPHERS_AVAILABLE:
        case SSL_R_NO_SHARED_GROUPS:
        case SSL_R_NO_SUITABLE_KEY_SHARE:
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
            fail(SSX_E_PROTOCOL_VERSION, "no TLS version or cipher suite in common with the " + who +
                                             " (ssx requires TLS 1.3 unless the policy allows 1.2)" + detail);
        default:
            break;
    }
    if (bio_state_.eof || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING ||
        bio_state_.last_errno == ECONNRESET || bio_state_.last_errno == EPIPE) {
        fail(SSX_E_PEER_CLOSED, "the " + who + " closed the connection during the TLS handshake" +
                                    std::string(bio_state_.bytes_in == 0 && client
                                                    ? " without answering (is it a TLS server?)"
                                                    : "") + detail);
    }
    if (ssl_error == SSL_ERROR_SYSCALL && bio_state_.last_errno != 0) {
        fail(SSX_E_IO, bio_state_.last_errno,
             std::string("socket error during the TLS handshake: ") + std::strerror(bio_state_.last_errno));
    }
    if (ssl_error == SSL_ERROR_SSL && !tls_peer_ && first_bytes_look_like_tls()) {
        fail(SSX_E_PROTOCOL, "the " + who + " sent malformed TLS data instead of a valid hello" + detail);
    }
    fail(SSX_E_HANDSHAKE, "the TLS handshake with the " + who + " failed" + (detail.empty() ? "" : ":" + detail));
}

void Connection::fail_io(int ssl_error, const char* what) {
    unsigned long first = ERR_peek_error();
    int reason = first ? ERR_GET_REASON(first) : 0;
    std::string ossl = drain_openssl_errors();
    if (!alert_received_.empty()) {
        fail(SSX_E_PEER_CLOSED, std::string(what) + ": the peer ended the connection with alert '" +
                                    alert_received_ + "'");
    }
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || bio_state_.eof) {
        fail(SSX_E_PEER_CLOSED, std::string(what) +
                                    ": the peer closed TCP without TLS close_notify; data may be truncated");
    }
    if (bio_state_.last_errno == ECONNRESET || bio_state_.last_errno == EPIPE) {
        fail(SSX_E_PEER_CLOSED, bio_state_.last_errno,
             std::string(what) + ": the peer reset the connection");
    }
    if (ssl_error == SSL_ERROR_SYSCALL && bio_state_.last_errno != 0) {
        fail(SSX_E_IO, bio_state_.last_errno, std::string(what) + ": " + std::strerror(bio_state_.last_errno));
    }
    fail(SSX_E_PROTOCOL, std::string(what) + ": TLS protocol error" + (ossl.empty() ? "" : " [" + ossl + "]"));
}

Step Connection::read(void* buf, size_t len, size_t* n, bool peek) {
    *n = 0;
    ERR_clear_error();
    int r = peek ? SSL_peek_ex(ssl_.get(), buf, len, n) : SSL_read_ex(ssl_.get(), buf, len, n);
    if (r == 1) return Step::done;
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_ZERO_RETURN) {
        *n = 0;
        return Step::done;
    }
    return map_retry(e, "receive failed");
}

Step Connection::write(const void* buf, size_t len, size_t* n) {
    *n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(ssl_.get(), buf, len, n);
    if (r == 1) return Step::done;
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_ZERO_RETURN) fail(SSX_E_PEER_CLOSED, "send failed: the peer closed the connection");
    return map_retry(e, "send failed");
}

Step Connection::shutdown_send() {
    if (close_notify_sent_) return Step::done;
    ERR_clear_error();
    int r = SSL_shutdown(ssl_.get());
    if (r >= 0) {
        close_notify_sent_ = true;
        return Step::done;
    }
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_WRITE) return Step::want_write;
    if (e == SSL_ERROR_WANT_READ) {
        close_notify_sent_ = true;  // queued; nothing more to send
        return Step::done;
    }
    fail_io(e, "shutdown failed");
}

X509* Connection::peer_leaf() const { return SSL_get0_peer_certificate(ssl_.get()); }
STACK_OF(X509)* Connection::peer_chain() const {
    return resumed() ? nullptr : SSL_get_peer_cert_chain(ssl_.get());
}
bool Connection::resumed() const { return SSL_session_reused(ssl_.get()) == 1; }
int Connection::version() const { return SSL_version(ssl_.get()); }
std::string Connection::cipher() const {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
    const char* name = c ? SSL_CIPHER_standard_name(c) : nullptr;
    return name ? name : "";
}
std::string Connection::alpn() const {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_.get(), &data, &len);
    return data ? std::string(reinterpret_cast<const char*>(data), len) : "";
}
long Connection::verify_result() const { return SSL_get_verify_result(ssl_.get()); }

}  // namespace ssx::tls
