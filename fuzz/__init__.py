"""Coverage-guided fuzzing of mlbom's parsers (atheris), outside the default test suite.

Each module in :mod:`fuzz.targets` lists :class:`fuzz.harness.Target` objects in ``TARGETS``:
a function taking the fuzzer's bytes, the seed files it starts from, and the exceptions its
error contract allows. ``python -m fuzz --list`` names them; ``python -m fuzz --minutes N
[--target NAME]…`` runs them and writes every crash or slow input to ``fuzz/crashes/NAME/``.
Each reproducer found becomes a regression file in ``tests/fixtures/hostile/`` that the
default suite replays (``tests/test_hostile.py``).
"""
