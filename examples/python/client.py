#!/usr/bin/env python3
"""client.py: the ssx Python client example (mirrors examples/c/client.c).

States the security it needs, names the server it expects, connects, sends a message, reads the
echo and prints what was negotiated and who the server proved to be.

    SSX_POLICY=client.toml python3 client.py HOST PORT TARGET_NAME [MESSAGE]
    e.g. python3 client.py 127.0.0.1 4433 server.example "hello"
"""

import socket
import sys

import ssx

TLS_VERSION_NAMES = {0x0304: "TLS 1.3", 0x0303: "TLS 1.2"}


def main() -> int:
    if len(sys.argv) < 4:
        print(f"usage: {sys.argv[0]} HOST PORT TARGET_NAME [MESSAGE]", file=sys.stderr)
        return 2
    host, port, target_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    message = sys.argv[4] if len(sys.argv) > 4 else "hello from Python"

    # 1. What this socket needs: TLS with encryption; credentials from the policy (SSX_POLICY).
    # 2. Who the server must prove to be (DNS name, IP, spiffe://...), for any peer address.
    # 3. Connect: returns only once TLS is up and the server proved the target name.
    settings = ssx.SecuritySettings(flags=ssx.GUARANTEE_ENCRYPTION)
    with ssx.create_connection((host, port), target_name=target_name, settings=settings) as sock:
        # 4. Send, end our side (the server then sees the end after every byte), read the echo.
        sock.sendall(message.encode())
        sock.shutdown(socket.SHUT_WR)
        print(f"sent: {message}")
        reply = bytearray()
        while data := sock.recv(4096):
            reply += data
        print(f"received: {reply.decode()}")

        # 5. What was negotiated, and who the server is.
        with sock.query(ssx.TOKEN_QUERY) as info:
            print(f"secured: {'yes' if info.secured else 'no'}, encrypted: {'yes' if info.encrypted else 'no'}")
            print(f"tls: {TLS_VERSION_NAMES.get(info.tls_version, 'none')}, {info.cipher}, "
                  f"{'resumed' if info.resumed else 'new session'}")
            print(f"peer: {info.peer_application_token.name}")
            print(f"sha256: {info.peer_application_token.fingerprint}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ssx.SecurityError as e:  # every ssx failure says what happened and what to do
        print(f"client: {e.message} ({e.code_name})", file=sys.stderr)
        sys.exit(1)
