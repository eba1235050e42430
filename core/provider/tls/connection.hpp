// Connection: one TLS session over one socket — the handshake state machine (never blocking;
// the caller waits for the readiness it reports), record I/O, and the classification of every
// failure into a precise SSX_E_* code and message. Not thread-safe by itself: the endpoint
// serialises calls with its TLS lock and waits for readiness outside it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "common/openssl_ptr.hpp"
#include "provider/tls/context.hpp"
#include "provider/tls/fd_bio.hpp"
#include "provider/tls/name_match.hpp"

namespace ssx::tls {

enum class Step { done, want_read, want_write };

struct ConnectionSetup {
    std::shared_ptr<Context> context;
    std::optional<TargetName> target;  // client: the name the server must prove (nullopt: any)
    std::string session_key;           // client: resumption cache key ("" = no resumption)
    bool confirm_acceptance = false;   // client: wait for the server's first post-handshake record
};

class Connection {
public:
    Connection(int fd, ConnectionSetup setup);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Advances the handshake. Throws ssx::Error with a classified code on failure.
    Step handshake();
    bool established() const { return established_; }
    // The TLS handshake is done and only the server's acceptance is awaited (client).
    bool awaiting_confirmation() const { return tls_done_ && !established_; }
    // Stops waiting for the server's acceptance (a server that sends nothing after the handshake).
    void skip_confirmation();

    // Record I/O once established. *n receives the byte count on Step::done.
    // read: *n == 0 with Step::done means the peer's orderly end (close_notify or TCP FIN).
    Step read(void* buf, size_t len, size_t* n, bool peek);
    Step write(const void* buf, size_t len, size_t* n);
    // Sends close_notify (once). Step::done when it is on the wire.
    Step shutdown_send();
    // Bytes already decrypted and buffered (readable without waiting for the socket).

    // True once the peer proved it speaks TLS (sent a ServerHello/ClientHello or an alert).
    bool peer_spoke_tls() const;
    // The first bytes received are a TLS record header (handshake or alert, version 3.x), even if
    // no complete message followed.
    bool first_bytes_look_like_tls() const;
    bool peer_sent_nothing() const { return bio_state_.bytes_in == 0; }

    // Negotiated parameters (after the handshake).
    X509* peer_leaf() const;
    STACK_OF(X509)* peer_chain() const;  // NULL on resumed sessions
    bool resumed() const;
    int version() const;
    std::string cipher() const;
    std::string alpn() const;
    long verify_result() const;

    // OpenSSL callbacks (context.cpp routes them here).
    int on_verify(int preverify_ok, X509_STORE_CTX* store);
    int on_new_session(SSL_SESSION* session);
    void on_message(int write_p, int content_type, const void* buf, size_t len);
    void on_alert(bool received, int value);

private:
    Step do_handshake();  // one SSL_do_handshake; failures classified
    [[noreturn]] void fail_handshake(int ssl_error);
    [[noreturn]] void fail_io(int ssl_error, const char* what);
    void reauthorize_resumed();
    Step map_retry(int ssl_error, const char* what);

    // What only the handshake needs: the name to check and what went wrong, for the messages.
    // Freed once established, so an idle connection does not carry it.
    struct HandshakeCheck {
        std::optional<TargetName> target;  // client: the name the server must prove
        long verify_error = X509_V_OK;     // first verification error seen
        int verify_depth = -1;
        ossl::X509Ptr failed_cert;         // the certificate it was about (a server keeps no peer
                                           // chain when verification fails: messages need a copy)
        std::string name_failure;          // why the target name check failed
    };

    int fd_;
    std::shared_ptr<Context> context_;
    std::string session_key_;           // client: resumption cache key ("" = no resumption)
    std::unique_ptr<HandshakeCheck> check_;  // null once established
    FdBioState bio_state_;
    ossl::Ssl ssl_;
    bool confirm_acceptance_ = false;
    bool established_ = false;
    bool tls_done_ = false;          // SSL_do_handshake finished (confirmation may be pending)
    bool confirmed_ = false;         // the server sent a post-handshake record
    bool tls_peer_ = false;          // the peer sent a TLS hello or alert
    bool server_hello_seen_ = false; // client: the server answered our hello
    bool close_notify_sent_ = false;
    std::string alert_received_;     // description of an alert the peer sent
};

}  // namespace ssx::tls
