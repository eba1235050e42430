/*
 * ssx/winsock.h — the Windows Secure Socket Extensions API on Linux.
 *
 * C and C++ code written for the Windows "Winsock Secure Socket Extensions" (WSASetSocketSecurity,
 * WSASetSocketPeerTargetName, WSAQuerySocketSecurity, WSAImpersonateSocketPeer, ...) compiles and
 * runs against this header with few edits. The functions are exported by the same libssx.so as the
 * native API (link with -lssx, or `pkg-config --libs ssx`); no companion library is needed.
 * Porting guide, with a before/after of Microsoft's SDK sample: docs/porting-from-winsock.md.
 *
 * Include this header instead of <winsock2.h>, <mstcpip.h> and <ws2tcpip.h>. It includes the
 * Linux socket headers and ssx/ssx.h, so native ssx_* calls may be mixed in freely.
 *
 * What is the same as on Windows
 *   - Names, constant values, struct field order and the offsets of every field whose type has the
 *     same size on both platforms (checked by tests/winsock/layout_test.cpp).
 *   - The six functions and WSAIoctl's SIO_SET_SECURITY, SIO_SET_PEER_TARGET_NAME,
 *     SIO_DELETE_PEER_TARGET_NAME and SIO_QUERY_SECURITY: the typed functions are wrappers over
 *     the same internal ioctl dispatch, so both paths behave identically.
 *   - Return values (0 / SOCKET_ERROR / INVALID_SOCKET) and WSAGetLastError() codes (WSAE*).
 *
 * What differs (and why)
 *   - SOCKET is a Linux file descriptor (int); INVALID_SOCKET is -1. Plain Linux calls (bind,
 *     listen, getsockname, setsockopt) take it directly.
 *   - wchar_t is 4 bytes (UTF-32) on Linux, 2 bytes (UTF-16) on Windows. AllStrings is wchar_t so
 *     that L"..." and wcslen() work unchanged; the fixed parts of the structs keep the Windows
 *     offsets (AllStrings starts at 140 in SOCKET_PEER_TARGET_NAME and at 84 in
 *     SOCKET_SECURITY_SETTINGS_IPSEC, sizeof is 144 and 88, as on Windows), but the string bytes
 *     are twice as many. Buffers built with sizeof arithmetic are therefore accepted as they are;
 *     a buffer copied byte-for-byte from Windows is not.
 *   - AF_INET6 is 10 on Linux, 23 on Windows: code using the macro is fine; a hard-coded 23 fails
 *     with WSAEAFNOSUPPORT. SOL_SOCKET and the MSG_* values are the Linux ones too.
 *   - The protocol is TLS 1.3 with mutual X.509 authentication, chosen by the administrator's
 *     policy (SSX_POLICY; docs/policy.md): SOCKET_SECURITY_PROTOCOL_DEFAULT selects it. IPsec is
 *     not available: SOCKET_SECURITY_PROTOCOL_IPSEC / IPSEC2 fail with WSAEOPNOTSUPP.
 *   - Data must go through WSASend/WSARecv (or ssx_send/ssx_recv) and connections through
 *     WSAConnect/WSAAccept: TLS lives in the library, not in the kernel as IPsec does, so plain
 *     send()/recv()/connect()/accept() on a secured socket would bypass it.
 *   - Only stream (TCP) sockets are secured in this release; every call on a datagram socket checks
 *     its arguments as Windows documents and then fails with WSAEOPNOTSUPP.
 *   - Overlapped I/O does not exist on Linux: every Overlapped and CompletionRoutine argument is
 *     ignored and calls complete synchronously, as Windows does for non-overlapped sockets.
 *
 * WSAStartup/WSACleanup are reference-counted as on Windows, and every function that takes a
 * SOCKET (and WSAIoctl, WSASocket*) fails with WSANOTINITIALISED while the count is zero. Four
 * functions work at any time: WSAGetLastError, WSASetLastError, CloseHandle, and
 * WSARevertImpersonation (a thread must always be able to stop impersonating).
 *
 * Errors: on failure a function returns SOCKET_ERROR (or INVALID_SOCKET / FALSE) and
 * WSAGetLastError() returns the WSAE* code; ssx_last_error() and ssx_last_error_message() hold the
 * native code and a sentence saying what happened and what to do, for Winsock calls as well.
 */
#ifndef SSX_WINSOCK_H
#define SSX_WINSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <wchar.h>

