/*
 * ssx.i — the one SWIG interface of ssx, over the C ABI (ssx/ssx.h), for C# and Java.
 *
 * What SWIG generates here is the raw interop layer (C#: namespace Ssx.Interop, internal; Java:
 * package-private classes of org.ssx). The idiomatic APIs (bindings/swig/dotnet, bindings/swig/java)
 * are written by hand on top of it. This file only marshals: every rule about security lives in
 * libssx.so.
 *
 * Errors, once for every function: after each call the generated wrapper reads the thread's
 * ssx_last_error(), errno and ssx_last_error_message() in the same native frame, on the same thread,
 * before anything else can run, and turns a failure into the language's SecureSocketException
 * (C#: Ssx.SecureSocketException; Java: org.ssx.SecureSocketException). Two kinds of failure are
 * results rather than exceptions, because callers handle them as normal control flow:
 *   - SSX_E_WANT_READ / SSX_E_WANT_WRITE of the I/O and handshake calls come back as the negative
 *     code (-SSX_E_WANT_READ, -SSX_E_WANT_WRITE), so a non-blocking caller waits and retries without
 *     the cost of an exception (and without a second call to read the code);
 *   - SSX_E_NOT_FOUND of the optional token fields (SPIFFE ID, mapped account) comes back as NULL/-1.
 *
 * Buffers are (pointer, length) pairs: C# passes a pinned IntPtr and its length, Java a byte[] whose
 * length SWIG takes from the array itself. Sizes are 64-bit (size_t, ssize_t) in both languages.
 *
 * The ssx_swig_* helpers below flatten ABI structs into arguments (no language needs to know their
 * layout) and build socket addresses from raw IP bytes. The few libc helpers at the end (dup for
 * .NET, wake for both, socket/bind/listen/timeouts for Java, whose sockets hide their descriptor)
 * manage descriptors the bindings own. None of them holds policy: every security rule is in libssx.so.
 */
%module SsxNative

%{
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssx/ssx.h"

/* The query result under a name of its own, so SWIG wraps a proxy of it (see the end of the file). */
typedef struct ssx_query_info ssx_swig_query_info;
%}

%include <stdint.i>

/* ------------------------------------------------------------------------------------------------
 * Sizes: 64-bit on Linux (SWIG's C# defaults assume a 32-bit long).
 * ---------------------------------------------------------------------------------------------- */
#ifdef SWIGCSHARP
%apply unsigned long long { size_t };
#else
%apply long long { size_t }; /* Java has no unsigned 64-bit integer; no ssx size comes near 2^63 */
#endif
%apply long long { ssize_t };
%apply int { socklen_t };

/* ------------------------------------------------------------------------------------------------
 * Raising SecureSocketException from the generated wrappers.
 * ---------------------------------------------------------------------------------------------- */
#if defined(SWIGCSHARP)

/* The managed side registers a callback that creates Ssx.SecureSocketException and leaves it
 * pending; the generated C# code throws it when the native call returns (SWIG's pending-exception
 * mechanism). */
%insert(runtime) %{
typedef void (SWIGSTDCALL *ssx_swig_error_callback)(int code, int sys_errno, const char *message);
static ssx_swig_error_callback ssx_swig_error_sink = NULL;

SWIGEXPORT void SWIGSTDCALL SsxSwigRegisterErrorCallback(ssx_swig_error_callback callback) {
    ssx_swig_error_sink = callback;
}

static void ssx_swig_raise(int code, int sys_errno, const char *message) {
    if (ssx_swig_error_sink) ssx_swig_error_sink(code, sys_errno, message);
}
%}

