/*
 * tcpserver.c: the secure TCP server of Microsoft's Winsock Secure Socket Extensions SDK sample
 * (Windows-classic-samples, Win7Samples/netds/winsock/securesocket/stcpserver), written for Linux
 * against ssx/winsock.h. The Windows calls are kept; every line that had to change for Linux is
 * marked "PORT:" and listed in docs/porting-from-winsock.md.
 *
 *   SSX_POLICY=server.toml ./tcpserver [PORT [CLIENTS]]
 *
 * Listens on 127.0.0.1:PORT (default 27015; 0 picks a free port and prints it), serves CLIENTS
 * connections (default 1): receives a request, impersonates the client to check its access,
 * reverts, and replies.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssx/winsock.h> /* PORT: instead of <winsock2.h>, <mstcpip.h>, <ws2tcpip.h> */

#define DEFAULT_PORT 27015
#define RECV_DATA_BUF_SIZE 256

/* Who may use this service. On Windows the sample opens resources while impersonating, so their
 * ACLs decide; here the impersonated principal is checked by name. */
static const char *const allowed_clients[] = {"spiffe://test/client", NULL};

static void print_error(const char *function) {
    fprintf(stderr, "%s failed with error %d: %s\n", function, WSAGetLastError(), ssx_last_error_message());
}

/* PORT: the thread's identity while impersonating is an ssx token (Windows: OpenThreadToken). */
static int access_check_as_client(void) {
    ssx_token *me = NULL;
    const char *name;
    int granted = 0, i;
    if (ssx_get_thread_token(&me) != 0 || !me) return 0;
    name = ssx_token_name(me);
    printf("impersonating: %s\n", name ? name : "?");
    for (i = 0; name && allowed_clients[i]; ++i) {
        if (strcmp(name, allowed_clients[i]) == 0) granted = 1;
    }
    ssx_token_close(me);
    return granted;
}

static int serve(SOCKET clientSock) {
    char request[RECV_DATA_BUF_SIZE];
    const char reply[] = "Hello from the secure server";
    WSABUF wsaBuf;
    DWORD bytes = 0, flags = 0;
    int granted;

    wsaBuf.len = sizeof request - 1;
    wsaBuf.buf = request;
    if (WSARecv(clientSock, &wsaBuf, 1, &bytes, &flags, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSARecv");
        return 1;
    }
    request[bytes] = '\0';
    printf("received: %s\n", request);

    /* Impersonate on the accepted socket (the address is ignored for TCP), check, revert. */
    if (WSAImpersonateSocketPeer(clientSock, NULL, 0) == SOCKET_ERROR) {
        print_error("WSAImpersonateSocketPeer");
        return 1;
    }
    granted = access_check_as_client();
    if (WSARevertImpersonation() == SOCKET_ERROR) {
        print_error("WSARevertImpersonation");
        return 1;
    }
    printf("access: %s\n", granted ? "granted" : "denied");
    if (!granted) return 1;

    wsaBuf.len = (ULONG)strlen(reply);
    wsaBuf.buf = (char *)reply;
    if (WSASend(clientSock, &wsaBuf, 1, &bytes, 0, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSASend");
        return 1;
    }
    printf("sent: %s\n", reply);
    return 0;
}

int main(int argc, char **argv) {
    WSADATA wsaData;
    SOCKET listenSock = INVALID_SOCKET, clientSock;
    SOCKET_SECURITY_SETTINGS securitySettings;
    struct sockaddr_in serverAddr;
    socklen_t addrLen = sizeof serverAddr; /* PORT: socklen_t, not int, for getsockname */
    int port = argc > 1 ? atoi(argv[1]) : DEFAULT_PORT;
    int clients = argc > 2 ? atoi(argv[2]) : 1;
    int rc = 0, i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (WSAStartup(MAKEWORD(2, 2), &wsaData) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }

    memset(&securitySettings, 0, sizeof securitySettings);
    securitySettings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    securitySettings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;

    listenSock = WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    if (listenSock == INVALID_SOCKET) {
        print_error("WSASocket");
        rc = 1;
        goto cleanup;
    }
    /* Security on the listening socket, before bind; accepted sockets inherit it. */
    if (WSASetSocketSecurity(listenSock, &securitySettings, sizeof securitySettings, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSASetSocketSecurity");
        rc = 1;
        goto cleanup;
    }
    memset(&serverAddr, 0, sizeof serverAddr);
    serverAddr.sin_family = AF_INET;
    serverAddr.sin_port = htons((unsigned short)port);
    serverAddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* the sample binds any address */
    if (bind(listenSock, (struct sockaddr *)&serverAddr, sizeof serverAddr) != 0 || listen(listenSock, 10) != 0) {
        perror("bind/listen"); /* PORT: plain socket calls report through errno */
        rc = 1;
        goto cleanup;
    }
    getsockname(listenSock, (struct sockaddr *)&serverAddr, &addrLen);
    printf("listening on 127.0.0.1:%d\n", ntohs(serverAddr.sin_port));

    for (i = 0; i < clients; ++i) {
        /* Returns once the client is authenticated; a client that fails is dropped with the reason. */
        clientSock = WSAAccept(listenSock, NULL, NULL, NULL, 0);
        if (clientSock == INVALID_SOCKET) { /* (the SDK sample tests listenSock here: a bug) */
            print_error("WSAAccept");
            rc = 1;
            continue;
        }
        if (serve(clientSock) != 0) rc = 1;
        closesocket(clientSock);
    }

cleanup:
    if (listenSock != INVALID_SOCKET) closesocket(listenSock);
    WSACleanup();
    return rc;
}