#include "ssx/ssx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mstcpip.h defines this once the secure socket types exist; ported code may test it. */
#define _SECURE_SOCKET_TYPES_DEFINED_

/* Explicit 8-byte alignment for the UINT64 and SOCKADDR_STORAGE members, so the layout is the
 * Windows one on 32-bit Linux too (GCC aligns uint64_t to 4 inside i386 structs, MSVC to 8). */
#if defined(__GNUC__)
#define SSX_WS_ALIGN8 __attribute__((aligned(8)))
#else
#define SSX_WS_ALIGN8
#endif

/* ---------------------------------------------------------------------------------------------
 * Windows base types (exact widths: Windows is LLP64, so ULONG and DWORD are 32-bit)
 * ------------------------------------------------------------------------------------------- */

#ifndef WSAAPI
#define WSAAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef FAR
#define FAR
#endif

typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef int32_t INT;
typedef int BOOL;
typedef char CHAR;
typedef wchar_t WCHAR;
typedef void *HANDLE;
typedef void *LPVOID;
typedef DWORD *LPDWORD;
typedef int *LPINT;
typedef uintptr_t DWORD_PTR;
typedef unsigned int GROUP;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define MAKEWORD(low, high) ((WORD)(((BYTE)(low)) | ((WORD)((BYTE)(high))) << 8))
#define LOBYTE(w) ((BYTE)((w) & 0xff))
#define HIBYTE(w) ((BYTE)(((WORD)(w) >> 8) & 0xff))

/* A socket is a Linux file descriptor. */
typedef int SOCKET;
#define INVALID_SOCKET (-1)
#define SOCKET_ERROR (-1)
#define NO_ERROR 0

/* shutdown() directions; the values equal SHUT_RD, SHUT_WR, SHUT_RDWR. For a secured socket call
 * ssx_shutdown() (it sends TLS close_notify first). */
#define SD_RECEIVE 0
#define SD_SEND 1
#define SD_BOTH 2

typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;

/* Linux's struct sockaddr_storage: 128 bytes, ss_family (2 bytes) first, as on Windows. */
typedef struct sockaddr SOCKADDR;
typedef struct sockaddr *PSOCKADDR;
typedef struct sockaddr *LPSOCKADDR;
typedef struct sockaddr_in SOCKADDR_IN;
typedef struct sockaddr_in6 SOCKADDR_IN6;
typedef struct sockaddr_storage SOCKADDR_STORAGE;
typedef struct sockaddr_storage *PSOCKADDR_STORAGE;

typedef struct _WSABUF {
    ULONG len; /* length of buf in bytes */
    CHAR *buf;
} WSABUF, *LPWSABUF;

/* Overlapped I/O does not exist on Linux. These are incomplete types, so the pointers can be
 * passed (NULL, as for non-overlapped sockets) but no OVERLAPPED can be declared: code that relies
 * on overlapped completion must be changed (docs/porting-from-winsock.md). */
typedef struct _OVERLAPPED OVERLAPPED;
typedef struct _OVERLAPPED WSAOVERLAPPED;
typedef struct _OVERLAPPED *LPWSAOVERLAPPED;
typedef void(CALLBACK *LPWSAOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwError, DWORD cbTransferred,
                                                          LPWSAOVERLAPPED lpOverlapped, DWORD dwFlags);

/* Not supported; incomplete types for the signatures only (pass NULL). */
typedef struct _QualityOfService QOS, *LPQOS;
typedef struct _WSAPROTOCOL_INFOW WSAPROTOCOL_INFOW, *LPWSAPROTOCOL_INFOW;
typedef struct _WSAPROTOCOL_INFOA WSAPROTOCOL_INFOA, *LPWSAPROTOCOL_INFOA;
typedef int(CALLBACK *LPCONDITIONPROC)(LPWSABUF lpCallerId, LPWSABUF lpCallerData, LPQOS lpSQOS,
                                       LPQOS lpGQOS, LPWSABUF lpCalleeId, LPWSABUF lpCalleeData,
                                       GROUP *g, DWORD_PTR dwCallbackData);

#define WSADESCRIPTION_LEN 256
#define WSASYS_STATUS_LEN 128

