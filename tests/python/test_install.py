"""The offline install: `pip install --no-build-isolation --no-index .` from the repository root
builds a wheel through CMake (reusing this build folder) whose package works on its own — the
extension finds the bundled libssx.so.N through RPATH $ORIGIN — and leaves the source tree clean."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import ssx

SOURCE_DIR = Path(os.environ.get("SSX_SOURCE_DIR") or Path(__file__).resolve().parents[2])
# <build>/out/python/ssx/_ssx.*.so -> <build>
BUILD_DIR = Path(os.environ.get("SSX_BUILD_DIR") or Path(ssx._ssx.__file__).resolve().parents[3])


def tree_listing() -> set:
    return {p.name for p in SOURCE_DIR.iterdir()} | {f"python/{p.name}" for p in (SOURCE_DIR / "python").iterdir()}


def test_pip_install_offline(tmp_path, pki):
    target = tmp_path / "site"
    before = tree_listing()
    # Install-only: packages this build as it is; building here could relink libssx under the
    # feet of tests running at the same time.
    env = dict(os.environ, SSX_CMAKE_BUILD_DIR=str(BUILD_DIR), SSX_CMAKE_INSTALL_ONLY="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-deps", "--target", str(target), "."],
                       cwd=SOURCE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_listing() == before, "the install left files in the source tree"

    pkg = target / "ssx"
    assert (pkg / "libssx.so.0").is_file() or any(pkg.glob("libssx.so.*"))
    assert (pkg / "py.typed").is_file() and (pkg / "_ssx.pyi").is_file()

    # A clean process that sees only the installed package: it must load libssx from the package
    # folder (not the build tree) and complete a mutual-auth exchange.
    script = textwrap.dedent(f"""
        import os, threading, ssx
        assert ssx.__file__.startswith({str(target)!r}), ssx.__file__
        def settings(name):
            return ssx.SecuritySettings(certificate_file={str(pki.dir)!r} + "/" + name + ".pem",
                                        private_key_file={str(pki.dir)!r} + "/" + name + ".key",
                                        trust_file={pki.ca!r})
        with ssx.create_server(("127.0.0.1", 0), settings=settings("server")) as listener:
            def serve():
                conn, _ = listener.accept()
                with conn:
                    conn.sendall(conn.recv(10))
            t = threading.Thread(target=serve)
            t.start()
            with ssx.create_connection(listener.getsockname(), 20, target_name="server.test",
                                       settings=settings("client")) as sock:
                sock.sendall(b"wheel")
                assert sock.recv(10) == b"wheel"
            t.join(20)
        maps = open("/proc/self/maps").read()
        libs = {{line.split()[-1] for line in maps.splitlines() if "libssx.so" in line}}
        print(sorted(libs))
        assert libs == {{os.path.join(os.path.dirname(ssx.__file__), "libssx.so.0")}}, libs
    """)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    clean_env["PYTHONPATH"] = str(target)
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=clean_env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
