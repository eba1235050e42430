/*
 * tcpclient.c: the secure TCP client of Microsoft's Winsock Secure Socket Extensions SDK sample
 * (Windows-classic-samples, Win7Samples/netds/winsock/securesocket/stcpclient), written for Linux
 * against ssx/winsock.h. The Windows calls are kept; every line that had to change for Linux is
 * marked "PORT:" and listed in docs/porting-from-winsock.md.
 *
 *   SSX_POLICY=client.toml ./tcpclient SERVER_FQDN [ADDRESS [PORT [MESSAGE]]]
 *
 * Connects to ADDRESS (default: SERVER_FQDN) on PORT (default 27015) and requires the server to
 * prove the SPN host/SERVER_FQDN. Credentials come from the administrator's policy (SSX_POLICY).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <ssx/winsock.h> /* PORT: instead of <winsock2.h>, <mstcpip.h>, <ws2tcpip.h> */

#define DEFAULT_PORT "27015"
#define RECV_DATA_BUF_SIZE 256

static void print_error(const char *function) {
    /* PORT: ssx_last_error_message() adds a sentence saying what went wrong and what to do. */
    fprintf(stderr, "%s failed with error %d: %s\n", function, WSAGetLastError(), ssx_last_error_message());
}

/* The §5.3 pattern: probe for the size (WSAEFAULT), allocate, query for real. With a template
 * asking for TOKEN_QUERY the peer's token comes back too. */
