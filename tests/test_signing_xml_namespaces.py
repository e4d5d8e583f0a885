"""Red team 50s-1: a signed XML BOM with 3,000 namespace declarations added to ``<components>`` (not an
ancestor of the signature, so the signature over SignedInfo still verifies) made ``verify`` spend 22 s in
libxml2's inclusive C14N (elements × namespaces²) before the digest check failed. Now more than
``MAX_NAMESPACES`` namespaces in scope at any element is refused before signxml runs: ``verify`` fails
(exit 1) and ``sign`` refuses the input (exit 2), each with one line."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mlbom import xmldsig
from mlbom.cli import main
from mlbom.errors import InputError, VerificationError
from mlbom.trust import TrustPolicy

BOM = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" '
       b'serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1"><components>'
       b'<component type="library" bom-ref="pkg:pypi/demo@1.0"><name>demo</name><version>1.0</version>'
       b'<purl>pkg:pypi/demo@1.0</purl></component></components></bom>\n')


def _crowded(data: bytes, n: int, elements: int) -> bytes:
    m = re.search(rb"<components\b[^>]*>", data)
    assert m is not None
    decls = b"".join(b' xmlns:p%d="urn:p%d"' % (i, i) for i in range(n))
    return data[:m.start()] + m.group(0)[:-1] + decls + b">" + b"<p0:x/>" * elements + data[m.end():]


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_crowded_namespaces_fail_verification_before_c14n(key: ec.EllipticCurvePrivateKey) -> None:
    signed = xmldsig.sign_xml(BOM, key, name="bom.xml")
    policy = TrustPolicy(keys=(key.public_key(),))
    xmldsig.verify_xml(signed, policy, name="bom.xml")  # the untouched one verifies
    hostile = _crowded(signed, 3000, 300)
    start = time.process_time()
    with pytest.raises(VerificationError, match="namespaces in scope"):
        xmldsig.verify_xml(hostile, policy, name="bom.xml")
    assert time.process_time() - start < 2.0  # 22 s before (a bound far above the ~0.05 s it takes)


def test_a_few_namespaces_still_sign_and_verify(key: ec.EllipticCurvePrivateKey) -> None:
    data = _crowded(BOM, xmldsig.MAX_NAMESPACES - 3, 2)  # + the BOM's default, xml and ds namespaces
    signed = xmldsig.sign_xml(data, key, name="bom.xml")
    xmldsig.verify_xml(signed, TrustPolicy(keys=(key.public_key(),)), name="bom.xml")


def test_sign_refuses_a_crowded_bom(key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(InputError, match="namespaces in scope"):
        xmldsig.sign_xml(_crowded(BOM, 100, 1), key, name="bom.xml")


def test_cli_verify_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "--algorithm", "es256", "-o", str(tmp_path / "k")]) == 0
    (tmp_path / "bom.xml").write_bytes(BOM)
    assert main(["sign", str(tmp_path / "bom.xml"), "--key", str(tmp_path / "k.key"), "-o",
                 str(tmp_path / "signed.xml")]) == 0
    (tmp_path / "hostile.xml").write_bytes(_crowded((tmp_path / "signed.xml").read_bytes(), 3000, 300))
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "hostile.xml"), "--key", str(tmp_path / "k.pub")]) == 1
    err = capsys.readouterr().err.strip()
    assert "namespaces in scope" in err and len(err.splitlines()) == 1, err
