"""The ``mlbom`` command line: a thin shell over the library.

Exit codes (CONTRACT.md): 0 success, 1 the check found something, 2 mlbom could not do its
job. Results go to stdout or ``-o``; diagnostics to stderr; a progress display on stderr only
when stderr is a terminal; never a traceback for bad input (``--debug`` re-raises).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

import mlbom
from mlbom.errors import InputError, MlbomError, UsageError, ValidationFailed, VerificationError, printable
from mlbom.table import printable_lines

if TYPE_CHECKING:
    from mlbom.collectors import ByteProgress, Option
    from mlbom.model import Bom
    from mlbom.policy import Policy
    from mlbom.reader import LoadedBom

_debug = False
_quiet = False


def _err(message: str) -> None:
    """A diagnostic on stderr: every line :func:`~mlbom.table.printable` (red team 8c T7), so
    text from a BOM, a file name or an error cannot drive the terminal, whatever the caller forgot."""
    click.echo(printable_lines(message), err=True)


def _say(text: str) -> None:
    """Human-readable output on stdout (never JSON or CSV, which carry data as it is): every
    line :func:`~mlbom.table.printable`, as :func:`_err`."""
    click.echo(printable_lines(text))


def _progress() -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A status line on stderr when it is a terminal (and not --quiet); nothing otherwise."""
    say, _, stop = _display()
    return say, stop


def _display() -> tuple[Callable[[str], None] | None, ByteProgress | None, Callable[[], None]]:
    """Status line and byte bars (rate, ETA) on stderr when it is a terminal and not --quiet:
    ``(say, bytes_progress, stop)``; all None/no-ops otherwise (pipes, CI)."""
    from mlbom.progress import TerminalProgress, wanted

    if not wanted(_quiet):
        return None, None, lambda: None
    shown = TerminalProgress()
    return shown.say, shown.bytes, shown.stop


def summary(bom: Bom) -> str:
    """One paragraph for humans: what is in the BOM and what needs attention."""
    from mlbom.model import SEVERITIES

    kinds = Counter(c.type for c in bom.components)
    sev = Counter(f.severity for f in bom.findings)
    edges = sum(len(r.depends_on) for r in bom.relations if r.ref != bom.root.bom_ref)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "nothing"
    found = ", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev[s]) or "none"
    state = "complete" if bom.is_complete else f"INCOMPLETE ({len(bom.unreadable)} input(s) could not be read)"
    return (f"{len(bom.components)} components ({parts}); {edges} dependency edges; "
            f"findings: {found}; inventory {state}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(mlbom.__version__, prog_name="mlbom")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress display (it is shown on stderr only when stderr is a terminal).")
def cli(debug: bool, quiet: bool) -> None:
    """mlbom: CycloneDX ML-BOMs for ML releases (packages, models, datasets, GPU stack)."""
    global _debug, _quiet
    _debug = debug
    _quiet = quiet


class _CollectorCommand(click.Command):
    """A command whose collector options are built, on first use, from what each collector
    declares (:class:`mlbom.collectors.Option`): importing every collector costs seconds, which
    commands other than ``generate`` must not pay."""

    _added = False

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        from mlbom.collectors.registry import builtin_collectors

        rows = []
        for name, cls in sorted(builtin_collectors().items()):
            found = list(cls.patterns) + [f"any folder holding {m}" for m in getattr(cls, "markers", ())]
            if name == "model":  # the sweep of inventory._plan (red team 102c-5)
                found.append("any other weight-format file (.bin .pt .safetensors .onnx .gguf .pkl .npy ...), "
                             "as a model of its own")
            if found:
                rows.append((name, ", ".join(found)))
        with formatter.section("Discovered in PROJECT_DIR (patterns at most two levels deep)"):
            formatter.write_dl(rows)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self._added:
            self._added = True
            at = next((i + 1 for i, p in enumerate(self.params) if p.name == "datasets"), len(self.params))
            self.params[at:at] = [_click_option(o) for o in _declared_options()]
        return super().get_params(ctx)


def _declared_options() -> list[Option]:
    from mlbom.collectors import declared_options
    from mlbom.collectors.registry import builtin_collectors

    return declared_options(builtin_collectors())


def _click_option(o: Option) -> click.Option:
    """The command-line flag of one collector option."""
    flag = o.cli_flag
    if o.type is bool:
        decl = f"{flag}/--no-{flag[2:]}" if o.negatable else flag
        return click.Option([decl, o.name], is_flag=True, default=None, help=o.help)
    kind = click.Path(path_type=Path) if o.type is Path else click.INT if o.type is int else click.STRING
    return click.Option([flag, o.name], type=kind, default=None, help=o.help)


# Library option names whose flag is not "--" + the name with dashes.
_FLAGS = {"embedded_key": "--allow-embedded-key", "keys": "--key", "key_ids": "--key-id", "bom": "--bom",
          "dataset_manifests": "--dataset-manifest", "envs": "--env", "locks": "--lock", "models": "--model",
          "datasets": "--dataset", "min_severity": "--severity", "vuln_id": "--vuln", "prefix": "--output"}


def _flag_for(option: str) -> str:
    """The command-line spelling of a library option name."""
    if option in _FLAGS:
        return _FLAGS[option]
    try:
        found = next((o.cli_flag for o in _declared_options() if o.name == option), None)
    except MlbomError:
        found = None
    return found or "--" + option.replace("_", "-")


@cli.command(cls=_CollectorCommand)
@click.argument("project_dir", required=False, type=click.Path(path_type=Path))
@click.option("--env", "envs", multiple=True, type=click.Path(path_type=Path),
              help="A virtualenv, site-packages folder or Python executable (repeatable).")
@click.option("--requirements", "-r", "requirements", multiple=True, type=click.Path(path_type=Path),
              help="A pip requirements file (repeatable).")
@click.option("--lock", "locks", multiple=True, type=click.Path(path_type=Path),
              help="uv.lock, poetry.lock, Pipfile.lock, pylock.toml or environment.yml (repeatable).")
@click.option("--model", "models", multiple=True, type=click.Path(path_type=Path),
              help="A model folder, a weight file or a Hugging Face cache snapshot (repeatable).")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(path_type=Path),
              help="A dataset folder, a Hugging Face dataset card or a Croissant file (repeatable).")
@click.option("--dataset-manifest", "dataset_manifests", multiple=True, type=click.Path(path_type=Path),
              help="A dataset's file manifest computed elsewhere (`mlbom manifest`, .jsonl or .jsonl.gz): the dataset "
                   "component is built from it; a sample of its files is re-hashed when the folder is reachable "
                   "(repeatable).")
@click.option("--spec-version", type=click.Choice(["1.6", "1.7"]), default="1.6", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "xml"]), default="json", show_default=True)
@click.option("--name", help="Name of the release (default: the project folder's name).")
@click.option("--version", "release_version", help="Version of the release.")
@click.option("--reproducible", is_flag=True,
              help="Byte-identical output for identical inputs: timestamp from SOURCE_DATE_EPOCH "
                   "(omitted if unset), serial number derived from the content.")
