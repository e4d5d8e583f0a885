"""mlbom's reading of numpy dtype strings against numpy's own (red team of issue 12: item sizes
taken from the digits of a name, object fields in comma strings missed)."""

from __future__ import annotations

import pytest

from mlbom.formats import npdtype

# (spelling, (itemsize, hasobject) from numpy.dtype(spelling), or None where numpy raises);
# generated once with numpy 2.4.6 on x86_64 Linux (test_table_matches_installed_numpy re-checks)
TABLE: list[tuple[str, tuple[int, bool] | None]] = [
    ('O4', (8, True)),
    ('O8', (8, True)),
    ('O2', None),
    ('O16', None),
    ('a1', (1, False)),
    ('a', (0, False)),
    ('c', (1, False)),
    ('S', (0, False)),
    ('U', (0, False)),
    ('V', (0, False)),
    ('M8', (8, False)),
    ('M', (8, False)),
    ('m8[s]', (8, False)),
    ('b1', (1, False)),
    ('b2', None),
    ('i3', None),
    ('f16', (16, False)),
    ('f12', None),
    ('c32', (32, False)),
    ('M8[D]', (8, False)),
    ('datetime64[ns]', (8, False)),
    ('M8[2s]', (8, False)),
    ('U0', (0, False)),
    ('S0', (0, False)),
    ('2i4', (8, False)),
    ('(2,3)f8', (48, False)),
    ('i4,', (4, False)),
    ('(2)i4', None),
    (' i4', None),
    ('i4 ', None),
    ('<i4', (4, False)),
    ('>>i4', None),
    ('|O', (8, True)),
    ('=O', (8, True)),
    ('>O', (8, True)),
    ('<O', (8, True)),
    ('Ob', None),
    ('int', (8, False)),
    ('float', (8, False)),
    ('complex', (16, False)),
    ('str', (0, False)),
    ('bytes', (0, False)),
    ('object', (8, True)),
    ('bool', (1, False)),
    ('long', (8, False)),
    ('ulong', (8, False)),
    ('float96', None),
    ('e', (2, False)),
    ('g', (16, False)),
    ('G', (32, False)),
    ('l', (8, False)),
    ('L', (8, False)),
    ('n', (8, False)),
    ('N', (8, False)),
    ('p', (8, False)),
    ('P', (8, False)),
    ('q', (8, False)),
    ('Q', (8, False)),
    ('h', (2, False)),
    ('H', (2, False)),
    ('?', (1, False)),
    ('O0', None),
    ('V0', (0, False)),
    ('i0', None),
    ('M8[]', None),
    ('M8[generic]', (8, False)),
    ('m8[W]', (8, False)),
    ('M8[3D]', (8, False)),
    ('M8[Y/2]', (8, False)),
    ('i4, f8', (12, False)),
    ('i4,(2,)O', (20, True)),
    ('O,', (8, True)),
    ('(2,)', None),
    ('()i4', (4, False)),
    ('2', None),
    ('i', (4, False)),
    ('i4,O', (12, True)),
    ('O,i4', (12, True)),
    ('(2,)O', (16, True)),
    ('U1,O', (12, True)),
    ('a1,O', (9, True)),
    ('i8,(2,)O', (24, True)),
    ('float64', (8, False)),
    ('int32', (4, False)),
    ('complex128', (16, False)),
    ('bool_', (1, False)),
    ('bytes_', (0, False)),
    ('str_', (0, False)),
    ('U10', (40, False)),
    ('S7', (7, False)),
    ('V16', (16, False)),
    ('<U3', (12, False)),
    ('>f8', (8, False)),
    ('u8', (8, False)),
    ('f2', (2, False)),
    ('i1', (1, False)),
    ('datetime64', (8, False)),
    ('timedelta64[ms]', (8, False)),
    ('3O', (24, True)),
    ('(2,2)O', (32, True)),
    ('O,(3,)i4', (20, True)),
    ('|V8', (8, False)),
    ('object_', (8, True)),
    ('void', (0, False)),
    ('unicode', (0, False)),
    ('float128', (16, False)),
    ('complex256', (32, False)),
    ('M8[us]', (8, False)),
    ('m', (8, False)),
    ('2,i4', (8, False)),
    ('i4,,f8', None),
    ('i4,f8 ', (12, False)),
    ('f8[s]', None),
    ('O[s]', None),
    ('<O8', (8, True)),
    ('|O4', (8, True)),
    ('>i4,<O', (12, True)),
    # red team 92s-1: an int before an unsized S/U/V/a is its width; a tuple there, leading zeros,
    # '<a' and divisors other than /1 (numpy converts some, refuses others) are refused
    ('8S', (8, False)),
    ('2U', (8, False)),
    ('2V', (2, False)),
    ('8 a', (8, False)),
    ('2S0', (2, False)),
    ('2S2', (4, False)),
    ('i4,(2)S', (6, False)),
    ('(2,)S', None),
    ('2,S', None),
    ('<a', None),
    ('01O', None),
    ('i4,00O', (4, True)),
    ('M8[us/3]', None),
    ('M8[s/1]', (8, False)),
]


@pytest.mark.parametrize(("spec", "want"), TABLE)
def test_dtype_string_as_numpy_reads_it(spec: str, want: tuple[int, bool] | None) -> None:
    try:
        d = npdtype.parse(spec)
        got: tuple[int, bool] | None = (d.itemsize, d.hasobject)
    except npdtype.DTypeError:
        got = None
    assert got == want


def test_table_matches_installed_numpy() -> None:
    np = pytest.importorskip("numpy")
    import warnings

    for spec, want in TABLE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                d = np.dtype(spec)
                live: tuple[int, bool] | None = (d.itemsize, bool(d.hasobject))
            except (TypeError, ValueError, SyntaxError):
                live = None
        assert live == want, spec
