#!/usr/bin/env bash
# Byte-identical read outputs across a refactor of the read side (issue 14's "Done when"):
#   ci/identical-reads.sh OLD_TREE NEW_TREE [WORK_DIR]
# BOMs are generated once with OLD_TREE from the bundled example and test fixtures (JSON and XML,
# with and without vulnerabilities), then report (markdown/text/html), convert --to spdx3, query
# (every output format and filter), validate, check, diff (text/json/markdown), report --previous
# and index add/releases/query run on them with each tree; the two output folders must be equal.
set -u
OLD=$(cd "$1" && pwd); NEW=$(cd "$2" && pwd); W=${3:-$(mktemp -d)}
PY=${PYTHON:-python}
B=$W/boms; mkdir -p "$B"
export SOURCE_DATE_EPOCH=1700000000
S=urn:uuid:11111111-2222-3333-4444-555555555555
gen() { (cd "$OLD" && PYTHONPATH=$OLD $PY -m mlbom generate --reproducible --serial-number $S "$@" 2>/dev/null); }
gen examples/tiny-release -o "$B/example.json"
gen examples/tiny-release --format xml -o "$B/example.xml"
gen examples/tiny-release --spec-version 1.7 --vuln-db tests/fixtures/osv -o "$B/example-vuln.json"
for d in "$OLD"/tests/fixtures/model-cards/* "$OLD"/tests/fixtures/{gguf,onnx,keras,pickles,joblib,scan/benign,chat_templates}; do
  [ -d "$d" ] && gen --model "$d" --name "r$(basename "$d")" -o "$B/m-$(basename "$d").json"
done
gen --model tests/fixtures/pickles --model tests/fixtures/gguf --dataset examples/tiny-release/data -o "$B/mix.json"
gen --model tests/fixtures/pickles --model tests/fixtures/gguf --dataset examples/tiny-release/data --format xml -o "$B/mix.xml"
gen -r tests/fixtures/requirements.pip-docs-examples.txt -o "$B/req.json"
gen --lock tests/fixtures/pylock.spec-example.toml -o "$B/lock.json"
cp "$OLD"/tests/fixtures/report/*.json "$B/"
for f in $(cd "$OLD" && find tests/fixtures -name "*.cdx.json" -o -name "*.cdx.xml" | grep -v deep-array-1000); do
  cp "$OLD/$f" "$B/fx-$(echo "$f" | tr / _)"
done
printf '\xef\xbb\xbf' > "$B/bommark.json"; cat "$B/example.json" >> "$B/bommark.json"

reads() {  # TREE OUT
  local T=$1 O=$2; mkdir -p "$O"; local P="env PYTHONPATH=$T $PY -m mlbom"
  for f in "$B"/*; do n=$(basename "$f")
    for fmt in markdown text html; do $P report --format $fmt "$f" > "$O/$n.report.$fmt" 2>&1; echo "rc=$?" >> "$O/$n.report.$fmt"; done
    $P convert --to spdx3 "$f" > "$O/$n.spdx3" 2>&1; echo "rc=$?" >> "$O/$n.spdx3"
    for fmt in table json csv; do $P query --format $fmt "$f" > "$O/$n.query.$fmt" 2>&1; echo "rc=$?" >> "$O/$n.query.$fmt"; done
    $P query --severity low --format json "$f" > "$O/$n.query.sev" 2>&1
    $P query --type file --license 'MIT*' --format csv "$f" > "$O/$n.query.filt" 2>&1
    $P query --property mlbom:safety:verdict=unsafe "$f" > "$O/$n.query.prop" 2>&1
    $P query --why 'numpy' "$f" > "$O/$n.query.why" 2>&1
    $P query --license-not-in MIT,Apache-2.0 --format csv "$f" > "$O/$n.query.notin" 2>&1
    $P query --base-model '*' --format csv "$f" > "$O/$n.query.base" 2>&1
    $P validate "$f" > "$O/$n.validate" 2>&1; echo "rc=$?" >> "$O/$n.validate"
    $P check "$f" > "$O/$n.check" 2>&1; echo "rc=$?" >> "$O/$n.check"
  done
  for a in example.json mix.json m-pickles.json example-vuln.json; do for b in example-vuln.json mix.xml m-gguf.json example.xml; do
    for fmt in text json markdown; do $P diff --format $fmt "$B/$a" "$B/$b" > "$O/diff.$a.$b.$fmt" 2>&1; echo "rc=$?" >> "$O/diff.$a.$b.$fmt"; done
    $P report --previous "$B/$a" "$B/$b" > "$O/prev.$a.$b" 2>&1
  done; done
  local DB=$O.db; rm -f "$DB"
  $P index add --db "sqlite:///$DB" "$B/example.json" "$B/mix.json" "$B/example-vuln.json" "$B/m-pickles.json" "$B/mix.xml" > "$O/index.add" 2>&1
  $P index releases --db "sqlite:///$DB" > "$O/index.releases" 2>&1
  for q in "--type file" "--licenses" "--name numpy" "--severity medium" "--base-model *" "--vuln *" "--license-not-in MIT"; do
    $P query --db "sqlite:///$DB" $q --format json > "$O/index.q$(echo "$q" | tr ' */' '___')" 2>&1
  done
}
(cd "$W" && reads "$OLD" "$W/old") && (cd "$W" && reads "$NEW" "$W/new")
echo "$(ls "$W/old" | wc -l) outputs of $(ls "$B" | wc -l) BOMs in $W"
diff -r "$W/old" "$W/new" && echo "identical"