static int query_and_print(SOCKET sock) {
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO *info = NULL;
    ULONG len = 0;
    ssx_token *peer;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    tmpl.PeerTokenAccessMask = TOKEN_QUERY;
    if (WSAQuerySocketSecurity(sock, NULL, 0, NULL, &len, NULL, NULL) != SOCKET_ERROR ||
        WSAGetLastError() != WSAEFAULT) {
        print_error("WSAQuerySocketSecurity (size probe)");
        return 1;
    }
    info = (SOCKET_SECURITY_QUERY_INFO *)calloc(1, len);
    if (!info) return 1;
    if (WSAQuerySocketSecurity(sock, &tmpl, sizeof tmpl, info, &len, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSAQuerySocketSecurity");
        free(info);
        return 1;
    }
    printf("secured: %s, encrypted: %s\n", (info->Flags & SOCKET_INFO_CONNECTION_SECURED) ? "yes" : "no",
           (info->Flags & SOCKET_INFO_CONNECTION_ENCRYPTED) ? "yes" : "no");
    /* PORT: a token HANDLE is an ssx_token*; the native accessors read it (Windows: GetTokenInformation). */
    peer = (ssx_token *)(uintptr_t)info->PeerApplicationAccessTokenHandle;
    printf("peer: %s\n", peer ? ssx_token_name(peer) : "(no token)");
    if (info->PeerApplicationAccessTokenHandle) CloseHandle((HANDLE)(uintptr_t)info->PeerApplicationAccessTokenHandle);
    if (info->PeerMachineAccessTokenHandle) CloseHandle((HANDLE)(uintptr_t)info->PeerMachineAccessTokenHandle);
    free(info);
    return 0;
}

int main(int argc, char **argv) {
    WSADATA wsaData;
    SOCKET sock = INVALID_SOCKET;
    struct addrinfo hints, *result = NULL, *ai;
    SOCKET_SECURITY_SETTINGS securitySettings;
    SOCKET_PEER_TARGET_NAME *peerTargetName = NULL;
    ULONG peerTargetNameLen;
    wchar_t serverSpn[512];
    char received[RECV_DATA_BUF_SIZE];
    WSABUF wsaBuf;
    DWORD bytes = 0, flags = 0;
    const char *fqdn, *address, *port, *message;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SERVER_FQDN [ADDRESS [PORT [MESSAGE]]]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fqdn = argv[1];
    address = argc > 2 ? argv[2] : fqdn;
    port = argc > 3 ? argv[3] : DEFAULT_PORT;
    message = argc > 4 ? argv[4] : "Hello from the secure client";

    if (WSAStartup(MAKEWORD(2, 2), &wsaData) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }

    /* PORT: getaddrinfo with char strings (Windows: GetAddrInfoW with wide strings). */
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (getaddrinfo(address, port, &hints, &result) != 0) {
        fprintf(stderr, "getaddrinfo(%s) failed\n", address);
        goto cleanup;
    }

    /* PORT: Windows builds the SPN with DsMakeSpn(L"host", fqdn, ...): the result is "host/<fqdn>". */
    swprintf(serverSpn, sizeof serverSpn / sizeof serverSpn[0], L"host/%s", fqdn);

    /* Basic settings: the default protocol (TLS here, IPsec on Windows), encryption required. */
    memset(&securitySettings, 0, sizeof securitySettings);
    securitySettings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    securitySettings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;

    for (ai = result; ai != NULL; ai = ai->ai_next) {
        sock = WSASocket(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0, 0);
        if (sock == INVALID_SOCKET) {
            print_error("WSASocket");
            goto cleanup;
        }
        /* Security before connect. */
        if (WSASetSocketSecurity(sock, &securitySettings, sizeof securitySettings, NULL, NULL) == SOCKET_ERROR) {
            print_error("WSASetSocketSecurity");
            goto cleanup;
        }
        /* The target name: a zeroed buffer (PeerAddress all zero: any peer), the length in
         * characters, the string without a terminator. */
        peerTargetNameLen = (ULONG)(sizeof(SOCKET_PEER_TARGET_NAME) + wcslen(serverSpn) * sizeof(wchar_t));
        peerTargetName = (SOCKET_PEER_TARGET_NAME *)calloc(1, peerTargetNameLen); /* PORT: HeapAlloc */
        if (!peerTargetName) goto cleanup;
        peerTargetName->SecurityProtocol = securitySettings.SecurityProtocol;
        peerTargetName->PeerTargetNameStringLen = (ULONG)wcslen(serverSpn);
        memcpy(peerTargetName->AllStrings, serverSpn, wcslen(serverSpn) * sizeof(wchar_t));
        if (WSASetSocketPeerTargetName(sock, peerTargetName, peerTargetNameLen, NULL, NULL) == SOCKET_ERROR) {
            print_error("WSASetSocketPeerTargetName");
            goto cleanup;
        }
        /* When WSAConnect returns, the connection is secured and the server proved the SPN. */
        if (WSAConnect(sock, ai->ai_addr, (int)ai->ai_addrlen, NULL, NULL, NULL, NULL) == SOCKET_ERROR) {
            print_error("WSAConnect");
            closesocket(sock);
            sock = INVALID_SOCKET;
            free(peerTargetName);
            peerTargetName = NULL;
            continue;
        }
        break;
    }
    if (sock == INVALID_SOCKET) goto cleanup;
    printf("connected to %s as %ls at %s:%s\n", fqdn, serverSpn, address, port);

    wsaBuf.len = (ULONG)strlen(message);
    wsaBuf.buf = (char *)message;
    if (WSASend(sock, &wsaBuf, 1, &bytes, 0, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSASend");
        goto cleanup;
    }
    printf("sent: %s\n", message);

    wsaBuf.len = sizeof received - 1;
    wsaBuf.buf = received;
    flags = 0;
    if (WSARecv(sock, &wsaBuf, 1, &bytes, &flags, NULL, NULL) == SOCKET_ERROR) {
        print_error("WSARecv");
        goto cleanup;
    }
    received[bytes] = '\0';
    printf("received: %s\n", received);

    if (query_and_print(sock) != 0) goto cleanup;
    rc = 0;

cleanup:
    /* closesocket sends TLS close_notify (Windows: tears down the IPsec filters and policy). */
    if (sock != INVALID_SOCKET) closesocket(sock);
    free(peerTargetName);
    if (result) freeaddrinfo(result);
    WSACleanup();
    return rc;
}
