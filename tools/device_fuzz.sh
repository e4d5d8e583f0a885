#!/bin/bash
# Fuzz on a lent device machine (docs/fuzzing.md "Round 6"): the image's python3 (3.12) has no
# network, so mlbom's dependencies travel as wheels in .devwheels/ (listed in .git/info/exclude,
# named in the run's `carry`), prepared here with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
#     --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform any -d .devwheels <each dependency>
# and atheris as a tarball of its package (its 37 MB wheel trimmed of the sanitizer runtimes and test
# modules: .devwheels/atheris-pkg.tgz), the whole under the 64 MiB a run may carry with the tree.
# Run (device tool): TARGETS="scanner pickle-raw ..." MIN=6 bash tools/device_fuzz.sh
# one device call: set up a venv over the image's python, then fuzz targets in parallel
MIN=${MIN:-6}
cd "$(dirname "$0")/.."  # the repository root
t0=$(date +%s)
python3 -m venv --system-site-packages /tmp/v || exit 3
/tmp/v/bin/pip install -q --no-index --no-deps .devwheels/*.whl > $OUT/pip.log 2>&1 || { tail -20 $OUT/pip.log; exit 4; }
SP=$(/tmp/v/bin/python -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
tar xzf .devwheels/atheris-pkg.tgz -C "$SP" || exit 5
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
/tmp/v/bin/python -c "import atheris, mlbom.scanner, mlbom.cli, mlbom.reader, fuzz.targets.scanner, fuzz.targets.formats, fuzz.targets.parsers, fuzz.targets.pickle, fuzz.targets.readers; print(\"setup ok\")" || exit 6
nproc
printf '%s\n' $TARGETS | xargs -P 16 -I{} sh -c "/tmp/v/bin/python -m fuzz --minutes $MIN --max-len 4096 --target {} > $OUT/log-{}.txt 2>&1; echo done {} \$?"
cp fuzz/runs.tsv $OUT/runs.tsv
tail -n 40 fuzz/runs.tsv
ls -R fuzz/crashes 2>/dev/null | head -40
tar czf $OUT/crashes.tgz fuzz/crashes 2>/dev/null
cd $OUT && tar czf logs.tgz log-*.txt && rm -f log-*.txt
echo total $(( $(date +%s)-t0 )) s