@click.option("--serial-number", help="Use this urn:uuid: serial number instead of a random or derived one.")
@click.option("--vuln-db", "vuln_dbs", multiple=True, type=click.Path(path_type=Path),
              help="Add known vulnerabilities from this OSV database: a folder or zip of OSV JSON/YAML records (repeatable).")
@click.option("--vex", "vex_files", multiple=True, type=click.Path(path_type=Path),
              help="With --vuln-db: apply the triage decisions of this CycloneDX VEX or OpenVEX file (repeatable).")
@click.option("--online", is_flag=True, help="Also ask the OSV API (api.osv.dev querybatch) about the packages found.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the BOM here instead of stdout.")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path),
              help="Check the BOM just written against this policy (mlbom-policy.toml or mlbom.toml); exit 1 on "
                   "violations (the BOM is still written). See docs/policy.md.")
@click.option("--check", "check_policy", is_flag=True,
              help="Check the BOM against the project's policy (PROJECT_DIR/mlbom-policy.toml or [policy] in "
                   "mlbom.toml), else the default policy.")
def generate(
    project_dir: Path | None, envs: tuple[Path, ...], requirements: tuple[Path, ...], locks: tuple[Path, ...],
    models: tuple[Path, ...], datasets: tuple[Path, ...], spec_version: str, fmt: str,
    name: str | None, release_version: str | None, reproducible: bool, serial_number: str | None,
    output: Path | None, vuln_dbs: tuple[Path, ...] = (), vex_files: tuple[Path, ...] = (),
    online: bool = False, policy_file: Path | None = None, check_policy: bool = False,
    dataset_manifests: tuple[Path, ...] = (), **collector_options: object,
) -> int:
    """Build one BOM of a release. PROJECT_DIR is searched for the inputs listed below (and its
    mlbom.toml read: [generate] settings such as gpu = true, [policy]); explicit inputs (--env,
    --requirements, --lock, --model, --dataset) are added, and replace discovery of their kind."""
    import re

    if serial_number is not None and not re.fullmatch(
            r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", serial_number):
        raise UsageError(f"--serial-number {serial_number!r} is not urn:uuid: followed by a lower-case UUID")
    gate = None
    if policy_file is not None or check_policy:  # an invalid policy is an error before any work
        from mlbom import policy as _policy

        gate = _policy.resolve(policy_file, project_dir or Path.cwd())
    for m in dataset_manifests:  # a manifest is a dataset input, told apart by its declared name
        if not m.name.endswith((".jsonl", ".jsonl.gz")):
            raise UsageError("expected a .jsonl or .jsonl.gz file manifest", option="dataset_manifests", value=str(m))
    datasets = datasets + dataset_manifests
    if collector_options.get("manifest_dir") is None:  # file manifests go beside the BOM (docs/manifests.md)
        from mlbom.config import project_settings

        # unless mlbom.toml says where: its setting came after this default and lost (red team 49p-3)
        if project_dir is None or not project_dir.is_dir() \
                or project_settings(project_dir).options().get("manifest_dir") is None:
            collector_options["manifest_dir"] = output.parent if output is not None else Path.cwd()
    if output is not None:  # OUT in an inventoried tree (red team 122g-3): before any work
        roots = [p for p in (project_dir, *models, *datasets) if p is not None and p.is_dir()]
        _output_stays_in(roots, output)
        named = [*envs, *requirements, *locks, *models, *datasets, *vuln_dbs, *vex_files, *dataset_manifests,
                 *((policy_file,) if policy_file is not None else ()),
                 *((collector_options["gpu_recording"],) if isinstance(collector_options.get("gpu_recording"), Path)
                   else ()),
                 *((project_dir / "mlbom.toml", project_dir / "mlbom-policy.toml") if project_dir is not None else ())]
        if project_dir is not None and project_dir.is_dir():
            from mlbom.config import project_settings

            named += [p for p in (project_settings(project_dir).gpu_recording,) if p is not None]
        _output_not_an_input(output, named)
    say, bytes_progress, stop = _display()
    done = _cache_warnings()  # one line each (a cache not used: a link, corrupt), not a Python warning
    from mlbom.fswalk import leaving_out

    try:
        with leaving_out((output,) if output is not None else ()) as met:
            bom = mlbom.generate(project_dir, env=envs, requirements=requirements, locks=locks, models=models,
                                 datasets=datasets, name=name, version=release_version, spec_version=spec_version,
                                 reproducible=reproducible, options=collector_options, progress=say,
                                 bytes_progress=bytes_progress)
    finally:
        stop()
        done()
    if output is not None and met and not _holds_a_bom(output):
        raise InputError(output, "is an input of this run" + (f" ({printable(met[0])})" if met[0] != str(output) else "")
                         + "; not replaced by the BOM (write it elsewhere)")
    if serial_number is not None:
        bom = bom.model_copy(update={"serial_number": serial_number})
    if vex_files and not (vuln_dbs or online):
        raise UsageError("--vex needs --vuln-db (or --online): there are no vulnerabilities to apply it to")
    if vuln_dbs or online:
        from mlbom.vulns.service import add_vulnerabilities

        bom, lines = add_vulnerabilities(bom, vuln_dbs, vex_files, online=online)
        for line in lines:
            _err(f"mlbom: {line}")
    from mlbom.cyclonedx.build import Format, dumps

    fmt_lit: Format = "xml" if fmt == "xml" else "json"
    data = dumps(bom, fmt_lit)
    report = mlbom.validate(data)
    if not report.ok:  # a bug of mlbom's, never the user's: say so and fail
        raise MlbomError("internal error: the generated BOM does not validate: " + "; ".join(report.problems[:5]))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise InputError(output, f"cannot write: {exc.strerror or exc}") from exc
        _err(f"wrote {output}")
    _err(summary(bom))
    for u in bom.unreadable:
        _err(f"  not read: {printable(u.path)}: {printable(u.reason)}")
    if gate is not None:
        return _gate(data, gate, str(output or "<stdout>"))
    return 0


def _gate(data: bytes, gate: Policy, name: str) -> int:
    """``generate --policy``: the check of the BOM just written; its report goes to stderr."""
    from mlbom import policy as _policy
    from mlbom.policy import facts, rules
    from mlbom.reader import loads

    result = rules.check(facts.from_loaded(loads(data, name), data), gate)
    _err(_policy.render(result, "text").rstrip("\n"))
    return result.exit_code


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
def validate(bom: Path) -> int:
    """Validate BOM against the bundled official schema of its own spec version, plus
    referential checks (every ref resolves, bom-refs unique). Exit 1 when invalid."""
    report = mlbom.validate(bom)  # "-": stdin, bounded like a file
    if report.ok:
        _say(f"{printable(str(bom))}: valid CycloneDX {report.spec_version} {report.format.upper()}")
        return 0
    _say(f"{printable(str(bom))}: INVALID CycloneDX {report.spec_version} {report.format.upper()} "
         f"({len(report.problems)} problem(s))")
    for p in report.problems:
        _say(f"  {printable(p)}")
    return 1


def _total_bytes(paths: Sequence[Path]) -> int | None:
    """Bytes of the regular files under ``paths`` (for a progress bar; None when unknown)."""
    total = 0
    try:
        for p in paths:
            if p.is_file():
                total += p.stat().st_size
            elif p.is_dir():
                for root, _, files in os.walk(p):
                    for f in files:
                        fp = os.path.join(root, f)
                        if os.path.isfile(fp) and not os.path.islink(fp):
                            total += os.path.getsize(fp)
    except OSError:
        return None
    return total


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-hash", is_flag=True, help="Do not compute SHA-256 (sha256 is null): read only what the scan needs.")
def scan(paths: tuple[Path, ...], fmt: str, no_hash: bool) -> int:
    """Static safety scan of model files (folders are scanned recursively); nothing is loaded.
    Exit 1 when a file is unsafe or suspicious, 2 when one could not be scanned, else 0."""
    import json as _json

    from mlbom.scanner import scan as _scan

    _, bytes_progress, stop = _display()
    try:
        if bytes_progress is not None and not no_hash:
            with bytes_progress("scanning", _total_bytes(paths)):
                results = _scan(paths, with_hash=True, debug=_debug)
        else:
            results = _scan(paths, with_hash=not no_hash, debug=_debug)
    finally:
        stop()
    if fmt == "json":
        click.echo(_json.dumps([r.to_json() for r in results], indent=2))
    else:
        for r in results:
            # one line each, whole: a file name is attacker-chosen text (red team 8c T7)
            _say(printable(f"{r.verdict.upper():<10} {r.format:<16} {r.path}"))
            for f in r.findings:
                if f.severity != "info":
                    _say(printable(f"           {f.severity} {f.id}: {f.message}"))
        counts = Counter(r.verdict for r in results)
        _err(", ".join(f"{counts[v]} {v}" for v in ("unsafe", "suspicious", "error", "safe") if counts[v]) or "no files")
    verdicts = {r.verdict for r in results}
    if verdicts & {"unsafe", "suspicious"}:
        return 1
    return 2 if "error" in verdicts else 0


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
@click.option("--policy", "policy_file", type=click.Path(path_type=Path),
              help="Policy file (mlbom-policy.toml, or mlbom.toml with a [policy] table) [default: ./mlbom-policy.toml, "
                   "else [policy] in ./mlbom.toml, else the default policy].")
@click.option("--key", "key_paths", multiple=True, type=click.Path(path_type=Path),
              help="Trusted public key for [signature] required (repeatable): each signature must be by one of "
                   "them; one key's signature is enough unless the policy says every-key = true.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "markdown"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--project", "project_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              help="Where to look for the project's policy when --policy is not given [default: .].")
@click.option("--base", help="Prefix for file locations in the report: the project folder relative to the repository "
                             "root, so code scanning shows results on the file.")
def check(bom: Path, policy_file: Path | None, key_paths: tuple[Path, ...], fmt: str, output: Path | None,
          project_dir: Path, base: str | None) -> int:
    """Release gate: evaluate a policy against a BOM (JSON or XML, CycloneDX 1.4–1.7, any producer).
    Exit 0 pass, 1 violations, 2 cannot evaluate (unreadable BOM, invalid policy)."""
    from mlbom import policy as _policy

    gate = _policy.resolve(policy_file, project_dir)
    result = _policy.check_file(bom, gate, key_paths=key_paths)
    _write(_policy.render(result, fmt, base=base).encode("utf-8"), output)
    if fmt != "text" or output is not None:
        _err(_policy.summary(result))
    return result.exit_code


def _password(prompt: bool, *, confirm: bool = False) -> bytes | None:
    from mlbom.signing import password_from_env

    if prompt:
        return str(click.prompt("key password", hide_input=True, confirmation_prompt=confirm, err=True)).encode()
    return password_from_env()


@cli.command()
@click.option("--algorithm", type=click.Choice(["es256", "es384", "ed25519", "rs256", "ps256"]), default="es256",
              show_default=True,
              help="es256 (default) is read by every CycloneDX consumer tried and signs XML too. ed25519: "
                   "cyclonedx-core-java (Dependency-Track) refuses crv Ed25519 in JSF, and XML-DSig cannot use it.")
@click.option("-o", "--output", "prefix", type=click.Path(path_type=Path), default=Path("mlbom"), show_default=True,
              help="Writes PREFIX.key (private, PEM, 0600), PREFIX.pub (PEM) and PREFIX.jwk; never over an existing "
                   "file or through a symbolic link.")
@click.option("--password-prompt", is_flag=True, help="Encrypt the private key with a password read from the terminal "
              "(or set MLBOM_KEY_PASSWORD; never a command-line argument).")
def keygen(algorithm: str, prefix: Path, password_prompt: bool) -> int:
    """Generate a signing key pair (ECDSA P-256 by default; P-384; Ed25519; RSA 3072)."""
    from mlbom.keys import generate_key, write_keypair

    paths = write_keypair(generate_key(algorithm), prefix,  # type: ignore[arg-type]
                          password=_password(password_prompt, confirm=True))
    _err("wrote " + ", ".join(printable(str(p)) for p in paths))
    return 0


def _load_bom(path: Path, data: bytes | None = None) -> LoadedBom:
    """Read a BOM for diff/query/index (``data``: its bytes, already read once — what a signature
    check of the same command verifies); its referential problems are warnings on stderr."""
    from mlbom.reader import load, loads

    loaded = load(path) if data is None else loads(data, str(path))
    loaded.require_unique_refs()  # two components under one bom-ref: one would be dropped unseen
    for problem in loaded.problems[:20]:
        _err(f"mlbom: warning: {path}: {problem}")
    if len(loaded.problems) > 20:
        _err(f"mlbom: warning: {path}: {len(loaded.problems) - 20} more problem(s)")
    return loaded


def _read(path: Path) -> bytes:
    from mlbom.keys import read_regular_file
    from mlbom.reader import max_bytes

    limit = max_bytes()  # 256 MiB unless MLBOM_MAX_BOM_BYTES says otherwise: parsing takes several times that
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(path, f"larger than {limit} bytes (set MLBOM_MAX_BOM_BYTES to raise the limit)")
        return data
    return read_regular_file(path, limit, what="input")


def _output_stays_in(roots: list[Path], output: Path) -> None:
    """Refuse ``-o OUT`` named inside one of the inventoried folders ``roots`` when it is a
    symbolic link, or lies under one, that resolves outside that folder (red team 122g-3): a
    link in the tree being inventoried does not choose where mlbom writes. A link outside the
    trees is written through, the rule of every ``-o`` (docs/fuzzing.md 96c-1)."""
    out_abs = os.path.abspath(output)
    target = os.path.realpath(output)
    physical = os.path.join(os.path.realpath(os.path.dirname(out_abs)), os.path.basename(out_abs))
    for root in roots:
        r_abs, r_real = os.path.abspath(root), os.path.realpath(root)
        named_in = os.path.commonpath([r_abs, out_abs]) == r_abs or os.path.commonpath([r_real, physical]) == r_real
        if named_in and os.path.commonpath([r_real, target]) != r_real:
            raise InputError(output, f"lies in {printable(str(root))} but is, or lies under, a symbolic link to {printable(target)}, "
                                     f"outside it: not written through (write it elsewhere)")


def _output_not_an_input(output: Path, named: list[Path]) -> None:
    """Refuse ``-o OUT`` when OUT is a file given to this run as an input (red team 122g-3)."""
    try:
        st = os.stat(output)
    except (OSError, ValueError):
        return
    for p in named:
        try:
            other = os.stat(p)
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            raise InputError(output, "is an input of this run" + (f" ({printable(str(p))})" if str(p) != str(output)
                                                                   else "") + "; not replaced by the BOM (write it elsewhere)")


def _holds_a_bom(output: Path) -> bool:
    """Whether the file at OUT already holds a CycloneDX BOM (a previous run's, replaced as
    asked); anything else that a walk met is an input of the run (red team 122g-3)."""
    import stat

    try:
        fd = os.open(output, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 64 * 1024)
    except OSError:
        return False
    finally:
        os.close(fd)
    return (b'"bomFormat"' in head and b'"CycloneDX"' in head) or b"http://cyclonedx.org/schema/bom/" in head


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise InputError(output, f"cannot write: {exc.strerror or exc}") from exc
    _err(f"wrote {output}")


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path), help="PEM private key.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.option("--add", "add", is_flag=True, help="Add a signer to an already signed BOM.")
@click.option("--replace", is_flag=True, help="Replace an existing signature.")
@click.option("--no-embed-key", is_flag=True, help="Put only a keyId in the signature, not the public key.")
@click.option("--dsse", is_flag=True, help="Write a DSSE envelope (in-toto Statement v1, predicate the BOM) instead.")
@click.option("--subject-artifacts", is_flag=True, help="With --dsse: every file the BOM lists is a subject too.")
@click.option("--password-prompt", is_flag=True, help="Read the key password from the terminal.")
def sign(bom: Path, key_path: Path, output: Path | None, add: bool, replace: bool, no_embed_key: bool, dsse: bool,
         subject_artifacts: bool, password_prompt: bool) -> int:
    """Sign a BOM: a JSON BOM gets an embedded JSF signature (default) or, with --dsse, a
    detached DSSE attestation; an XML BOM gets an enveloped XML-DSig signature (ECDSA or RSA key)."""
    from mlbom import signing

    if add and replace:
        raise UsageError("--add and --replace exclude each other")
    key = signing.load_private_key(key_path, password=_password(password_prompt),
                                   password_hint=f"set {signing.PASSWORD_ENV} or use --password-prompt")
    data = _read(bom)
    from mlbom.cyclonedx.validate import require_valid, validate_bytes

    require_valid(validate_bytes(data, name=str(bom)), str(bom))  # the input's fault is named as such (F12)
    if dsse:
        notes: list[str] = []
        out = signing.attest(data, key, bom_name=bom.name, subject_artifacts=subject_artifacts, notes=notes)
        for note in notes:
            _err(note)
    else:
        out = signing.sign(data, key, mode="add" if add else ("replace" if replace else "new"),
                           embed_key=not no_embed_key, name=str(bom))
        if not mlbom.validate(out).ok:
            raise MlbomError("internal error: the signed BOM does not validate")
    _write(out, output)
    return 0


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
@click.option("--key", "key_paths", multiple=True, type=click.Path(path_type=Path),
              help="Trusted public key: PEM public key, JWK or JWK set (repeatable). Every signer must be one of the "
                   "keys given; one valid signature by any of them is enough unless --require-every-key. "
                   "Certificates are refused.")
@click.option("--key-id", "key_ids", multiple=True,
              help="Trusted key id: SHA-256 (hex) of a public key's SubjectPublicKeyInfo, for a JSF or XML-DSig "
                   "signature that embeds its key (repeatable).")
@click.option("--require-every-key", is_flag=True,
              help="Also require that every --key file (one party: any key of a JWK set or multi-key PEM) and every "
                   "--key-id given has a valid signature: sign-off by all of them. A signer can be removed from a "
                   "multi-signed BOM and the rest still verifies; this makes that fail.")
@click.option("--allow-embedded-key", is_flag=True,
              help="UNSAFE: accept whatever key the signature embeds (proves integrity, not origin). Cannot be "
                   "combined with --key/--key-id.")
@click.option("--bom", "bom_file", type=click.Path(path_type=Path),
              help="With a DSSE envelope: the BOM file it attests (its SHA-256 must be a subject).")
@click.option("--artifacts", type=click.Path(path_type=Path, file_okay=False),
              help="Prove this folder: every regular file in it is listed with a matching hash, every listed file "
                   "exists; nothing else is there.")
@click.option("--exclude", "exclude", multiple=True,
              help="With --artifacts: a path relative to the folder (glob per path step, ** for any depth) not "
                   "required to be listed, e.g. .git (the top-level one) or '**/*.log' (repeatable). Excluded "
                   "files are not checked, so exclude nothing code is loaded from; a .pyc Python would run "
                   "for a listed .py is checked even when excluded.")
@click.option("--listed-only", is_flag=True,
              help="With --artifacts: the weaker check: only compare the files the BOM lists; other files are "
                   "not looked for.")
def verify(bom: Path, key_paths: tuple[Path, ...], key_ids: tuple[str, ...], require_every_key: bool,
           allow_embedded_key: bool, bom_file: Path | None, artifacts: Path | None, exclude: tuple[str, ...], listed_only: bool) -> int:
    """Verify a signed BOM (JSF, XML-DSig) or a DSSE attestation, then that the BOM is valid and,
    with --artifacts, the folder. Exit 0 verified, 1 not verified, 2 could not check."""
    from mlbom import signing
    from mlbom.keys import load_public_keys
    from mlbom.trust import TrustPolicy

    if (exclude or listed_only) and artifacts is None:
        raise UsageError("--exclude and --listed-only go with --artifacts")
    if allow_embedded_key and (key_paths or key_ids):
        raise UsageError("--allow-embedded-key cannot be combined with --key/--key-id: it would accept any signer")
    if require_every_key and not (key_paths or key_ids):
        raise UsageError("--require-every-key goes with --key/--key-id")
    groups = [(str(p), load_public_keys(p)) for p in key_paths]
    policy = TrustPolicy.unsafe_embedded_key() if allow_embedded_key else TrustPolicy.from_keys(
        [k for _, keys in groups for k in keys], key_ids)
    extra = _read(bom_file) if bom_file is not None else None
    result = signing.verify_policy(_read(bom), policy, artifacts=artifacts, exclude=exclude, listed_only=listed_only,
                                   bom_file=extra, name=str(bom), bom_name=str(bom_file))
    if require_every_key:
        signing.require_every_named_key(result, groups, key_ids)
    name = printable(str(bom))  # every line names the input: escaped, so one line per item
    for s in result.signers:
        _say(printable(f"{name}: signer {s.index + 1} ({s.algorithm}, key {s.key_id[:16]}): {s.reason}"))
    if bom_file is not None:
        _say(f"{name}: {printable(str(bom_file))} is an attested subject and matches the predicate")
    _say(printable(f"{name}: verified ({result.kind}); the signed BOM is valid; trust: {result.policy}"))
    if result.artifacts is not None:
        _say(printable(f"{name}: {result.artifacts.summary()}"))
    return 0


@cli.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--fail-on", "fail_on", default=None,
              help="Exit 1 on these changes (comma-separated): hash-drift (a hash of any algorithm both state differs, "
                   "or none is left to compare), hash-change (hashes added), new-unsafe, licence-change (or "
                   "license-change), version-change, origin-change (same version, another VCS URL/commit, download URL, "
                   "index or channel), added, removed, model-card-change, data-change, new-unreadable, "
                   "new-finding[:SEVERITY], new-vulnerability[:SEVERITY] (SEVERITY: critical, high, medium, low, "
                   "info), any.")
