"""The local federation's certificate authority: TLS certificates its identity issuers serve with.

A zone fetches an issuer's signing keys over HTTPS and verifies its certificate against this CA (named
in every zone's authentication configuration). Made with openssl, once per federation; keys stay in the
federation's folder, readable by the owner only.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def authority(folder: Path) -> Path:
    """The CA certificate (``ca.crt`` in ``folder``), made once."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cert, key = folder / "ca.crt", folder / "ca.key"
    if not cert.exists():
        _openssl("req", "-x509", *CURVE, "-keyout", str(key), "-out", str(cert), "-days", "3650",
                 "-subj", "/CN=edgefed local federation CA")  # fmt: skip
        os.chmod(key, 0o600)
    return cert


def server_certificate(ca_folder: Path, folder: Path, name: str) -> tuple[Path, Path]:
    """(certificate, key) for a server on 127.0.0.1 signed by the CA, made once in ``folder``."""
    authority(ca_folder)
    cert, key = folder / "tls.crt", folder / "tls.key"
    if cert.exists() and key.exists():
        return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        request, extensions = Path(scratch) / "tls.csr", Path(scratch) / "san.cnf"
        extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        _openssl("req", "-new", *CURVE, "-keyout", str(key), "-out", str(request), "-subj", f"/CN={name}")
        ca, ca_key = str(ca_folder / "ca.crt"), str(ca_folder / "ca.key")
        _openssl("x509", "-req", "-in", str(request), "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", str(cert), "-days", "825", "-extfile", str(extensions))  # fmt: skip
    os.chmod(key, 0o600)
    return cert, key
