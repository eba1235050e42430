"""Type stubs of the extension ssx._ssx (python/src): the C ABI, low level. Use the ssx package."""

from typing import Any, Callable, Optional, Tuple

from _typeshed import ReadableBuffer, WriteableBuffer

# (family, host, port, flowinfo, scope_id) with a numeric host
RawAddress = Tuple[int, str, int, int, int]
SocketAddress = Tuple[Any, ...]

VERSION: str

def version() -> str: ...
def error_name(code: int) -> str: ...
def _set_error_factory(factory: Callable[[int, int, str], BaseException]) -> None: ...

class TokenHandle:
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def access_mask(self) -> int: ...
    def name(self) -> str: ...
    def subject(self) -> str: ...
    def spiffe_id(self) -> Optional[str]: ...
    def fingerprint(self) -> str: ...
    def names(self) -> Tuple[str, ...]: ...
    def chain(self) -> Tuple[bytes, ...]: ...
    def unix_account(self) -> Optional[Tuple[int, int]]: ...
    def unix_user(self) -> Optional[str]: ...
    def unix_groups(self) -> Optional[Tuple[int, ...]]: ...
    def duplicate(self) -> TokenHandle: ...

def set_socket_security(fd: int, protocol: int, flags: int, handshake_timeout_ms: int,
                        certificate_file: Optional[bytes], private_key_file: Optional[bytes],
                        trust_file: Optional[bytes], alpn: Optional[str]) -> None: ...
def set_peer_target_name(fd: int, name: str, peer: Optional[RawAddress]) -> None: ...
def delete_peer_target_name(fd: int, peer: Optional[RawAddress]) -> None: ...
def connect(fd: int, address: RawAddress, timeout: Optional[float]) -> None: ...
def accept(fd: int, timeout: Optional[float]) -> Tuple[int, SocketAddress]: ...
def handshake(fd: int, timeout: Optional[float]) -> None: ...
def send(fd: int, data: ReadableBuffer, flags: int, timeout: Optional[float]) -> int: ...
def sendall(fd: int, data: ReadableBuffer, flags: int, timeout: Optional[float]) -> None: ...
def recv(fd: int, bufsize: int, flags: int, timeout: Optional[float]) -> bytes: ...
def recv_into(fd: int, buffer: WriteableBuffer, nbytes: int, flags: int, timeout: Optional[float]) -> int: ...
def shutdown(fd: int, how: int) -> None: ...
def close(fd: int) -> None: ...
def socket_family(fd: int) -> int: ...
def query_socket_security(fd: int, access_mask: int) -> Tuple[int, int, int, int, int, str, str,
                                                              Optional[TokenHandle], Optional[TokenHandle]]: ...
def impersonate_socket_peer(fd: int, peer: Optional[RawAddress]) -> None: ...
def revert_impersonation() -> None: ...
def get_thread_token() -> Optional[TokenHandle]: ...

OK: int
E_INVALID_ARGUMENT: int
E_NULL_POINTER: int
E_BUFFER_TOO_SMALL: int
E_NOT_SOCKET: int
E_BAD_DESCRIPTOR: int
E_UNSUPPORTED_SOCKET: int
E_ADDRESS_FAMILY: int
E_NOT_SUPPORTED: int
E_ALREADY_CONNECTED: int
E_ALREADY_BOUND: int
E_ALREADY_SET: int
E_NOT_CONNECTED: int
E_NOT_SECURED: int
E_NO_SECURITY: int
E_NOT_FOUND: int
E_LISTENING: int
E_ACCESS_DENIED: int
E_POLICY: int
E_NO_CREDENTIALS: int
E_CREDENTIALS: int
E_POLICY_FORBIDS: int
E_HANDSHAKE: int
E_PEER_UNTRUSTED: int
E_NAME_MISMATCH: int
E_CERT_EXPIRED: int
E_NO_PEER_CERT: int
E_NO_TARGET_NAME: int
E_PROTOCOL_VERSION: int
E_PEER_NOT_TLS: int
E_TIMEOUT: int
E_PEER_CLOSED: int
E_PEER_REJECTED: int
E_CONNECT: int
E_CERT_NOT_YET_VALID: int
E_WANT_READ: int
E_WANT_WRITE: int
E_IO: int
E_SHUT_DOWN: int
E_PROTOCOL: int
E_IMPERSONATION_DENIED: int
E_OS_CREDENTIALS: int
E_NO_MEMORY: int
E_INTERNAL: int
PROTOCOL_DEFAULT: int
PROTOCOL_IPSEC: int
PROTOCOL_IPSEC2: int
PROTOCOL_TLS: int
SETTINGS_GUARANTEE_ENCRYPTION: int
SETTINGS_ALLOW_INSECURE: int
INFO_CONNECTION_SECURED: int
INFO_CONNECTION_ENCRYPTED: int
INFO_CONNECTION_IMPERSONATED: int
TLS_RESUMED: int
TOKEN_ASSIGN_PRIMARY: int
TOKEN_DUPLICATE: int
TOKEN_IMPERSONATE: int
TOKEN_QUERY: int
TOKEN_QUERY_SOURCE: int
TOKEN_ADJUST_PRIVILEGES: int
TOKEN_ADJUST_GROUPS: int
TOKEN_ADJUST_DEFAULT: int
TOKEN_ADJUST_SESSIONID: int
TOKEN_READ: int
TOKEN_ALL_ACCESS: int