def diff(old: Path, new: Path, fmt: str, fail_on: str | None) -> int:
    """ML-aware comparison of two BOMs (JSON or XML, CycloneDX 1.4–1.7) (hash drift, licences, safety, model cards, data)."""
    from mlbom import diff as _diff

    rules = _diff.parse_fail_on(fail_on) if fail_on is not None else []
    a, b = _load_bom(old), _load_bom(new)
    changes = _diff.diff(a.doc, b.doc)
    from mlbom.manifest.compare import manifest_file_changes  # files behind manifests (docs/manifests.md)

    changes += [_diff.Change(kind, ident, detail, old=o, new=n)  # type: ignore[arg-type]
                for kind, ident, detail, o, n in manifest_file_changes(a.doc, old, b.doc, new)]
    if fmt == "text" and sys.stdout.isatty():
        from rich.console import Console

        Console().print(_diff.render_rich(changes))
    elif fmt == "json":
        click.echo(_diff.render(changes, fmt))
    else:
        _say(_diff.render(changes, fmt))
    hits = _diff.gate(changes, rules)
    if hits:
        _err(f"mlbom: {len(hits)} change(s) match --fail-on {fail_on}")
        return 1
    return 0


@cli.command()
@click.argument("bom", required=False, type=click.Path(path_type=Path))
@click.option("--vuln-db", "vuln_dbs", multiple=True, type=click.Path(path_type=Path),
              help="An OSV database: a folder or zip of OSV JSON/YAML records (repeatable).")
