#!/usr/bin/env python3
"""server.py: the ssx Python server example (mirrors examples/c/server.c).

Listens on 127.0.0.1:PORT, accepts one secured connection, asks what was negotiated and who the
client is, impersonates the client and reverts, then echoes everything until the client's end.

Credentials come from the administrator's policy: SSX_POLICY=server.toml python3 server.py 4433
(make a development one with: ssx pki init pki && ssx pki issue pki server --dns server.example)
"""

import sys

import ssx

TLS_VERSION_NAMES = {0x0304: "TLS 1.3", 0x0303: "TLS 1.2"}


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4433

    # 1. Security before bind: the listener's settings pass to every accepted socket.
    with ssx.create_server(("127.0.0.1", port)) as listener:
        print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)

        # 2. Accept: TCP accept plus the TLS handshake, bounded by the handshake deadline.
        conn, _address = listener.accept()
        with conn:
            # 3. Who is it, and how are we talking? (the token is closed at the end of the block)
            with conn.query(ssx.TOKEN_QUERY) as info:
                print(f"peer: {info.peer_application_token.name}")
                print(f"tls: {TLS_VERSION_NAMES.get(info.tls_version, 'none')}, {info.cipher}, "
                      f"{'resumed' if info.resumed else 'new session'}")

            # 4. Act as the client on this thread, then be ourselves again (even on an exception).
            with ssx.impersonate(conn) as peer:
                print(f"impersonating: {peer.name}")
            still_impersonating = ssx.get_thread_token() is not None
            print(f"reverted: {'STILL IMPERSONATING' if still_impersonating else 'the thread is itself again'}")

            # 5. Echo until the client's end, then close our side (close sends close_notify).
            total = 0
            while data := conn.recv(4096):
                conn.sendall(data)
                total += len(data)
            print(f"echoed {total} bytes")
    return 1 if still_impersonating else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ssx.SecurityError as e:  # every ssx failure says what happened and what to do
        print(f"server: {e.message} ({e.code_name})", file=sys.stderr)
        sys.exit(1)