/* The 64-bit Windows layout of WSADATA. */
typedef struct WSAData {
    WORD wVersion;     /* the version the caller will use: min(requested, 2.2) */
    WORD wHighVersion; /* the highest version supported: 2.2 */
    unsigned short iMaxSockets; /* 0: ignore (as on Windows 2.x) */
    unsigned short iMaxUdpDg;   /* 0: ignore */
    char *lpVendorInfo;         /* NULL */
    char szDescription[WSADESCRIPTION_LEN + 1];
    char szSystemStatus[WSASYS_STATUS_LEN + 1];
} WSADATA, *LPWSADATA;

/* WSASocketW/WSASocketA dwFlags. WSA_FLAG_OVERLAPPED is accepted and ignored (Linux sockets are
 * never overlapped); WSA_FLAG_NO_HANDLE_INHERIT gives SOCK_CLOEXEC. Other flags: WSAEINVAL. */
#define WSA_FLAG_OVERLAPPED 0x01
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80

/* ---------------------------------------------------------------------------------------------
 * Error codes (WSAGetLastError) — the Windows values
 * ------------------------------------------------------------------------------------------- */

#define WSABASEERR 10000
#define WSAEINTR 10004
#define WSAEBADF 10009
#define WSAEACCES 10013
#define WSAEFAULT 10014
#define WSAEINVAL 10022
#define WSAEMFILE 10024
#define WSAEWOULDBLOCK 10035
#define WSAEINPROGRESS 10036
#define WSAEALREADY 10037
#define WSAENOTSOCK 10038
#define WSAEDESTADDRREQ 10039
#define WSAEMSGSIZE 10040
#define WSAEPROTOTYPE 10041
#define WSAENOPROTOOPT 10042
#define WSAEPROTONOSUPPORT 10043
#define WSAESOCKTNOSUPPORT 10044
#define WSAEOPNOTSUPP 10045
#define WSAEPFNOSUPPORT 10046
#define WSAEAFNOSUPPORT 10047
#define WSAEADDRINUSE 10048
#define WSAEADDRNOTAVAIL 10049
#define WSAENETDOWN 10050
#define WSAENETUNREACH 10051
#define WSAENETRESET 10052
#define WSAECONNABORTED 10053
#define WSAECONNRESET 10054
#define WSAENOBUFS 10055
#define WSAEISCONN 10056
#define WSAENOTCONN 10057
#define WSAESHUTDOWN 10058
#define WSAETIMEDOUT 10060
#define WSAECONNREFUSED 10061
#define WSAEHOSTUNREACH 10065
#define WSAVERNOTSUPPORTED 10092
#define WSANOTINITIALISED 10093
#define WSASYSCALLFAILURE 10107

/* Win32 codes returned through the same channel. */
#define WSA_INVALID_HANDLE 6
#define WSA_NOT_ENOUGH_MEMORY 8
#define WSA_INVALID_PARAMETER 87
#define WSA_OPERATION_ABORTED 995
#define WSA_IO_INCOMPLETE 996
#define WSA_IO_PENDING 997

/* ---------------------------------------------------------------------------------------------
 * Secure socket types and constants (mstcpip.h)
 * ------------------------------------------------------------------------------------------- */

typedef enum _SOCKET_SECURITY_PROTOCOL {
    SOCKET_SECURITY_PROTOCOL_DEFAULT = 0, /* the administrator's protocol: TLS */
    SOCKET_SECURITY_PROTOCOL_IPSEC = 1,   /* not available on Linux: WSAEOPNOTSUPP */
    SOCKET_SECURITY_PROTOCOL_IPSEC2 = 2,  /* not available on Linux: WSAEOPNOTSUPP */
    SOCKET_SECURITY_PROTOCOL_INVALID = 3, /* sentinel, never valid */
    /* ssx extension, past INVALID: TLS explicitly. Accepted wherever DEFAULT is, and reported in
     * SOCKET_SECURITY_QUERY_INFO.SecurityProtocol for a TLS-secured connection. */
    SOCKET_SECURITY_PROTOCOL_TLS = 4
} SOCKET_SECURITY_PROTOCOL, *PSOCKET_SECURITY_PROTOCOL;

/* SecurityFlags */
#define SOCKET_SETTINGS_GUARANTEE_ENCRYPTION 0x00000001 /* refuse any suite without encryption */
#define SOCKET_SETTINGS_ALLOW_INSECURE 0x00000002       /* clear text if the peer has no TLS */

/* IpsecFlags (SOCKET_SECURITY_SETTINGS_IPSEC only; IPsec is not available on Linux) */
#define SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION 0x00000001
#define SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION 0x00000002
#define SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED 0x00000004
#define SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT 0x00000008

