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


class _Opens:
    """``builtins.open(path)`` at load: file I/O (``unsafe``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (self.path,))


def _zip_bytes() -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("README.txt", "hello")
    return b.getvalue()


def _torch_zip_like() -> bytes:
    """A zip whose own offsets are relative to its start (as a torch.save blob is): inside a pickle
    zipfile finds its end record but its directory does not fit where it says."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2))
        z.writestr("archive/version", "3\n")
    return b.getvalue()


@pytest.mark.parametrize("protocol", [0, 1, 2, 4, 5])
@pytest.mark.parametrize("blob", ["valid", "broken"])
def test_26a_3_pickle_carrying_a_zip_is_walked_as_the_whole_pickle(protocol: int, blob: str, tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    zb = _zip_bytes() if blob == "valid" else _torch_zip_like()
    data = pickle.dumps((_Opens("/tmp/rt26a_secret"), zb), protocol=protocol)
    p = tmp_path / "model.pkl"
    p.write_bytes(data)
    assert zipfile.is_zipfile(p) or blob == "broken" or protocol < 3  # the zip reading exists
    res = scan_file(p)
    assert res.verdict == "unsafe", (res.format, res.findings)
    assert any("open" in f.message for f in res.findings if f.id.startswith("pickle.")), res.findings
    if zipfile.is_zipfile(p):
        assert any(f.id == "zip.polyglot" for f in res.findings), res.findings


def test_26a_3_benign_pickle_carrying_a_zip_reads_as_both(tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    p = tmp_path / "data.pkl"
    p.write_bytes(pickle.dumps({"blob": _zip_bytes()}, protocol=4))
    res = scan_file(p)
    assert res.format == "pickle", res
    assert res.verdict == "suspicious", res.findings  # zipfile reads a different file: a differential
    assert any(f.id == "zip.polyglot" for f in res.findings), res.findings


def test_26a_3_zip_with_a_text_prefix_stays_a_zip(tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    p = tmp_path / "sfx.zip"
    p.write_bytes(b"#!/bin/sh\necho self-extracting\nexit 0\n" + _zip_bytes())
    res = scan_file(p)
    assert res.format == "zip", (res.format, res.findings)


def test_26a_3_real_torch_save_blob_in_a_pickle(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from mlbom.scanner import scan_file

    b = io.BytesIO()
    torch.save({"a": torch.zeros(2)}, b)
    p = tmp_path / "m.pkl"
    p.write_bytes(pickle.dumps((_Opens("/tmp/rt26a_secret"), b.getvalue()), protocol=4))
    assert scan_file(p).verdict == "unsafe"
    q = tmp_path / "real.pt"  # a real torch zip keeps its reading
    torch.save({"a": torch.zeros(2)}, q)
    res = scan_file(q)
    assert res.format == "pytorch-zip" and res.verdict == "safe", (res.format, res.findings)


# --- 26e-6: deny-list aliases ---------------------------------------------------------------------

def _call_global(module: str, name: str, *args: str) -> bytes:
    return proto(2) + call(glob(module, name), *(s(a) for a in args)) + STOP


@pytest.mark.parametrize(("module", "name"), [
    ("pycparser", "check_output"),  # pycparser/__init__.py: from subprocess import check_output
    ("sympy.utilities.autowrap", "check_output"),
    ("virtualenv.seed.embed.pip_invoke", "Popen"),
])
def test_26e_6_reexported_denied_callable_is_unsafe(module: str, name: str) -> None:
    rep = walk(_call_global(module, name, "id"))
    assert rep.verdict == "unsafe", rep.findings
    assert "pickle.dangerous-callable" in ids(rep) or "pickle.dangerous-global" in ids(rep), rep.findings


def test_26e_6_alias_table_maps_to_the_callable() -> None:
    from mlbom.formats.pickle import danger, deny_aliases

    table = deny_aliases()
    assert table.get("pycparser.check_output") == "subprocess.check_output"
    why = danger("pycparser.check_output")
    assert why is not None and "subprocess.check_output" in why
    assert all(danger(target) is not None for target in table.values())  # every entry is a denied callable


@pytest.mark.parametrize("name", ["system", "check_output", "Popen", "getstatusoutput", "execvpe", "spawnl", "eval"])
def test_26e_6_unlisted_callable_named_like_a_process_function_is_unsafe(name: str) -> None:
    rep = walk(_call_global("rt26e_made_up.util", name, "id"))  # a module no table knows
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("name", ["execute", "evaluate", "spawner", "run_model", "systems"])
def test_26e_6_other_unlisted_names_stay_suspicious(name: str) -> None:
    rep = walk(_call_global("rt26e_made_up.util", name, "id"))
    assert rep.verdict == "suspicious", rep.findings


def test_26e_6_config_target_alias_is_unsafe() -> None:
    from mlbom.scanner import scan_bytes

    r = scan_bytes(b"model:\n  _target_: pycparser.check_output\n  args: [id]\n", "config.yaml")
    assert r.verdict == "unsafe", r.findings
    r = scan_bytes(b"model:\n  activation: pycparser.check_output\n", "config.yaml")  # a bare string (18b-1)
    assert r.verdict == "unsafe", r.findings


def test_26e_6_real_loader_runs_the_alias(tmp_path: Path) -> None:
    pycparser = pytest.importorskip("pycparser")
    assert pycparser.check_output is subprocess.check_output
    # the pickler writes a function by its own name (subprocess.check_output): the alias is hand-written
    data = _call_global("pycparser", "check_output", "true")
    (tmp_path / "p.pkl").write_bytes(data)
    code = ("import sys, pickle\nsys.addaudithook(lambda e, a: print('RAN', a[0]) if e == 'subprocess.Popen' "
            "else None)\npickle.load(open(sys.argv[1], 'rb'))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.pkl")], capture_output=True, text=True,
                         timeout=120, check=False)
    assert "RAN" in out.stdout, out
    assert walk(data).verdict == "unsafe"
