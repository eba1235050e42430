/*
 * server.c: the ssx native-API server example, in plain C11.
 *
 * Listens on 127.0.0.1:PORT, accepts one secured connection, asks what was negotiated and who
 * the client is (with the size probe ssx.h describes), impersonates the client and reverts,
 * then echoes everything until the client's end.
 *
 * Credentials come from the administrator's policy: SSX_POLICY=server.toml ./server 4433
 * (make a development one with: ssx pki init pki && ssx pki issue pki server --dns server.example)
 *
 * The examples in the other languages mirror this program line for line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ssx/ssx.h>

/* Every ssx failure comes with a message that says what to do. */
static int fail(const char *what) {
    fprintf(stderr, "server: %s failed: %s (%s)\n", what, ssx_last_error_message(),
            ssx_error_name(ssx_last_error()));
    return 1;
}

static const char *tls_version_name(uint32_t v) {
    return v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : "none";
}

/* Queries the connection: first with no buffer, which fails with SSX_E_BUFFER_TOO_SMALL and tells
 * the size to allocate (a newer library may have a larger struct), then for real. The caller
 * frees the result and closes its tokens. */
static ssx_query_info *query(int fd) {
    ssx_query_template tmpl = SSX_QUERY_TEMPLATE_INIT;
    tmpl.peer_token_access_mask = SSX_TOKEN_QUERY; /* we want the peer's token, to read it */
    size_t len = 0;
    if (ssx_query_socket_security(fd, &tmpl, NULL, &len) == 0 || ssx_last_error() != SSX_E_BUFFER_TOO_SMALL) {
        return NULL;
    }
    if (len < sizeof(ssx_query_info)) len = sizeof(ssx_query_info);
    ssx_query_info *info = calloc(1, len);
    if (info && ssx_query_socket_security(fd, &tmpl, info, &len) != 0) {
        free(info);
        return NULL;
    }
    return info;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 4433;
    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a pipe */

    /* 1. Security before bind: the listener's settings pass to every accepted socket. */
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
        perror("socket");
        return 1;
    }
    if (ssx_set_socket_security(listener, NULL) != 0) return fail("ssx_set_socket_security");
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &addr_len) != 0) {
        perror("bind/listen");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));

    /* 2. Accept: TCP accept plus the TLS handshake, bounded by the handshake deadline. */
    int fd = ssx_accept(listener, NULL, NULL);
    if (fd < 0) return fail("ssx_accept");

    /* 3. Who is it, and how are we talking? */
    ssx_query_info *info = query(fd);
    if (!info) return fail("ssx_query_socket_security");
    printf("peer: %s\n", ssx_token_name(info->peer_application_token));
    printf("tls: %s, %s, %s\n", tls_version_name(info->tls_version), info->cipher,
           (info->tls_flags & SSX_TLS_RESUMED) ? "resumed" : "new session");

    /* 4. Act as the client on this thread, then be ourselves again. */
    if (ssx_impersonate_socket_peer(fd, NULL, 0) != 0) return fail("ssx_impersonate_socket_peer");
    ssx_token *thread_token = NULL;
    if (ssx_get_thread_token(&thread_token) != 0) return fail("ssx_get_thread_token");
    printf("impersonating: %s\n", ssx_token_name(thread_token));
    ssx_token_close(thread_token);
    if (ssx_revert_impersonation() != 0) return fail("ssx_revert_impersonation");
    if (ssx_get_thread_token(&thread_token) != 0) return fail("ssx_get_thread_token");
    int still_impersonating = thread_token != NULL; /* NULL: the thread impersonates nobody */
    printf("reverted: %s\n", still_impersonating ? "STILL IMPERSONATING" : "the thread is itself again");
    ssx_token_close(thread_token);

    /* 5. Echo until the client's end, then close our side. */
    char buf[4096];
    size_t total = 0;
    for (;;) {
        ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
        if (n < 0) return fail("ssx_recv");
        if (n == 0) break;
        if (ssx_send(fd, buf, (size_t)n, 0) != n) return fail("ssx_send");
        total += (size_t)n;
    }
    printf("echoed %zu bytes\n", total);

    ssx_token_close(info->peer_application_token);
    ssx_token_close(info->peer_machine_token);
    free(info);
    if (ssx_close(fd) != 0) return fail("ssx_close");
    close(listener);
    return still_impersonating ? 1 : 0;
}