@click.option("--update-db", type=click.Path(path_type=Path),
              help="With --online: download OSV's PyPI export (PyPI/all.zip) into this folder first, and use it.")
@click.option("--vex", "vex_files", multiple=True, type=click.Path(path_type=Path),
              help="Apply the triage decisions of this CycloneDX VEX or OpenVEX file (repeatable).")
@click.option("--vex-out", type=click.Path(path_type=Path), help="Also write the analysis as a CycloneDX VEX document.")
@click.option("--online", is_flag=True, help="Also ask the OSV API (api.osv.dev querybatch); offline by default.")
@click.option("--fail-on", "fail_on", type=click.Choice(["critical", "high", "medium", "low", "any"]),
              help="Exit 1 when an open vulnerability (not resolved, not_affected or false_positive by VEX) is rated "
                   "at least this severe (any: every open one, rated or not).")
@click.option("--no-cache", is_flag=True, help="Read the database without the on-disk index cache.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the BOM here instead of stdout.")
def audit(bom: Path | None, vuln_dbs: tuple[Path, ...], vex_files: tuple[Path, ...], vex_out: Path | None, online: bool,
          fail_on: str | None, no_cache: bool, output: Path | None, update_db: Path | None = None) -> int:
    """Add known vulnerabilities (OSV) to any CycloneDX BOM (JSON or XML, 1.4-1.7, any producer);
    writes the BOM as JSON. Exit 0 when written, 1 with --fail-on and a match, 2 when it cannot."""
    from mlbom.vulns.service import audit_file, gate

    if update_db is not None:
        if not online:
            raise UsageError("--update-db downloads from OSV: it needs --online (the default is offline)")
        from mlbom.vulns.online import download_pypi_export

        path = download_pypi_export(update_db)
        _err(f"mlbom: downloaded {path} ({path.stat().st_size / 1e6:.1f} MB)")
        vuln_dbs = (*vuln_dbs, path)
        online = False  # the fresh export answers; no per-package queries on top
        if bom is None:
            return 0
    if bom is None:
        raise UsageError("give the BOM to audit (or only --update-db DIR --online to download the database)")
    if not vuln_dbs and not online:
        raise UsageError("give --vuln-db PATH (a folder or zip of OSV records) or --online")
    say, stop = _progress()
    try:
        result = audit_file(bom, vuln_dbs, vex_files, online=online, use_cache=not no_cache, progress=say)
    finally:
        stop()
    for line in result.messages:
        _err(f"mlbom: {line}")
    _write(result.bom_json, output)
    if vex_out is not None:
        _write(result.vex_json, vex_out)
    _err(result.summary)
    hits = gate(result.vulnerabilities, fail_on) if fail_on else []
    if hits:
        _err(f"mlbom: {len(hits)} open vulnerabilit{'y' if len(hits) == 1 else 'ies'} at or above --fail-on {fail_on}: "
             + ", ".join(hits[:10]))
        return 1
    if fail_on and result.unchecked:  # an audit that could not be completed never passes a gate
        _err(f"mlbom: --fail-on {fail_on}: {result.unchecked} component(s) were not checked (the audit is incomplete)")
        return 1
    if fail_on and result.incomplete_dbs:  # nor one against a database not read to its end (80c-6)
        _err(f"mlbom: --fail-on {fail_on}: {result.incomplete_dbs} vulnerability database(s) were not read to the end "
             "(the audit is incomplete)")
        return 1
    if fail_on and result.invalid_records:  # nor one whose database held records it could not use (95c-4)
        _err(f"mlbom: --fail-on {fail_on}: {result.invalid_records} record(s) of the vulnerability database(s) are not "
             "valid OSV and were not used (the audit is incomplete)")
        return 1
    return 0