/* SOCKET_SECURITY_QUERY_INFO.Flags */
#define SOCKET_INFO_CONNECTION_SECURED 0x00000001
#define SOCKET_INFO_CONNECTION_ENCRYPTED 0x00000002
#define SOCKET_INFO_CONNECTION_IMPERSONATED 0x00000004 /* the calling thread impersonates the peer */

/* SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 */
#define SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE 0x1
#define SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID 0x1
#define SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID 0x2

/* Token access rights for PeerTokenAccessMask (winnt.h values; the same as SSX_TOKEN_*). Reading a
 * token's contents with the ssx_token_* accessors needs TOKEN_QUERY (TOKEN_READ and
 * TOKEN_ALL_ACCESS include it). */
#define TOKEN_ASSIGN_PRIMARY 0x0001
#define TOKEN_DUPLICATE 0x0002
#define TOKEN_IMPERSONATE 0x0004
#define TOKEN_QUERY 0x0008
#define TOKEN_QUERY_SOURCE 0x0010
#define TOKEN_ADJUST_PRIVILEGES 0x0020
#define TOKEN_ADJUST_GROUPS 0x0040
#define TOKEN_ADJUST_DEFAULT 0x0080
#define TOKEN_ADJUST_SESSIONID 0x0100
#define STANDARD_RIGHTS_REQUIRED 0x000F0000
#define TOKEN_READ 0x00020008
#define TOKEN_ALL_ACCESS 0x000F01FF

/* Offsets (bytes) are the Windows ones; sizes in brackets. */
typedef struct _SOCKET_SECURITY_SETTINGS {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol; /* 0 [4] */
    ULONG SecurityFlags;                       /* 4 [4]  SOCKET_SETTINGS_* */
} SOCKET_SECURITY_SETTINGS, *PSOCKET_SECURITY_SETTINGS; /* sizeof 8 */

typedef struct _SOCKET_SECURITY_SETTINGS_IPSEC {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol; /* 0 [4]  must be SOCKET_SECURITY_PROTOCOL_IPSEC */
    ULONG SecurityFlags;                       /* 4 [4] */
    ULONG IpsecFlags;                          /* 8 [4] */
    GUID AuthipMMPolicyKey;                    /* 12 [16] */
    GUID AuthipQMPolicyKey;                    /* 28 [16] */
    GUID Reserved;                             /* 44 [16] */
    SSX_WS_ALIGN8 UINT64 Reserved2;            /* 64 [8] */
    ULONG UserNameStringLen;                   /* 72 [4]  bytes */
    ULONG DomainNameStringLen;                 /* 76 [4]  bytes */
    ULONG PasswordStringLen;                   /* 80 [4]  bytes */
    wchar_t AllStrings[1];                     /* 84      user name, domain, password; no NULs */
} SOCKET_SECURITY_SETTINGS_IPSEC, *PSOCKET_SECURITY_SETTINGS_IPSEC; /* sizeof 88 */

typedef struct _SOCKET_PEER_TARGET_NAME {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;  /* 0 [4] */
    SSX_WS_ALIGN8 SOCKADDR_STORAGE PeerAddress; /* 8 [128]  all zero / AF_UNSPEC = any peer */
    ULONG PeerTargetNameStringLen;              /* 136 [4]  CHARACTERS (wcslen), not bytes */
    wchar_t AllStrings[1];                      /* 140      the name; no terminator needed */
} SOCKET_PEER_TARGET_NAME, *PSOCKET_PEER_TARGET_NAME; /* sizeof 144 */

typedef struct _SOCKET_SECURITY_QUERY_TEMPLATE {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;  /* 0 [4] */
    SSX_WS_ALIGN8 SOCKADDR_STORAGE PeerAddress; /* 8 [128]  ignored for stream sockets */
    ULONG PeerTokenAccessMask;                  /* 136 [4]  0 = no token handles */
} SOCKET_SECURITY_QUERY_TEMPLATE, *PSOCKET_SECURITY_QUERY_TEMPLATE; /* sizeof 144 */

typedef struct _SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;  /* 0 [4] */
    SSX_WS_ALIGN8 SOCKADDR_STORAGE PeerAddress; /* 8 [128] */
    ULONG PeerTokenAccessMask;                  /* 136 [4] */
    ULONG Flags;                                /* 140 [4] */
    ULONG FieldMask;                            /* 144 [4] */
} SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2, *PSOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2; /* sizeof 152 */

