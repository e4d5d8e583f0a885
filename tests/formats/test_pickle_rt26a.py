"""Red team 26a / 26e-6.

26a-4: a ``'dateutil/'`` (or ``'dateutil/:'``) time zone is ``dateutil.tz.gettz('')``, which reads the
zone the environment names (``$TZ``, else ``/etc/localtime``): mlbom skipped the empty name (``safe``).
26a-3: a pickle carrying a zip archive as a bytes constant was dispatched as a zip (its pickle walked
only up to the archive, ``error``), though every loader reads the pickle from byte 0 (``unsafe``).
26e-6: the deny list matched names, not objects: ``pycparser.check_output`` is
``subprocess.check_output`` (``suspicious`` instead of ``unsafe``)."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.formats.pickle_ops import STOP, call, glob, ids, proto, s, walk

EMPTY_ZONES = ["dateutil/", "dateutil/:", "datetime64[ns, dateutil/]", "M8[ns, dateutil/:]"]


@pytest.mark.parametrize("zone", EMPTY_ZONES)
@pytest.mark.parametrize("func", [("pandas", "DatetimeTZDtype"), ("pandas", "Series"), ("pandas", "DatetimeIndex")])
def test_26a_4_empty_dateutil_zone_is_an_environment_lookup(zone: str, func: tuple[str, str]) -> None:
    if zone.startswith(("datetime64", "M8")) and func[1] != "Series":
        pytest.skip("a dtype string is read where a dtype goes")
    if func[1] == "DatetimeTZDtype":
        data = call(glob(*func), s("ns"), s(zone))
    else:  # Series(data, index, dtype) / DatetimeIndex(data, freq, tz): the 3rd positional
        data = call(glob(*func), b"]", b"N", s(zone))
    rep = walk(proto(4) + data + STOP)
    assert rep.verdict == "suspicious", rep.findings
    assert any("environment" in f.message for f in rep.findings), rep.findings


def test_26a_4_named_zones_stay_as_they_were() -> None:
    for zone in ("dateutil/Europe/Paris", "UTC", "Europe/Berlin"):
        rep = walk(proto(4) + call(glob("pandas", "DatetimeTZDtype"), s("ns"), s(zone)) + STOP)
        assert rep.verdict == "safe", (zone, rep.findings)
    rep = walk(proto(4) + call(glob("pandas", "DatetimeTZDtype"), s("ns"), s("dateutil//etc/passwd")) + STOP)
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("zone", ["dateutil/", "dateutil/:"])
def test_26a_4_real_pickler_and_real_loader(zone: str, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dateutil")

    class H:
        def __reduce__(self) -> tuple[object, ...]:
            return (pd.DatetimeTZDtype, ("ns", zone))

    data = pickle.dumps(H(), protocol=2)
    rep = walk(data)
    assert rep.verdict == "suspicious", rep.findings
    # the real loader, in a throw-away process: the zone comes from $TZ, a path the file never names
    secret = tmp_path / "zone"
    secret.write_bytes(Path("/usr/share/zoneinfo/UTC").read_bytes() if Path("/usr/share/zoneinfo/UTC").exists()
                       else b"")
    (tmp_path / "p.pkl").write_bytes(data)
    code = ("import sys, pickle\nseen = []\nsys.addaudithook(lambda e, a: seen.append(a[0]) if e == 'open' else None)\n"
            "try:\n    pickle.load(open(sys.argv[1], 'rb'))\nexcept Exception:\n    pass\n"
            "print(any(str(p) == sys.argv[2] for p in seen))")
    env = dict(os.environ, TZ=str(secret))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.pkl"), str(secret)], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    if zone == "dateutil/":
        assert out.stdout.strip() == "True", out