@cli.command()
@click.argument("bom", required=False, type=click.Path(path_type=Path))
@click.option("--db", help="Ask an index instead of one BOM (sqlite:///FILE, postgresql://…).")
@click.option("--type", "ctype", help="Component type (library, file, machine-learning-model, data, …).")
@click.option("--name", help="Name glob (case-insensitive).")
@click.option("--purl", help="purl glob.")
@click.option("--version-spec", help="PEP 440 specifier, e.g. '>=2,<3'.")
@click.option("--license", "license_", help="Licence glob (SPDX id, expression or name).")
@click.option("--license-not-in", help="Comma-separated allowlist: components with another licence, or none declared.")
@click.option("--sha256", help="A SHA-256 the component carries.")
@click.option("--property", "props", multiple=True, help="NAME=VALUE, e.g. mlbom:safety:verdict=unsafe (repeatable).")
@click.option("--severity", help="Components with a finding of at least this severity (critical, high, medium, low, info).")
@click.option("--base-model", help="Models derived from a base model matching this glob (purl or ORG/NAME).")
@click.option("--release", "release_glob", help="With --db: only releases whose name matches this glob.")
@click.option("--licenses", "inventory", is_flag=True,
              help="With --db: the licence inventory per release (licence, number of components) instead of components.")
@click.option("--why", help="Print the dependency chain from the release to components matching this name/ref glob.")
@click.option("--vuln", "vuln_id", help="Which releases (with --db) or components a vulnerability affects, by id or alias "
                                         "(CVE-…, GHSA-…, PYSEC-…), with the analysis each BOM states.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def query(bom: Path | None, db: str | None, ctype: str | None, name: str | None, purl: str | None,
          version_spec: str | None, license_: str | None, license_not_in: str | None, sha256: str | None,
          props: tuple[str, ...], severity: str | None, base_model: str | None, release_glob: str | None,
          inventory: bool, why: str | None, fmt: str, vuln_id: str | None = None) -> int:
    """Components of one BOM, or of every release in an index (--db), matching every filter
    given, one row each."""
    from mlbom import query as q

    if (bom is None) == (db is None):
        raise UsageError("give either a BOM file or --db URL")
    pairs = []
    for p in props:
        k, sep, v = p.partition("=")
        if not sep:
            raise UsageError(f"--property {p!r}: expected NAME=VALUE")
        pairs.append((k, v))
    allow = tuple(x.strip() for x in (license_not_in or "").split(",") if x.strip())
    if vuln_id is not None:
        return _query_vuln(bom, db, vuln_id, fmt)
    if db is not None:
        from mlbom import index as ix

        if why:
            raise UsageError("--why asks one BOM; give the BOM file instead of --db")
        engine = ix.open_index(db, create=False)
        if inventory:
            table = ix.licence_inventory(engine, release_glob)
            click.echo(ix.render(table, fmt, ("release", "release_version", "license", "components")
                                 if fmt == "table" else (*ix.RELEASE_COLUMNS, "license", "components")))
            return 0
        filters = ix.IndexFilters(type=ctype, name=name, purl=purl, version_spec=version_spec, license=license_,
                                  license_not_in=allow, sha256=sha256, properties=tuple(pairs), min_severity=severity,
                                  base_model=base_model, release=release_glob)
        table = ix.query(engine, filters)
        cols = ("release", "release_version", "type", "name", "version", "licenses", "verdict", "findings")
        click.echo(ix.render(table, fmt, cols if fmt == "table" else (*ix.RELEASE_COLUMNS, *q.COLUMNS)))
        return 0
    if inventory or release_glob:
        raise UsageError("--licenses and --release ask an index: use --db")
    assert bom is not None
    doc = _load_bom(bom).doc
    if why:
        answer = q.why(doc, why)
        if fmt == "json":
            click.echo(json.dumps(answer.chains, indent=2))
        else:
            _say("\n".join(printable(" -> ".join(c)) for c in answer.chains)
                 or f"nothing matching {printable(why)!r} is reachable from the release")
        if answer.more:
            _err(f"mlbom: query: {answer.more:,} more matching component(s) not shown: their chains are past the "
                 f"{q.MAX_WHY_REFS:,} bom-refs one answer lists; narrow the glob")
        return 0
    one = q.Filters(type=ctype, name=name, purl=purl, version_spec=version_spec, license=license_,
                    license_not_in=allow, sha256=sha256, properties=tuple(pairs), min_severity=severity,
                    base_model=base_model)
    click.echo(q.render(q.rows(q.select(doc, one)), fmt))
    return 0


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "text"]), default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--previous", type=click.Path(path_type=Path), help="The previous release's BOM: adds what changed since.")
@click.option("--key", "key_paths", multiple=True, type=click.Path(path_type=Path),
              help="Trusted public key to check the BOM's signature with (repeatable): every signature must be "
                   "by one of them; one key's signature is enough unless --require-every-key.")
