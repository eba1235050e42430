/* ssx/winsock.h compiles on its own as strict C99, and a C program can use it the sample's way. */
#include "ssx/winsock.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

int main(void) {
    WSADATA data;
    const wchar_t *spn = L"host/server.test";
    size_t len = sizeof(SOCKET_PEER_TARGET_NAME) + wcslen(spn) * sizeof(wchar_t);
    SOCKET_PEER_TARGET_NAME *name = (SOCKET_PEER_TARGET_NAME *)calloc(1, len);
    int rc = 0;
    int p[2];
    if (!name || pipe(p) != 0) return 1;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0) return 2;
    name->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    name->PeerTargetNameStringLen = (ULONG)wcslen(spn);
    memcpy(name->AllStrings, spn, wcslen(spn) * sizeof(wchar_t));
    /* Not a socket: the call must fail cleanly with the Windows code. */
    if (WSASetSocketPeerTargetName(p[0], name, (ULONG)len, NULL, NULL) != SOCKET_ERROR) rc = 3;
    else if (WSAGetLastError() != WSAENOTSOCK) rc = 4;
    if (WSACleanup() != 0) rc = 5;
    free(name);
    close(p[0]);
    close(p[1]);
    return rc;
}