/* Token handles: an ssx_token* widened to 64 bits; 0 = none. The caller owns each non-zero handle
 * and closes it with CloseHandle((HANDLE)(uintptr_t)h). The native accessors take it as
 *   ssx_token *t = (ssx_token *)(uintptr_t)info->PeerApplicationAccessTokenHandle;
 *   const char *who = ssx_token_name(t);
 * (close it with CloseHandle or ssx_token_close, not both). */
typedef struct _SOCKET_SECURITY_QUERY_INFO {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;            /* 0 [4]  TLS when secured, else DEFAULT */
    ULONG Flags;                                          /* 4 [4]  SOCKET_INFO_CONNECTION_* */
    SSX_WS_ALIGN8 UINT64 PeerApplicationAccessTokenHandle; /* 8 [8]  the peer's certificate identity */
    SSX_WS_ALIGN8 UINT64 PeerMachineAccessTokenHandle;     /* 16 [8] always 0: TLS proves one identity */
} SOCKET_SECURITY_QUERY_INFO, *PSOCKET_SECURITY_QUERY_INFO; /* sizeof 24 */

typedef struct _SOCKET_SECURITY_QUERY_INFO_IPSEC2 {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;            /* 0 [4] */
    ULONG Flags;                                          /* 4 [4] */
    SSX_WS_ALIGN8 UINT64 PeerApplicationAccessTokenHandle; /* 8 [8] */
    SSX_WS_ALIGN8 UINT64 PeerMachineAccessTokenHandle;     /* 16 [8] */
    SSX_WS_ALIGN8 UINT64 MmSaId;                           /* 24 [8] */
    SSX_WS_ALIGN8 UINT64 QmSaId;                           /* 32 [8] */
    UINT32 NegotiationWinerr;                             /* 40 [4] */
    GUID SaLookupContext;                                 /* 44 [16] */
} SOCKET_SECURITY_QUERY_INFO_IPSEC2, *PSOCKET_SECURITY_QUERY_INFO_IPSEC2; /* sizeof 64 */

/* WSAIoctl control codes: _WSAIOW/_WSAIORW(IOC_VENDOR, n). */
#define IOC_VOID 0x20000000
#define IOC_OUT 0x40000000
#define IOC_IN 0x80000000
#define IOC_INOUT (IOC_IN | IOC_OUT)
#define IOC_VENDOR 0x18000000
#define _WSAIOW(x, y) (IOC_IN | (x) | (y))
#define _WSAIOR(x, y) (IOC_OUT | (x) | (y))
#define _WSAIORW(x, y) (IOC_INOUT | (x) | (y))
#define SIO_SET_SECURITY _WSAIOW(IOC_VENDOR, 200)            /* 0x980000C8 */
#define SIO_QUERY_SECURITY _WSAIORW(IOC_VENDOR, 201)         /* 0xD80000C9 */
#define SIO_SET_PEER_TARGET_NAME _WSAIOW(IOC_VENDOR, 202)    /* 0x980000CA */
#define SIO_DELETE_PEER_TARGET_NAME _WSAIOW(IOC_VENDOR, 203) /* 0x980000CB */

/* ---------------------------------------------------------------------------------------------
 * Startup and errors
 * ------------------------------------------------------------------------------------------- */

/* Reference-counted initialisation. Returns 0, or the error code itself (not through
 * WSAGetLastError): WSAVERNOTSUPPORTED for a requested major version of 0, WSAEFAULT when
 * lpWSAData is NULL. Versions 1.0 to 2.2 are accepted; wVersion = min(requested, 2.2). */
SSX_API int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData);

/* Undoes one WSAStartup. SOCKET_ERROR with WSANOTINITIALISED when the count is already zero.
 * Sockets stay open (close them with closesocket first, as on Windows). */
SSX_API int WSAAPI WSACleanup(void);

/* The calling thread's WSAE* code of the last failed Winsock or ssx_* call, or the value set by
 * WSASetLastError, whichever came last. A successful call does not reset it (as on Windows).
 * For a failed native ssx_* call it is that call's code mapped to WSAE* (read it right after the
 * call: codes that carry a system errno are mapped from errno). Never fails. */
SSX_API int WSAAPI WSAGetLastError(void);
SSX_API void WSAAPI WSASetLastError(int iError);

