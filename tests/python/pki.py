"""A throwaway development PKI for the tests and examples.

Made with the ssx CLI (``ssx pki init`` / ``ssx pki issue``) when the build has it
(``$SSX_OUT_DIR/ssx``), otherwise with the openssl command: the same shape either way — an
ECDSA P-256 CA (ca.pem, ca.key) and leaves NAME.pem (leaf then CA) + NAME.key (0600) with the
subject alternative names asked for, usable for both server and client authentication.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence


@dataclass
class Leaf:
    name: str
    dns: Sequence[str] = ()
    ip: Sequence[str] = ()
    uri: Sequence[str] = ()


def ssx_cli() -> Optional[str]:
    """The ssx command of this build, if it was built."""
    out = os.environ.get("SSX_OUT_DIR")
    if out:
        cli = Path(out) / "ssx"
        if cli.is_file() and os.access(cli, os.X_OK):
            return str(cli)
    return None


def _run(args: Sequence[str], cwd: Optional[Path] = None) -> None:
    r = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")


@dataclass
class Pki:
    dir: Path
    tool: str = field(default="")

    def cert(self, name: str) -> str:
        return str(self.dir / f"{name}.pem")

    def key(self, name: str) -> str:
        return str(self.dir / f"{name}.key")

    @property
    def ca(self) -> str:
        return str(self.dir / "ca.pem")

    def issue(self, leaf: Leaf) -> None:
        cli = ssx_cli()
        if cli:
            args = [cli, "pki", "issue", str(self.dir), leaf.name]
            args += [f"--dns={d}" for d in leaf.dns] + [f"--ip={i}" for i in leaf.ip] + [f"--uri={u}" for u in leaf.uri]
            _run(args)
        else:
            _openssl_leaf(self.dir, leaf)


def make_pki(directory: Path, leaves: Sequence[Leaf]) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    cli = ssx_cli()
    if cli:
        _run([cli, "pki", "init", str(directory)])
        pki = Pki(directory, "ssx pki")
    else:
        if not shutil.which("openssl"):
            raise RuntimeError("neither the ssx CLI ($SSX_OUT_DIR/ssx) nor the openssl command is available")
        _openssl_ca(directory)
        pki = Pki(directory, "openssl")
    for leaf in leaves:
        pki.issue(leaf)
    return pki


# -- openssl fallback ---------------------------------------------------------------------------

def _genkey(path: Path) -> None:
    _run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path)])
    path.chmod(0o600)


def _openssl_ca(d: Path) -> None:
    _genkey(d / "ca.key")
    _run(["openssl", "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "30",
          "-subj", "/CN=ssx python test CA",
          "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign",
          "-addext", "subjectKeyIdentifier=hash",
          "-out", "ca.pem"], cwd=d)


def _openssl_leaf(d: Path, leaf: Leaf) -> None:
    _genkey(d / f"{leaf.name}.key")
    sans = [f"DNS:{x}" for x in leaf.dns] + [f"IP:{x}" for x in leaf.ip] + [f"URI:{x}" for x in leaf.uri]
    ext = d / f"{leaf.name}.ext"
    lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
             "extendedKeyUsage=serverAuth,clientAuth", "subjectKeyIdentifier=hash",
             "authorityKeyIdentifier=keyid"]
    if sans:
        lines.append("subjectAltName=" + ",".join(sans))
    ext.write_text("\n".join(lines) + "\n")
    _run(["openssl", "req", "-new", "-key", f"{leaf.name}.key", "-subj", f"/CN={leaf.name}",
          "-out", f"{leaf.name}.csr"], cwd=d)
    serial = "0x" + os.urandom(16).hex()
    _run(["openssl", "x509", "-req", "-in", f"{leaf.name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-set_serial", serial, "-days", "30", "-sha256", "-extfile", ext.name, "-out", f"{leaf.name}.leaf"],
         cwd=d)
    (d / f"{leaf.name}.pem").write_bytes((d / f"{leaf.name}.leaf").read_bytes() + (d / "ca.pem").read_bytes())
    for suffix in (".csr", ".ext", ".leaf"):
        (d / f"{leaf.name}{suffix}").unlink()