%pragma(csharp) imclasscode=%{
  // Registers the callback through which native code creates Ssx.SecureSocketException.
  class SsxErrorHelper {
    public delegate void ErrorDelegate(int code, int sysErrno, [global::System.Runtime.InteropServices.MarshalAs(global::System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string message);
    static readonly ErrorDelegate errorDelegate = SetPending;

    [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="SsxSwigRegisterErrorCallback")]
    static extern void SsxSwigRegisterErrorCallback(ErrorDelegate callback);

    static void SetPending(int code, int sysErrno, string message) {
      SWIGPendingException.Set(new global::Ssx.SecureSocketException(code, sysErrno, message));
    }

    static SsxErrorHelper() { SsxSwigRegisterErrorCallback(errorDelegate); }
  }
  static readonly SsxErrorHelper ssxErrorHelper = new SsxErrorHelper();
%}

%{
#define SSX_SWIG_RAISE(code, err, msg) ssx_swig_raise(code, err, msg)
%}

#elif defined(SWIGJAVA)

%insert(runtime) %{
/* Throws org.ssx.SecureSocketException(code, errno, message). The message goes over as UTF-8 bytes
 * (SecureSocketException.fromNative decodes them): JNI's NewStringUTF takes "modified UTF-8" and
 * must not be given the 4-byte sequences a peer-supplied name may contain. If the exception cannot
 * be created, the JVM's own error (NoClassDefFoundError, OutOfMemoryError) stays pending instead. */
static void ssx_swig_raise(JNIEnv *jenv, int code, int sys_errno, const char *message) {
    jclass cls = (*jenv)->FindClass(jenv, "org/ssx/SecureSocketException");
    if (!cls) return;
    jmethodID make = (*jenv)->GetStaticMethodID(jenv, cls, "fromNative", "(II[B)Lorg/ssx/SecureSocketException;");
    jsize len = (jsize)strlen(message);
    jbyteArray bytes = make ? (*jenv)->NewByteArray(jenv, len) : NULL;
    if (bytes) {
        (*jenv)->SetByteArrayRegion(jenv, bytes, 0, len, (const jbyte *)message);
        jobject ex = (*jenv)->CallStaticObjectMethod(jenv, cls, make, code, sys_errno, bytes);
        if (ex && !(*jenv)->ExceptionCheck(jenv)) (*jenv)->Throw(jenv, (jthrowable)ex);
        (*jenv)->DeleteLocalRef(jenv, bytes);
    }
    (*jenv)->DeleteLocalRef(jenv, cls);
}
%}

%pragma(java) moduleclassmodifiers="final class"
%pragma(java) jniclassclassmodifiers="final class"
/* libssx_java.so is loaded before the first native call, from next to ssx.jar (NativeLibrary). */
%pragma(java) jniclasscode=%{
  static {
    NativeLibrary.load();
  }
%}
%typemap(javaclassmodifiers) SWIGTYPE "final class"

%{
#define SSX_SWIG_RAISE(code, err, msg) ssx_swig_raise(jenv, code, err, msg)
%}

#else
#error "ssx.i supports C# and Java"
#endif

/* Reads the calling thread's error state right after $action and raises any failure, except the
 * codes for which ABSENT_WHEN (a condition on ssx_swig_code) holds: those leave the function's own
 * return value (NULL / -1 / a count) as the answer. */
%define SSX_SWIG_CHECKED(ABSENT_WHEN)
%{
    $action
    {
        const int ssx_swig_errno = errno;
        const int ssx_swig_code = ssx_last_error();
        if (ssx_swig_code != SSX_OK && !(ABSENT_WHEN)) {
            SSX_SWIG_RAISE(ssx_swig_code, ssx_swig_errno, ssx_last_error_message());
            return $null;
        }
    }
%}
%enddef

/* The same for the I/O and handshake calls (integer results): SSX_E_WANT_READ / SSX_E_WANT_WRITE
 * come back as the result -SSX_E_WANT_READ / -SSX_E_WANT_WRITE. */
%define SSX_SWIG_CHECKED_IO
%{
    $action
    {
        const int ssx_swig_errno = errno;
        const int ssx_swig_code = ssx_last_error();
        if (ssx_swig_code == SSX_E_WANT_READ || ssx_swig_code == SSX_E_WANT_WRITE) {
            result = -ssx_swig_code;
        } else if (ssx_swig_code != SSX_OK) {
            SSX_SWIG_RAISE(ssx_swig_code, ssx_swig_errno, ssx_last_error_message());
            return $null;
        }
    }
%}
%enddef

/* ------------------------------------------------------------------------------------------------
 * Buffers and token handles, per language.
 * ---------------------------------------------------------------------------------------------- */
#if defined(SWIGCSHARP)

%pragma(csharp) moduleclassmodifiers="internal class"
%typemap(csclassmodifiers) SWIGTYPE "internal class"
%pragma(csharp) imclassclassmodifiers="internal class"

/* Buffers: the managed caller pins the memory and passes its address. */
%apply void *VOID_INT_PTR { const void *buf, void *buf, const void *address, void *der_out, void *groups_out };

/* Tokens are Ssx.TokenHandle (a SafeHandle): the P/Invoke marshaller creates the handle together
 * with the native pointer (no window where a token could leak) and holds a reference on it for the
 * duration of each call (a token cannot be closed under a running call). */
%typemap(ctype) ssx_token *, const ssx_token * "void *"
%typemap(imtype) ssx_token *, const ssx_token * "global::Ssx.TokenHandle"
%typemap(cstype) ssx_token *, const ssx_token * "global::Ssx.TokenHandle"
%typemap(in) ssx_token *, const ssx_token * %{ $1 = ($1_ltype)$input; %}
%typemap(out) ssx_token *, const ssx_token * %{ $result = (void *)$1; %}
%typemap(csin) ssx_token *, const ssx_token * "$csinput"
%typemap(csout, excode=SWIGEXCODE) ssx_token *, const ssx_token * {
    global::Ssx.TokenHandle handle = $imcall;$excode
    return handle;
  }
/* ssx_token_close is what TokenHandle.ReleaseHandle calls: it takes the raw pointer. */
%apply void *VOID_INT_PTR { ssx_token *token_to_close };

#elif defined(SWIGJAVA)

/* Strings into C as real UTF-8: SWIG's default (GetStringUTFChars) hands C "modified UTF-8", which
 * encodes characters beyond U+FFFF as two 3-byte surrogates and NUL as C0 80, so ssx would see
 * other bytes than the text. Utf8.z() encodes in Java, NUL-terminated, and refuses strings that
 * contain NUL (C would read them cut short: "a.corp\0.evil" is not "a.corp"). */
%typemap(jni) const char *UTF8_IN "jbyteArray"
%typemap(jtype) const char *UTF8_IN "byte[]"
%typemap(jstype) const char *UTF8_IN "String"
%typemap(javain) const char *UTF8_IN "Utf8.z($javainput)"
%typemap(in) const char *UTF8_IN %{
  $1 = $input ? (char *)(*jenv)->GetByteArrayElements(jenv, $input, 0) : NULL;
%}
%typemap(freearg) const char *UTF8_IN %{
  if ($input && $1) (*jenv)->ReleaseByteArrayElements(jenv, $input, (jbyte *)$1, JNI_ABORT);
%}
%apply const char *UTF8_IN { const char *name, const char *certificate_file, const char *private_key_file,
                             const char *trust_file, const char *alpn };

%apply (char *STRING, size_t LENGTH) { (void *buf, size_t len), (void *der_out, size_t der_capacity),
                                       (void *groups_out, size_t groups_capacity) };
%apply (const char *STRING, size_t LENGTH) { (const void *buf, size_t len),
                                             (const void *address, size_t address_length) };

#endif

/* ------------------------------------------------------------------------------------------------
 * The header: constants and the functions that need no flattening.
 * ---------------------------------------------------------------------------------------------- */
%ignore ssx_security_settings;
%ignore ssx_query_template;
%ignore ssx_query_info;
%ignore ssx_set_socket_security;
%ignore ssx_set_peer_target_name;
%ignore ssx_delete_peer_target_name;
%ignore ssx_connect;
%ignore ssx_accept;
%ignore ssx_query_socket_security;
%ignore ssx_impersonate_socket_peer;
%ignore ssx_get_thread_token;
%ignore ssx_token_duplicate;
%ignore ssx_token_chain_der;
%ignore ssx_token_unix_account;
%ignore ssx_token_unix_groups;
%ignore ssx_token_close;
%ignore SSX_SECURITY_SETTINGS_INIT;
%ignore SSX_QUERY_TEMPLATE_INIT;
%ignore SSX_API;

#ifdef SWIGCSHARP
%csconst(1);
#else
%javaconst(1);
/* C's unsigned literals (0x1u) are not Java: these values are read from the library at class load. */
%javaconst(0) SSX_SETTINGS_GUARANTEE_ENCRYPTION;
%javaconst(0) SSX_SETTINGS_ALLOW_INSECURE;
%javaconst(0) SSX_TOKEN_ASSIGN_PRIMARY;
%javaconst(0) SSX_TOKEN_DUPLICATE;
%javaconst(0) SSX_TOKEN_IMPERSONATE;
%javaconst(0) SSX_TOKEN_QUERY;
%javaconst(0) SSX_TOKEN_QUERY_SOURCE;
%javaconst(0) SSX_TOKEN_ADJUST_PRIVILEGES;
%javaconst(0) SSX_TOKEN_ADJUST_GROUPS;
%javaconst(0) SSX_TOKEN_ADJUST_DEFAULT;
%javaconst(0) SSX_TOKEN_ADJUST_SESSIONID;
%javaconst(0) SSX_TOKEN_READ;
%javaconst(0) SSX_TOKEN_ALL_ACCESS;
%javaconst(0) SSX_INFO_CONNECTION_SECURED;
%javaconst(0) SSX_INFO_CONNECTION_ENCRYPTED;
%javaconst(0) SSX_INFO_CONNECTION_IMPERSONATED;
%javaconst(0) SSX_TLS_RESUMED;
#endif

/* SSX_EXCEPT attaches a check to the wrappers named (all, without a name); in Java it also declares
 * the checked SecureSocketException on the generated methods. */
#ifdef SWIGJAVA
%define SSX_EXCEPT %feature("except", throws="SecureSocketException") %enddef
%define SSX_NOEXCEPT %feature("except", "0", throws="") %enddef
#else
%define SSX_EXCEPT %feature("except", canthrow=1) %enddef
%define SSX_NOEXCEPT %feature("except", "0") %enddef
#endif

/* Nothing is checked unless named: constants and the calls that never fail (ssx_version,
 * ssx_last_error, ssx_error_name, the sizes, ssx_token_access_mask) must not look at the error
 * state, which holds the previous call's result. */
SSX_NOEXCEPT;

/* The calls of ssx.h that report through ssx_last_error(). */
SSX_EXCEPT ssx_handshake SSX_SWIG_CHECKED_IO
SSX_EXCEPT ssx_send SSX_SWIG_CHECKED_IO
SSX_EXCEPT ssx_recv SSX_SWIG_CHECKED_IO
SSX_EXCEPT ssx_shutdown SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_close SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_revert_impersonation SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_name SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_subject SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_spiffe_id SSX_SWIG_CHECKED(ssx_swig_code == SSX_E_NOT_FOUND)
SSX_EXCEPT ssx_token_fingerprint SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_name_count SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_name_at SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_chain_length SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_token_unix_user SSX_SWIG_CHECKED(ssx_swig_code == SSX_E_NOT_FOUND)

%include "ssx/ssx.h"

/* The flattening helpers below: all checked, some with their own rules. */
SSX_EXCEPT SSX_SWIG_CHECKED(0)
SSX_EXCEPT ssx_swig_connect SSX_SWIG_CHECKED_IO
SSX_EXCEPT ssx_swig_accept SSX_SWIG_CHECKED_IO
SSX_EXCEPT ssx_swig_token_unix_account SSX_SWIG_CHECKED(ssx_swig_code == SSX_E_NOT_FOUND)
SSX_EXCEPT ssx_swig_token_unix_groups SSX_SWIG_CHECKED(ssx_swig_code == SSX_E_NOT_FOUND || ssx_swig_code == SSX_E_BUFFER_TOO_SMALL)
SSX_NOEXCEPT ssx_swig_token_close;

/* ------------------------------------------------------------------------------------------------
 * ssx_query_info as a proxy that owns the tokens it receives until they are taken.
 * ---------------------------------------------------------------------------------------------- */
SSX_NOEXCEPT;
%rename(QueryInfo) ssx_swig_query_info;
%immutable;
typedef struct {
    int32_t protocol;
    uint32_t flags;
    uint32_t tls_version;
    uint32_t tls_flags;
    int32_t verify_result;
} ssx_swig_query_info;
%mutable;
#ifdef SWIGJAVA
%typemap(javafinalize) ssx_swig_query_info ""
#endif
%extend ssx_swig_query_info {
    ssx_swig_query_info() { return (ssx_swig_query_info *)calloc(1, sizeof(ssx_swig_query_info)); }
    ~ssx_swig_query_info() {
        ssx_token_close($self->peer_application_token);
        ssx_token_close($self->peer_machine_token);
        free($self);
    }
    /* NUL-terminated copies of the fixed-size fields. */
    const char *cipher_suite() { $self->cipher[sizeof $self->cipher - 1] = 0; return $self->cipher; }
    const char *application_protocol() { $self->alpn[sizeof $self->alpn - 1] = 0; return $self->alpn; }
    /* Ownership moves to the caller (NULL when none was returned). */
    ssx_token *take_peer_application_token() {
        ssx_token *t = $self->peer_application_token;
        $self->peer_application_token = NULL;
        return t;
    }
    ssx_token *take_peer_machine_token() {
        ssx_token *t = $self->peer_machine_token;
        $self->peer_machine_token = NULL;
        return t;
    }
}
SSX_EXCEPT SSX_SWIG_CHECKED(0)

/* ------------------------------------------------------------------------------------------------
 * Flattening helpers (marshalling only).
 * ---------------------------------------------------------------------------------------------- */
%{
/* Builds a socket address from raw IP bytes: 4 bytes = IPv4, 16 = IPv6, none (NULL/0) = "any
 * peer" (NULL, 0 to ssx). Any other length (the bindings never pass one) becomes an AF_UNIX
 * address, which ssx refuses with SSX_E_ADDRESS_FAMILY, rather than a guess. Returns the length to
 * pass to ssx, or 0 for "no address". */
static socklen_t ssx_swig_sockaddr(const void *address, size_t address_length, int port,
                                   unsigned int scope_id, struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (!address || address_length == 0) return 0;
    if (address_length == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        memcpy(&in->sin_addr, address, 4);
        return (socklen_t)sizeof *in;
    }
    if (address_length == 16) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        in6->sin6_scope_id = scope_id;
        memcpy(&in6->sin6_addr, address, 16);
        return (socklen_t)sizeof *in6;
    }
    out->ss_family = AF_UNIX; /* neither IPv4 nor IPv6: ssx reports SSX_E_ADDRESS_FAMILY */
    return (socklen_t)sizeof(sa_family_t);
}
%}