/* ---------------------------------------------------------------------------------------------
 * Sockets and data
 * ------------------------------------------------------------------------------------------- */

/* socket(af, type, protocol). lpProtocolInfo must be NULL and g 0 (else WSAEINVAL); dwFlags: see
 * WSA_FLAG_*. Returns INVALID_SOCKET on failure (socket()'s errno mapped to WSAE*). */
SSX_API SOCKET WSAAPI WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 GROUP g, DWORD dwFlags);
SSX_API SOCKET WSAAPI WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                 GROUP g, DWORD dwFlags);
#define WSASocket WSASocketW

/* Connects. On a socket secured with WSASetSocketSecurity this is ssx_connect(): it returns 0 only
 * once TLS is negotiated and the peer proved the target name (errors: WSAEACCES for a peer that
 * does not verify or does not match, WSAEDESTADDRREQ without a target name, WSAECONNREFUSED,
 * WSAETIMEDOUT, ...; ssx_last_error_message() says which). A socket without security connects in
 * clear text, exactly as on Windows. Connect data (lpCallerData with len > 0) and QOS are not
 * supported (WSAEOPNOTSUPP); lpCalleeData->len is set to 0.
 * Non-blocking secured sockets: SOCKET_ERROR with WSAEWOULDBLOCK; finish with ssx_handshake(). */
SSX_API int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,
                              LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS);

/* Accepts. On a secured listener this is ssx_accept(): the new socket inherits the listener's
 * settings and is returned only after the handshake; a client that fails the handshake is dropped
 * and INVALID_SOCKET returned with the reason (call WSAAccept again). lpfnCondition must be NULL
 * (condition functions are not supported: WSAEOPNOTSUPP). */
SSX_API SOCKET WSAAPI WSAAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                                DWORD_PTR dwCallbackData);

/* Gather-send / scatter-receive over the secured data path (ssx_send/ssx_recv; plain send/recv for
 * a socket without security). dwFlags / *lpFlags: 0, MSG_DONTWAIT, MSG_NOSIGNAL (SIGPIPE is
 * never raised), and for WSARecv MSG_PEEK and MSG_WAITALL; others fail with WSAEOPNOTSUPP on a
 * secured socket. *lpNumberOfBytes* receives the count (may be NULL). WSARecv returns 0 with
 * *lpNumberOfBytesRecvd == 0 at the peer's orderly end, fills the buffers in order, and sets
 * *lpFlags to 0. */
SSX_API int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
                           DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
SSX_API int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                           LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

/* ssx_close(): sends TLS close_notify and forgets the socket's security; token handles taken from
 * it stay valid. */
SSX_API int WSAAPI closesocket(SOCKET s);

/* Closes a token handle returned by WSAQuerySocketSecurity / SIO_QUERY_SECURITY. Returns TRUE, or
 * FALSE with WSAGetLastError() == WSA_INVALID_HANDLE for NULL, a handle already closed, or anything
 * that is not such a token handle (never a crash on a double close). */
SSX_API BOOL WSAAPI CloseHandle(HANDLE hObject);

/* ---------------------------------------------------------------------------------------------
 * The secure socket functions (Windows signatures; docs/porting-from-winsock.md lists every rule)
 * ------------------------------------------------------------------------------------------- */

/* SIO_SET_SECURITY, SIO_SET_PEER_TARGET_NAME, SIO_DELETE_PEER_TARGET_NAME: lpvInBuffer/cbInBuffer
 * are the typed function's struct and length; lpcbBytesReturned (if not NULL) receives 0.
 * SIO_QUERY_SECURITY: in = template, out = info buffer of cbOutBuffer bytes; *lpcbBytesReturned
 * (required: NULL gives WSAEFAULT) receives the bytes written, or the required size on failure.
 * Any other code: WSAEINVAL. */
SSX_API int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
                            LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                            LPWSAOVERLAPPED lpOverlapped,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

/* Before connect (client) or bind (listener); once per socket. NULL = defaults (the policy's).
 * Errors: WSAENOTSOCK, WSAEAFNOSUPPORT (not AF_INET/AF_INET6), WSAEINVAL (not stream/datagram,
 * bad protocol or flags, already set, already bound, policy or credential problem),
 * WSAEISCONN, WSAEMSGSIZE (length below 8, or below what SecurityProtocol's struct needs),
 * WSAEOPNOTSUPP (IPsec; datagram sockets), WSAEACCES (the policy forbids ALLOW_INSECURE). */
