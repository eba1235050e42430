/*
 * client.c: the ssx native-API client example, in plain C11.
 *
 * States the security it needs, names the server it expects, connects, sends a message, reads
 * the echo and prints what was negotiated and who the server proved to be.
 *
 *   SSX_POLICY=client.toml ./client HOST PORT TARGET_NAME [MESSAGE]
 *   e.g. ./client 127.0.0.1 4433 server.example "hello"
 *
 * The examples in the other languages mirror this program line for line.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ssx/ssx.h>

static int fail(const char *what) {
    fprintf(stderr, "client: %s failed: %s (%s)\n", what, ssx_last_error_message(),
            ssx_error_name(ssx_last_error()));
    return 1;
}

static const char *tls_version_name(uint32_t v) {
    return v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : "none";
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT TARGET_NAME [MESSAGE]\n", argv[0]);
        return 2;
    }
    const char *message = argc > 4 ? argv[4] : "hello from C";

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "client: cannot resolve %s: %s\n", argv[1], gai_strerror(rc));
        return 1;
    }

    /* 1. What this socket needs: TLS with encryption; credentials from the policy (SSX_POLICY). */
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    ssx_security_settings settings = SSX_SECURITY_SETTINGS_INIT;
    settings.flags = SSX_SETTINGS_GUARANTEE_ENCRYPTION;
    if (ssx_set_socket_security(fd, &settings) != 0) return fail("ssx_set_socket_security");

    /* 2. Who the server must prove to be (DNS name, IP, spiffe://...), for any peer address. */
    if (ssx_set_peer_target_name(fd, NULL, 0, argv[3]) != 0) return fail("ssx_set_peer_target_name");

    /* 3. Connect: returns only once TLS is up and the server proved the target name. */
    if (ssx_connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) return fail("ssx_connect");
    freeaddrinfo(ai);

    /* 4. Send, end our side (the server then sees the end after every byte), read the echo. */
    size_t len = strlen(message);
    if (ssx_send(fd, message, len, 0) != (ssize_t)len) return fail("ssx_send");
    if (ssx_shutdown(fd, SHUT_WR) != 0) return fail("ssx_shutdown");
    printf("sent: %s\n", message);
    char reply[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = ssx_recv(fd, reply + got, sizeof reply - 1 - got, 0);
        if (n < 0) return fail("ssx_recv");
        if (n == 0 || (got += (size_t)n) == sizeof reply - 1) break;
    }
    reply[got] = '\0';
    printf("received: %s\n", reply);

    /* 5. What was negotiated, and who the server is (size probe, then the query). */
    ssx_query_template tmpl = SSX_QUERY_TEMPLATE_INIT;
    tmpl.peer_token_access_mask = SSX_TOKEN_QUERY;
    size_t info_len = 0;
    if (ssx_query_socket_security(fd, &tmpl, NULL, &info_len) == 0 || ssx_last_error() != SSX_E_BUFFER_TOO_SMALL) {
        return fail("ssx_query_socket_security (size probe)");
    }
    if (info_len < sizeof(ssx_query_info)) info_len = sizeof(ssx_query_info);
    ssx_query_info *info = calloc(1, info_len);
    if (!info) {
        perror("calloc");
        return 1;
    }
    if (ssx_query_socket_security(fd, &tmpl, info, &info_len) != 0) return fail("ssx_query_socket_security");
    printf("secured: %s, encrypted: %s\n", (info->flags & SSX_INFO_CONNECTION_SECURED) ? "yes" : "no",
           (info->flags & SSX_INFO_CONNECTION_ENCRYPTED) ? "yes" : "no");
    printf("tls: %s, %s, %s\n", tls_version_name(info->tls_version), info->cipher,
           (info->tls_flags & SSX_TLS_RESUMED) ? "resumed" : "new session");
    printf("peer: %s\n", ssx_token_name(info->peer_application_token));
    printf("sha256: %s\n", ssx_token_fingerprint(info->peer_application_token));

    ssx_token_close(info->peer_application_token);
    ssx_token_close(info->peer_machine_token);
    free(info);
    if (ssx_close(fd) != 0) return fail("ssx_close");
    return 0;
}