@click.option("--require-every-key", is_flag=True,
              help="Show the BOM as verified only if every --key file has a valid signature (sign-off by all), "
                   "as verify --require-every-key.")
@click.option("--min-score", type=click.IntRange(0, 100), default=None,
              help="Exit 1 when the release, a model or a dataset scores below N (the report is still written).")
def report(bom: Path, fmt: str, output: Path | None, previous: Path | None, key_paths: tuple[Path, ...],
           require_every_key: bool, min_score: int | None) -> int:
    """A report of one BOM (JSON or XML) for release sign-off: identity, signature, completeness
    score, what needs attention, models, datasets, licences, vulnerabilities, GPU stack."""
    from mlbom import report as rp
    from mlbom.signature_state import check

    if require_every_key and not key_paths:
        raise UsageError("--require-every-key goes with --key")
    # one read: the bytes whose signature is checked are the bytes reported (red team 116v-4: a file
    # swapped between two reads was reported with the other one's "verified yes"; stdin was empty at the second)
    data = _read(bom)
    loaded = _load_bom(bom, data)
    sig = check(data, loaded.signature or "", key_paths, name=str(bom),
                every_key=require_every_key) if key_paths else None
    r = rp.build(loaded, previous=_load_bom(previous) if previous is not None else None, signature=sig)
    _write((rp.render(r, "html" if fmt == "html" else "text" if fmt == "text" else "markdown") + "\n").encode("utf-8"), output)
    low = [s for s in r.scores if s.value < min_score] if min_score is not None else []
    from mlbom.limits import MAX_REPORT_SECTIONS

    for s in low[:MAX_REPORT_SECTIONS]:  # one line each for as many as the report details (red team 122v-3)
        _err(f"mlbom: {s.kind} {s.subject}: completeness {s.value}/100 is below --min-score {min_score}")
    if len(low) > MAX_REPORT_SECTIONS:
        _err(f"mlbom: and {len(low) - MAX_REPORT_SECTIONS} more below --min-score {min_score} (the report's "
             "Completeness table lists the scores)")
    return 1 if low else 0