%inline %{
/* ssx_set_socket_security with the settings struct built from its fields (NULL strings = from the
 * policy). */
int ssx_swig_set_socket_security(int fd, int protocol, unsigned int flags, unsigned int handshake_timeout_ms,
                                 const char *certificate_file, const char *private_key_file,
                                 const char *trust_file, const char *alpn) {
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    s.protocol = protocol;
    s.flags = flags;
    s.handshake_timeout_ms = handshake_timeout_ms;
    s.certificate_file = certificate_file;
    s.private_key_file = private_key_file;
    s.trust_file = trust_file;
    s.alpn = alpn;
    return ssx_set_socket_security(fd, &s);
}

/* The address-taking calls; no address (NULL/0) = any peer. */
int ssx_swig_set_peer_target_name(int fd, const void *address, size_t address_length, int port,
                                  unsigned int scope_id, const char *name) {
    struct sockaddr_storage ss;
    socklen_t len = ssx_swig_sockaddr(address, address_length, port, scope_id, &ss);
    return ssx_set_peer_target_name(fd, len ? (struct sockaddr *)&ss : NULL, len, name);
}

int ssx_swig_delete_peer_target_name(int fd, const void *address, size_t address_length, int port,
                                     unsigned int scope_id) {
    struct sockaddr_storage ss;
    socklen_t len = ssx_swig_sockaddr(address, address_length, port, scope_id, &ss);
    return ssx_delete_peer_target_name(fd, len ? (struct sockaddr *)&ss : NULL, len);
}

int ssx_swig_connect(int fd, const void *address, size_t address_length, int port, unsigned int scope_id) {
    struct sockaddr_storage ss;
    socklen_t len = ssx_swig_sockaddr(address, address_length, port, scope_id, &ss);
    return ssx_connect(fd, len ? (struct sockaddr *)&ss : NULL, len);
}

/* The peer's address is read from the new socket by the caller's runtime (getpeername). */
int ssx_swig_accept(int listen_fd) { return ssx_accept(listen_fd, NULL, NULL); }

/* Stream sockets: the peer address is ignored by ssx. */
int ssx_swig_impersonate(int fd) { return ssx_impersonate_socket_peer(fd, NULL, 0); }

/* Queries into `info` (a ssx_query_info proxy). */
int ssx_swig_query(int fd, int protocol, unsigned int peer_token_access_mask, ssx_swig_query_info *info) {
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    size_t len = info ? sizeof *info : 0;
    t.protocol = protocol;
    t.peer_token_access_mask = peer_token_access_mask;
    return ssx_query_socket_security(fd, &t, info, &len);
}

/* Token handles as return values (NULL = none) rather than out-parameters. */
ssx_token *ssx_swig_thread_token(void) {
    ssx_token *t = NULL;
    return ssx_get_thread_token(&t) == 0 ? t : NULL;
}

ssx_token *ssx_swig_token_duplicate(const ssx_token *token) {
    ssx_token *t = NULL;
    return ssx_token_duplicate(token, &t) == 0 ? t : NULL;
}

void ssx_swig_token_close(ssx_token *token_to_close) { ssx_token_close(token_to_close); }

/* Copies certificate `index` of the peer's chain (DER) into der_out when it fits; returns its length
 * either way (call with capacity 0 to learn it). */
long long ssx_swig_token_certificate(const ssx_token *token, size_t index, void *der_out, size_t der_capacity) {
    size_t len = 0;
    const unsigned char *der = ssx_token_chain_der(token, index, &len);
    if (!der) return -1;
    if (der_out && len <= der_capacity) memcpy(der_out, der, len);
    return (long long)len;
}

/* The mapped account as uid << 32 | gid; -1 when the principal is not mapped (SSX_E_NOT_FOUND). */
long long ssx_swig_token_unix_account(const ssx_token *token) {
    uint32_t uid = 0, gid = 0;
    if (ssx_token_unix_account(token, &uid, &gid) != 0) return -1;
    return (long long)(((uint64_t)uid << 32) | gid);
}

/* Copies the mapped account's supplementary groups (native-endian uint32 each) into groups_out when
 * they fit; returns their count either way (SSX_E_BUFFER_TOO_SMALL is the size negotiation, not a
 * failure), or -1 when not mapped (SSX_E_NOT_FOUND). */
long long ssx_swig_token_unix_groups(const ssx_token *token, void *groups_out, size_t groups_capacity) {
    size_t count = groups_out ? groups_capacity / sizeof(uint32_t) : 0;
    if (ssx_token_unix_groups(token, (uint32_t *)groups_out, &count) != 0 &&
        ssx_last_error() != SSX_E_BUFFER_TOO_SMALL) {
        return -1;
    }
    return (long long)count;
}
%}