SSX_API INT WSAAPI WSASetSocketSecurity(SOCKET Socket, const SOCKET_SECURITY_SETTINGS *SecuritySettings,
                                        ULONG SecuritySettingsLen, LPWSAOVERLAPPED Overlapped,
                                        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);

/* Names the peer (UTF-32 wchar_t, PeerTargetNameStringLen characters) for PeerAddress (all zero
 * = any peer); before connect, after WSASetSocketSecurity. Accepted names: a Windows SPN
 * "service/host[:port][/name]" such as L"host/db.corp" is matched by its host part (DNS name or
 * IP address); a name without '/' is matched as given (DNS name, IP address, spiffe:// ID or
 * other URI; docs/target-names.md). A trailing L'\0' counted in the length is ignored.
 * Errors: WSAEFAULT (NULL), WSAEMSGSIZE (length < 140 + chars * sizeof(wchar_t)), WSAEINVAL
 * (empty, malformed or over-long name, invalid wchar_t, zero address on a datagram socket, no
 * WSASetSocketSecurity first), WSAEISCONN, WSAEAFNOSUPPORT, WSAEOPNOTSUPP (IPsec), WSAENOTSOCK. */
SSX_API INT WSAAPI WSASetSocketPeerTargetName(SOCKET Socket, const SOCKET_PEER_TARGET_NAME *PeerTargetName,
                                              ULONG PeerTargetNameLen, LPWSAOVERLAPPED Overlapped,
                                              LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);

/* Removes the name set for PeerAddr (an all-zero address = the any-peer entry).
 * Errors: WSAEFAULT (NULL), WSAEMSGSIZE, WSAEAFNOSUPPORT, WSAEINVAL (no name set for it),
 * WSAEISCONN, WSAENOTSOCK. */
SSX_API INT WSAAPI WSADeleteSocketPeerTargetName(SOCKET Socket, const struct sockaddr *PeerAddr,
                                                 ULONG PeerAddrLen, LPWSAOVERLAPPED Overlapped,
                                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);

/* After connect/accept. Template NULL (length 0) or a SOCKET_SECURITY_QUERY_TEMPLATE; a non-zero
 * PeerTokenAccessMask returns a token handle in PeerApplicationAccessTokenHandle.
 * Size negotiation: *SecurityQueryInfoLen is the buffer size on input; on failure it receives the
 * required size (24) in every case, on success the bytes written. A NULL template with a NULL info
 * on a stream socket is the documented size probe: WSAEFAULT. Every other too-small case:
 * WSAEMSGSIZE. Other errors: WSAEFAULT (SecurityQueryInfoLen NULL), WSAENOTCONN, WSAEINVAL (not
 * secured with WSASetSocketSecurity, bad template protocol), WSAEOPNOTSUPP (IPsec), WSAENOTSOCK. */
SSX_API INT WSAAPI WSAQuerySocketSecurity(SOCKET Socket, const SOCKET_SECURITY_QUERY_TEMPLATE *SecurityQueryTemplate,
                                          ULONG SecurityQueryTemplateLen, SOCKET_SECURITY_QUERY_INFO *SecurityQueryInfo,
                                          ULONG *SecurityQueryInfoLen, LPWSAOVERLAPPED Overlapped,
                                          LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);

/* The calling thread acts as the socket's peer until WSARevertImpersonation (nests). PeerAddr is
 * ignored for stream sockets (pass NULL, 0); when given it must still be a valid address.
 * Errors: WSAENOTCONN, WSAEACCES (clear-text connection, or the policy refuses the identity
 * switch), WSAEINVAL (not secured), WSAEMSGSIZE, WSAEAFNOSUPPORT, WSAEFAULT (NULL PeerAddr on a
 * datagram socket), WSAENOTSOCK, WSASYSCALLFAILURE (switching OS credentials failed). */
SSX_API INT WSAAPI WSAImpersonateSocketPeer(SOCKET Socket, const struct sockaddr *PeerAddr, ULONG PeerAddrLen);

/* Ends the calling thread's latest impersonation; does nothing (returns 0) when not impersonating.
 * Works even without WSAStartup. Error: WSASYSCALLFAILURE (restoring credentials failed). */
SSX_API INT WSAAPI WSARevertImpersonation(void);

#ifdef __cplusplus
}
#endif

#endif /* SSX_WINSOCK_H */