@cli.command()
@click.argument("bom", type=click.Path(path_type=Path))
@click.option("--to", "target", type=click.Choice(["spdx3"]), required=True, help="The format to convert to.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the document here instead of stdout.")
def convert(bom: Path, target: str, output: Path | None) -> int:
    """Convert a BOM (CycloneDX JSON or XML) to SPDX 3.0.1 JSON-LD with the AI and Dataset profiles."""
    from mlbom.spdx3 import to_spdx3

    _write(to_spdx3(_load_bom(bom)), output)
    return 0


@cli.group()
def index() -> None:
    """An index of many BOMs (SQLite by default, PostgreSQL) for questions across releases."""


_DB_HELP = "Index database URL: sqlite:///FILE (default sqlite:///mlbom-index.db) or postgresql://USER@HOST/DB."


@index.command("add")
@click.argument("boms", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", default="sqlite:///mlbom-index.db", show_default=True, help=_DB_HELP)
@click.option("--key", "key_paths", multiple=True, type=click.Path(path_type=Path),
              help="Trusted public key: signed BOMs are verified and the outcome is stored (repeatable).")
def index_add(boms: tuple[Path, ...], db: str, key_paths: tuple[Path, ...]) -> int:
    """Add BOMs (JSON or XML, CycloneDX 1.4–1.7; a folder adds the .json/.xml files in it) to
    the index. Adding a BOM again changes nothing; a different BOM under an indexed serial number
    and version is refused (exit 1). Every file is tried; exit 2 if any could not be read."""
    from mlbom import index as ix

    if key_paths:  # unreadable keys are an error before anything is added
        from mlbom.keys import load_public_keys

        for p in key_paths:
            load_public_keys(p)
    engine = ix.open_index(db)
    failed = conflicts = 0
    files: list[Path] = []
    for given in boms:  # a folder stands for the BOMs in it (*.json, *.xml, recursively, sorted)
        if given.is_dir():
            found = sorted(p for p in given.rglob("*") if p.suffix.lower() in (".json", ".xml") and p.is_file())
            if not found:
                _err(f"mlbom: warning: {given}: no .json or .xml files in this folder")
            files += found
        else:
            files.append(given)
    # reading and checking BOMs runs in parallel processes for many files; writing is one at a time
    for path, prep in zip(files, ix.prepare_files([str(f) for f in files], [str(k) for k in key_paths]), strict=True):
        if isinstance(prep, str):
            _err(f"mlbom: error: {prep}")
            failed += 1
            continue
        for problem in prep.problems[:5]:
            _err(f"mlbom: warning: {path}: {problem}")
        try:
            outcome = ix.write(engine, prep)
        except MlbomError as exc:
            _err(f"mlbom: error: {printable(str(exc))}")
            failed += 1
            continue
        if outcome.outcome == "conflict":
            conflicts += 1
            _err(f"mlbom: conflict: {printable(str(path))}: {printable(outcome.detail)}")
        else:
            _say(printable(f"{outcome.outcome:<8} {path}  {outcome.serial_number} v{outcome.bom_version} "
                           f"({outcome.components} components)"))
    return 2 if failed else 1 if conflicts else 0


@index.command("releases")
@click.option("--db", default="sqlite:///mlbom-index.db", show_default=True, help=_DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def index_releases(db: str, fmt: str) -> int:
    """The releases in the index: name, version, serial number, signature state, size."""
    from mlbom import index as ix

    table = ix.list_releases(ix.open_index(db, create=False))
    cols = ("release", "release_version", "serial_number", "bom_version", "signature", "components", "problems")
    click.echo(ix.render(table, fmt, cols if fmt == "table" else (*cols, "timestamp", "spec_version", "format", "sha256")))
    return 0


@index.command("get")
@click.argument("serial_number")
@click.option("--bom-version", type=int, help="This version of the BOM (default: the latest).")
@click.option("--db", default="sqlite:///mlbom-index.db", show_default=True, help=_DB_HELP)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
def index_get(serial_number: str, bom_version: int | None, db: str, output: Path | None) -> int:
    """Write a BOM back exactly as it was added."""
    from mlbom import index as ix

    _write(ix.document(ix.open_index(db, create=False), serial_number, bom_version), output)
    return 0


def _query_vuln(bom: Path | None, db: str | None, vuln_id: str, fmt: str) -> int:
    """``query --vuln ID``: across an index, or in one BOM."""
    from mlbom import index as ix

    if db is not None:
        table = ix.vulnerability_releases(ix.open_index(db, create=False), vuln_id)
    else:
        assert bom is not None
        from mlbom.readmodel import vulnerabilities

        want = ix.wanted_vuln_id(vuln_id)
        table = [{"vulnerability": v.id, "severity": v.severity, "state": v.state, "component": a.name or a.ref,
                  "version": a.version, "purl": a.purl, "detail": v.detail}
                 for v in vulnerabilities(_load_bom(bom).doc) if want in v.ids for a in v.affects]
    cols = ("release", "release_version", "vulnerability", "severity", "state", "component", "version") \
        if db is not None else ("vulnerability", "severity", "state", "component", "version")
    click.echo(ix.render(table, fmt, cols if fmt == "table" else ix.VULN_COLUMNS if db is not None else (*cols, "purl", "detail")))
    return 0


class _ManifestGroup(click.Group):
    """``mlbom manifest DIR …`` builds; ``mlbom manifest merge|diff …`` are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["build", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_ManifestGroup)
def manifest() -> None:
    """File manifests (docs/manifests.md): `mlbom manifest DIR [--shard I/N] -o OUT` writes the manifest of a
    folder (or one shard of it); `mlbom manifest merge PART… -o OUT` merges shards into the manifest one machine
    would write; `mlbom manifest diff OLD NEW` lists the files that differ. Exit 0 done, 1 some files could not be
    hashed (build: the manifest records them) or the manifests differ (diff), 2 could not do it."""


def _cache_warnings() -> Callable[[], None]:
    import warnings

    from mlbom.manifest.cache import CacheWarning

    caught = warnings.catch_warnings(record=True)
    got = caught.__enter__()
    warnings.simplefilter("always", CacheWarning)

    def done() -> None:
        caught.__exit__(None, None, None)
        for w in got:
            _err(f"mlbom: warning: {w.message}")
    return done


@manifest.command("build")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Write the manifest here (.jsonl, or .jsonl.gz for gzip).")
@click.option("--shard", help="Only shard I of N (I/N, partitioned by a hash of each path), for `manifest merge`.")
@click.option("--cache-dir", type=click.Path(path_type=Path),
              help="Folder of the hash cache [default: $XDG_CACHE_HOME/mlbom or ~/.cache/mlbom].")
@click.option("--no-cache", is_flag=True, help="Hash every file; neither read nor write the hash cache.")
def manifest_build(folder: Path, output: Path, shard: str | None, cache_dir: Path | None, no_cache: bool) -> int:
    """Write the manifest of FOLDER (or of one shard): sorted (path, size, SHA-256) as JSON Lines."""
    from contextlib import nullcontext

    from mlbom.manifest.build import build_manifest, parse_shard
    from mlbom.manifest.cache import open_cache
    from mlbom.model import Finding

    part = parse_shard(shard) if shard is not None else None
    if folder.is_dir():
        _output_stays_in([folder], output)  # a link in the folder does not choose where mlbom writes (122g-3)
    findings: list[Finding] = []
    done = _cache_warnings()
    cache = None
    _, bytes_progress, stop = _display()
    try:
        cache = open_cache(cache_dir, enabled=not no_cache)
        with (bytes_progress(f"hashing {folder.name}", None) if bytes_progress is not None else nullcontext(None)) as adv:
            written = build_manifest(folder, output, shard=part, cache=cache, on_finding=findings.append, advance=adv)
    finally:
        stop()
        if cache is not None:
            cache.close()
        done()
    for f in findings:
        _err(f"mlbom: {'skipped' if f.severity == 'info' else 'not read'}: {printable(f.message)}")
    _err(f"wrote {output}: {written.files} files, {written.total_size} bytes, sha256 {written.sha256}"
         + (f"; {written.failed} could not be hashed (error lines)" if written.failed else ""))
    return 1 if written.failed or any(f.severity != "info" for f in findings) else 0


@manifest.command("merge")
@click.argument("parts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Write the merged manifest here (.jsonl, or .jsonl.gz for gzip).")
def manifest_merge(parts: tuple[Path, ...], output: Path) -> int:
    """Merge the shards of one folder's manifest; refused (exit 2) for shards of different folders or a missing shard."""
    from mlbom.manifest.merge import merge

    written = merge(parts, output)
    _err(f"wrote {output}: {written.files} files from {len(parts)} shards, sha256 {written.sha256}")
    return 0


@manifest.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
def manifest_diff(old: Path, new: Path) -> int:
    """The files added, removed and changed between two manifests, one per line; exit 1 when any."""
    from mlbom.manifest.compare import diff_manifests

    d = diff_manifests(old, new)
    for e in d.added:
        _say(f"added    {printable(e.path)}")
    for e in d.removed:
        _say(f"removed  {printable(e.path)}")
    for o, _ in d.changed:
        _say(f"changed  {printable(o.path)}")
    _err(f"{d.counts['added']} added, {d.counts['removed']} removed, {d.counts['changed']} changed")
    return 0 if d.empty else 1


# What exit code 1 means for each command (CONTRACT.md: 0 success / nothing found, 1 the check
# found something, 2 mlbom could not do its job); None: the command has no check that exits 1.
EXIT_1: dict[str, str | None] = {
    "generate": "--policy/--check found violations (the BOM is still written)",
    "validate": "the BOM is invalid",
    "scan": "a file is unsafe or suspicious",
    "check": "the policy found violations",
    "keygen": None,
    "sign": None,
    "verify": "not verified (a signature, the trust given, the BOM's validity or, with --artifacts, a file)",
    "diff": "a change named by --fail-on was found",
    "audit": "--fail-on matched an open vulnerability",
    "query": None,
    "report": "--fail-below: the release, a model or a dataset scores below the threshold",
    "convert": None,
    "index": "a subcommand's check found something (see its --help)",
    "manifest": "a subcommand's check found something (see its --help)",
    "index add": "a BOM conflicts with one already indexed (same serial number and version, other content)",
    "index releases": None,
    "index get": None,
    "manifest build": "a file could not be read or hashed (an error line in the manifest, which is still written)",
    "manifest merge": None,
    "manifest diff": "the manifests differ",
}
EXIT_0 = "success (nothing found)"
EXIT_2 = "mlbom could not do its job (unreadable input, bad arguments, internal error)"
EXIT_1_UNKNOWN = "the check found something"


def exit_codes(name: str) -> list[tuple[int, str]]:
    """The exit codes of the command ``name`` (``"index add"``) with what each means."""
    one = EXIT_1.get(name, EXIT_1_UNKNOWN)
    return [(0, EXIT_0), *([(1, one)] if one else []), (2, EXIT_2)]


def _document_exit_codes(group: click.Group, prefix: str = "") -> None:
    """Every command's --help ends with its exit codes."""
    for cmd_name, cmd in group.commands.items():
        name = f"{prefix}{cmd_name}"
        if isinstance(cmd, click.Group):
            _document_exit_codes(cmd, name + " ")
        lines = "\n".join(f"  {code}  {text}" for code, text in exit_codes(name))
        cmd.epilog = "\b\nExit codes:\n" + lines


_document_exit_codes(cli)
cli.epilog = "\b\nExit codes (every command):\n" + "\n".join(
    f"  {code}  {text}" for code, text in ((0, EXIT_0), (1, EXIT_1_UNKNOWN), (2, EXIT_2)))


def _is_native_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfaced by PyO3 (``pyo3_runtime.PanicException``, raised by
    cryptography, orjson, rfc8785 ... on input their Rust code did not expect). It derives from
    ``BaseException``, not ``Exception``, and PyO3 creates the class at run time (no module to
    import it from), so it is recognised by its qualified name (red team 92c-1)."""
    return any(cls.__module__ == "pyo3_runtime" and cls.__name__ == "PanicException"
               for cls in type(exc).__mro__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rc = cli.main(args=args, prog_name="mlbom", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        _err("mlbom: aborted")
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except (VerificationError, ValidationFailed) as exc:
        if _debug or "--debug" in args:
            raise
        _err(f"mlbom: verification FAILED: {printable(str(exc))}" if isinstance(exc, VerificationError)
             else f"mlbom: {exc}")
        return 1
    except MlbomError as exc:
        if _debug or "--debug" in args:
            raise
        hint = exc.hint
        if isinstance(exc, UsageError):
            text = exc.render(_flag_for(exc.option) if exc.option else None, _flag_for)
            hint = exc.render_hint(_flag_for)
        else:
            text = str(exc)
        _err(f"mlbom: error: {printable(text)}")
        if hint:
            _err(f"mlbom: hint: {hint}")
        return 2
    except KeyboardInterrupt:
        _err("mlbom: interrupted")
        return 2
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # an mlbom bug: one line, exit 2, traceback only with --debug
        if _debug or "--debug" in args:
            raise
        _err(f"mlbom: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        return 2
    except BaseException as exc:  # only a native library's panic; KeyboardInterrupt, SystemExit pass on
        if not _is_native_panic(exc) or _debug or "--debug" in args:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        _err(f"mlbom: error: a native library failed on this input ({printable(first[:200])})")
        return 2
    finally:
        index_module = sys.modules.get("mlbom.index")
        if index_module is not None:
            index_module.dispose_all()
    return rc if isinstance(rc, int) else 0


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())