/* ------------------------------------------------------------------------------------------------
 * Descriptor helpers (libc, not ssx): they report through errno only, as SecureSocketException
 * with SSX_E_IO and that errno.
 * ---------------------------------------------------------------------------------------------- */
%define SSX_SWIG_ERRNO_CHECKED
%{
    $action
    if (result < 0) {
        const int ssx_swig_errno = errno;
        SSX_SWIG_RAISE(SSX_E_IO, ssx_swig_errno, strerror(ssx_swig_errno));
        return $null;
    }
%}
%enddef

SSX_EXCEPT ssx_swig_dup SSX_SWIG_ERRNO_CHECKED
SSX_NOEXCEPT ssx_swig_wake;
%inline %{
/* A second descriptor (close-on-exec) of the same socket. The .NET binding gives ssx a descriptor
 * of its own, so that the runtime's Socket and ssx each close exactly the descriptor they own. */
int ssx_swig_dup(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }

/* Wakes a call blocked on the socket in another thread, before the socket is closed: first the
 * orderly end of the sending direction (ssx_shutdown SHUT_WR: close_notify, then FIN), then the
 * receiving side is shut, so a blocked read (or accept) returns. In that order the peer sees a
 * proper TLS close, not the alert TLS sends when a read is cut short. Best effort, no error (for a
 * listener the first step does not apply): the close that follows reports. */
void ssx_swig_wake(int fd) {
    (void)ssx_shutdown(fd, SHUT_WR);
    (void)shutdown(fd, SHUT_RD);
}
%}

/* ------------------------------------------------------------------------------------------------
 * Java only: a socket to secure. Java's own sockets do not expose their descriptor portably, so
 * org.ssx.SecureSocket creates, binds and listens with libc here.
 * ---------------------------------------------------------------------------------------------- */
#ifdef SWIGJAVA
SSX_EXCEPT ssx_swig_socket SSX_SWIG_ERRNO_CHECKED
SSX_EXCEPT ssx_swig_bind_listen SSX_SWIG_ERRNO_CHECKED
SSX_EXCEPT ssx_swig_local_port SSX_SWIG_ERRNO_CHECKED
SSX_EXCEPT ssx_swig_set_timeouts SSX_SWIG_ERRNO_CHECKED
%inline %{
/* A TCP socket of the address family of `address_length` (4 = IPv4, 16 = IPv6), close-on-exec. */
int ssx_swig_socket(int address_length) {
    return socket(address_length == 16 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* bind() with SO_REUSEADDR (so a restarted server can bind its port again), then listen(). */
int ssx_swig_bind_listen(int fd, const void *address, size_t address_length, int port, int backlog) {
    struct sockaddr_storage ss;
    int one = 1;
    socklen_t len = ssx_swig_sockaddr(address, address_length, port, 0, &ss);
    if (len == 0 || (address_length != 4 && address_length != 16)) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return -1;
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) return -1;
    return listen(fd, backlog);
}

/* The local port of a bound socket. */
int ssx_swig_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

/* SO_RCVTIMEO and SO_SNDTIMEO in milliseconds (0 = none), which ssx honours on blocking sockets. */
int ssx_swig_set_timeouts(int fd, int receive_ms, int send_ms) {
    struct timeval r, s;
    r.tv_sec = receive_ms / 1000;
    r.tv_usec = (receive_ms % 1000) * 1000;
    s.tv_sec = send_ms / 1000;
    s.tv_usec = (send_ms % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof r) != 0) return -1;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof s);
}
%}
#endif
