"""Builds one Lambda package per Zappa stage, each with only its own code and dependencies."""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.metadata as metadata
import importlib.util
import json
import multiprocessing
import os
import platform
import re
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import canonicalize_name

from deploy.bytecode import compile_fresh

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "zappa_settings.json"
STAGES = ("api", "dashboard", "jobs", "train")
# pyproject extras each stage installs (on top of the project's own dependencies). Training is
# a stage of its own: scikit-learn and scipy (115 MB unpacked) beside the collectors' libraries
# left the jobs package 196 MB of Lambda's 250.
STAGE_EXTRAS = {"api": ("api",), "dashboard": ("dashboard",), "jobs": ("collectors",),
                "train": ("models",)}
# What Zappa's handler.py itself imports at run time. Zappa's other dependencies (troposphere,
# pip, click, …) serve the command line only and stay out of the package.
HANDLER_REQUIREMENTS = ("werkzeug", "durationpy", "boto3")
# The project's top-level code; each stage drops the others' through its `exclude_glob`.
FIRST_PARTY = ("core", "settings", "storage", "analytics", "api", "models", "collectors",
               "dashboard", "demo")
# Lambda's limits for a function package: the zip as uploaded, and everything unpacked.
ZIPPED_LIMIT_BYTES = 50 * 1024 * 1024
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
# The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34), x86_64.
LAMBDA_GLIBC_MINOR = 34
# Stages whose packages carry bytecode: it saves compiling on every cold start but adds about
# a third to the unpacked size, which the train stage (numpy, scipy, scikit-learn) cannot spare.
# The jobs stage can since training left it (72 → 86 MB), and its cold start is what a push
# event waits for: 1.2 s → 0.4 s to a sync's answer, measured in a clean python3.12 -I -S.
BYTECODE_STAGES = frozenset({"api", "dashboard", "jobs"})
# Stages whose installed libraries ship as bytecode alone (a `.pyc` where the `.py` was, which
# Python imports without the source): the dashboard's cold start is mostly compiling Dash,
# plotly, pandas and Flask (4.5 s against 1.6 s measured), and bytecode beside the sources
# would take its zip past the 50 MB a direct upload allows. Our own code keeps its sources
# (tracebacks show their lines); the libraries' tracebacks show file and line only.
SOURCELESS_STAGES = frozenset({"dashboard"})
# Distributions an extra brings that the stage's code never imports (pandas is in the models
# extra for notebooks; training uses numpy and scikit-learn): 28 MB the train stage cannot spare.
STAGE_LEAVE_OUT = {"train": ("pandas",)}
# zlib level: 1 builds three times faster than 6 for 12% more bytes, which only the upload
# to S3 sees (the 250 MB limit counts unpacked bytes).
COMPRESS_LEVEL = 1
# The dashboard's zip is meant for a direct upload (≤ 50 MB): there the bytes count, and level 6
# takes 12 % off for a build a few seconds longer.
STAGE_COMPRESS_LEVEL = {"dashboard": 6}
# botocore carries every AWS service's model (28 MB unpacked, 15 MB zipped); the functions make
# clients for these only (Zappa's handler: s3; sts and sso for the credential chain).
AWS_SERVICES = frozenset({"dynamodb", "s3", "ssm", "lambda", "sts", "sso", "sso-oidc"})
# Stages whose browser files (Dash's and the component libraries' bundles, plotly.js, their
# source maps) are published by `make publish-assets` and served from PULSEBOARD_ASSETS_URL:
# the function never sends them, so its package need not carry them (15 MB zipped).
BROWSER_FILES_PUBLISHED = frozenset({"dashboard"})
BROWSER_SUFFIXES = (".js", ".map", ".js.LICENSE.txt")
BUILD_VERSION = "5"  # bump when the layout below changes, so cached packages are rebuilt


class PackageError(RuntimeError):
    """A package cannot be built or is over a limit; the message says what to do."""


@dataclass(frozen=True)
class PackageInfo:
    stage: str
    path: Path
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    distributions: tuple[str, ...]
    cached: bool = False
    # The zip's own digest: the same lock and the same code give the same bytes.
    content_sha256: str = ""

    def report(self) -> str:
        mb = 1024 * 1024
        return (
            f"{self.stage:<10} {self.zipped_bytes / mb:6.1f} MB zipped (limit "
            f"{ZIPPED_LIMIT_BYTES // mb} MB)  {self.unzipped_bytes / mb:6.1f} MB unzipped (limit "
            f"{UNZIPPED_LIMIT_BYTES // mb} MB)  {self.files} files  "
            f"sha256 {self.content_sha256[:16]}" + ("  (cached)" if self.cached else "")
        )


def stage_config(stage: str, settings_file: Path = SETTINGS_FILE) -> dict[str, Any]:
    """A stage's settings with `extends` applied the way Zappa applies it (a shallow update)."""
    every = json.loads(settings_file.read_text())
    if stage not in every:
        raise PackageError(f"no stage {stage!r} in {settings_file.name}; stages: {sorted(every)}")
    config = every[stage]
    parent = config.get("extends")
    merged = stage_config(parent, settings_file) if parent else {}
    merged.update(config)
    merged.pop("extends", None)
    return merged


def stage_requirements(stage: str, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in STAGE_EXTRAS[stage]:
        wanted += [r for r in project["optional-dependencies"][extra]
                   if canonicalize_name(Requirement(r).name) != "pulseboard"]
    return wanted + list(HANDLER_REQUIREMENTS)


def lambda_tags() -> set[Tag]:
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(LAMBDA_GLIBC_MINOR, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    tags = set(cpython_tags((3, 12), abis=["cp312"], platforms=platforms))
    tags |= set(compatible_tags((3, 12), "cp312", platforms=platforms))
    return tags


def _wheel_tags(dist: metadata.Distribution) -> set[Tag]:
    text = dist.read_text("WHEEL") or ""
    tags: set[Tag] = set()
    for line in text.splitlines():
        if line.startswith("Tag:"):
            tags |= set(parse_tag(line.split(":", 1)[1].strip()))
    return tags


def resolve(requirements: Iterable[str], leave_out: Iterable[str] = ()
            ) -> dict[str, metadata.Distribution]:
    """The installed distributions these requirements need, transitively, markers evaluated for
    this interpreter (the same Linux x86_64 CPython 3.12 as Lambda's)."""
    skipped = {canonicalize_name(n) for n in leave_out}
    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name == "zappa" or name in skipped:
            continue  # zappa is added apart, without its command-line dependencies
        known = extras_seen.get(name)
        if known is not None and set(req.extras) <= known:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise PackageError(
                f"{req.name} is required but not installed in {sys.prefix}; run `make venv`"
            ) from None
        if not req.specifier.contains(dist.version, prereleases=True):
            raise PackageError(f"{req.name} {dist.version} is installed but {req} is required; "
                               "run `make venv`")
        extras = (known or set()) | set(req.extras)
        extras_seen[name] = extras
        found[name] = dist
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e})
                                         for e in extras | {""}):
                todo.append(sub)
    return found


def check_platform(dists: Iterable[metadata.Distribution]) -> None:
    """Lambda runs what we ship: refuse a build host or a wheel that Lambda cannot load."""
    if sys.platform != "linux" or platform.machine() != "x86_64" or sys.version_info[:2] != (3, 12):
        raise PackageError(
            f"packages are built from this machine's installed wheels, so it must match Lambda "
            f"(Linux x86_64, Python 3.12); this is {sys.platform} {platform.machine()} Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}"
        )
    allowed = lambda_tags()
    for dist in dists:
        tags = _wheel_tags(dist)
        if tags and not tags & allowed:
            raise PackageError(
                f"{dist.metadata['Name']} {dist.version} is installed as "
                f"{', '.join(sorted(map(str, tags)))}, which Lambda's python3.12 cannot load; "
                f"reinstall it from a manylinux wheel (glibc <= 2.{LAMBDA_GLIBC_MINOR})"
            )


def _dist_files(dist: metadata.Distribution) -> list[Path]:
    """A distribution's installed files inside site-packages (no scripts, no bytecode)."""
    out = []
    for file in dist.files or []:
        text = str(file)
        if text.startswith("..") or "__pycache__" in file.parts or text.endswith(".pyc"):
            continue
        out.append(Path(text))
    return out


def _site_packages(dist: metadata.Distribution) -> Path:
    return Path(str(dist.locate_file(""))).resolve()


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A relative glob as Zappa's `exclude_glob` means it (`**` spans folders, `*` does not)."""
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            parts.append("(?:[^/]+/)*")
        else:
            parts.append(fnmatch.translate(segment).removeprefix("(?s:").removesuffix(")\\Z")
                         .replace(".*", "[^/]*") + "/")
    return re.compile("".join(parts).removesuffix("/"))


class Selection:
    """Zappa's two exclusion rules: `exclude` names any path component, `exclude_glob` a path
    from the package root (and everything under it)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.names = list(config.get("exclude", []))
        self.globs = [_glob_regex(g) for g in config.get("exclude_glob", [])]

    def keeps(self, rel: PurePosixPath) -> bool:
        if any(fnmatch.fnmatch(part, n) for part in rel.parts for n in self.names):
            return False
        prefixes = ["/".join(rel.parts[: i + 1]) for i in range(len(rel.parts))]
        return not any(g.fullmatch(p) for g in self.globs for p in prefixes)


def needed_elsewhere(stage: str, rel: PurePosixPath) -> bool:
    """An installed file the stage never reads: another AWS service's model, or a browser file
    the stage's browsers fetch from the published assets."""
    parts = rel.parts
    if parts[:2] == ("botocore", "data") and len(parts) > 3 and parts[2] not in AWS_SERVICES:
        return True
    return stage in BROWSER_FILES_PUBLISHED and rel.name.endswith(BROWSER_SUFFIXES)


def package_files(stage: str, config: dict[str, Any],
                  dists: dict[str, metadata.Distribution]) -> dict[str, Path]:
    """Every file the stage's zip holds: its path in the zip → the file on this machine."""
    keep = Selection(config)
    files: dict[str, Path] = {}
    for top in FIRST_PARTY:
        path = ROOT / top
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            own = PurePosixPath(file.relative_to(ROOT).as_posix())
            if file.is_file() and keep.keeps(own):
                files[str(own)] = file
    for dist in [*dists.values(), metadata.distribution("zappa")]:
        base = _site_packages(dist)
        for rel in _dist_files(dist):
            posix = PurePosixPath(rel.as_posix())
            source = base / rel
            if source.is_file() and keep.keeps(posix) and not needed_elsewhere(stage, posix):
                files.setdefault(str(posix), source)
    return files


def inputs_digest(stage: str, config: dict[str, Any], files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{BUILD_VERSION}|{stage}|{json.dumps(config, sort_keys=True)}".encode())
    for name in sorted(files):
        source = files[name]
        digest.update(f"|{name}|".encode())
        if source.is_relative_to(ROOT) and not source.is_relative_to(ROOT / ".venv"):
            digest.update(source.read_bytes())
        else:  # installed files change only with their distribution: size and mtime suffice
            info = source.stat()
            digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def zappa_settings_module(stage: str, config_file: Path = SETTINGS_FILE) -> str:
    """The `zappa_settings` module Zappa writes into every package, made by Zappa itself."""
    from zappa.cli import ZappaCLI

    every = json.loads(config_file.read_text())
    for conf in every.values():  # Zappa opens policy files relative to the working directory
        if conf.get("attach_policy"):
            conf["attach_policy"] = str((config_file.parent / conf["attach_policy"]).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "zappa_settings.json"
        copy.write_text(json.dumps(every))
        cli = ZappaCLI()
        # Its WebSocket detection walks the working directory; this project has no WebSockets.
        cli._detect_websocket_usage = lambda: None
        cli.api_stage = stage
        cli.load_credentials = False
        cli.load_settings(str(copy))
        return str(cli.get_zappa_settings_string())


def _pyc_name(name: str) -> str:
    folder, _, file = name.rpartition("/")
    tag = sys.implementation.cache_tag
    return f"{folder + '/' if folder else ''}__pycache__/{file[:-3]}.{tag}.pyc"


def write_zip(out: Path, files: dict[str, Path], settings_module: str, bytecode: bool,
              sourceless: bool = False, level: int = COMPRESS_LEVEL) -> None:
    """Zappa's layout: its handler.py and zappa_settings.py at the root beside the code and
    site-packages; entries sorted with fixed times, so equal inputs give an equal zip.
    `sourceless`: installed libraries' modules as bytecode only (see SOURCELESS_STAGES)."""
    spec = importlib.util.find_spec("zappa")
    if spec is None or spec.origin is None:
        raise PackageError("Zappa is not installed: run make venv")
    handler = Path(spec.origin).with_name("handler.py")
    entries: dict[str, bytes | Path] = dict(files)
    entries["handler.py"] = handler
    entries["zappa_settings.py"] = settings_module.encode()
    compiled = compile_fresh({name: item if isinstance(item, bytes) else item.read_bytes()
                              for name, item in entries.items()
                              if name.endswith(".py")}) if bytecode else {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name in sorted(entries):
            item = entries[name]
            if sourceless and name in compiled and name.split("/")[0] not in FIRST_PARTY \
                    and "/" in name:
                _add(archive, name + "c", compiled[name], level)  # foo.py → foo.pyc, no source
                continue
            _add(archive, name, item if isinstance(item, bytes) else item.read_bytes(), level)
            if name in compiled:
                _add(archive, _pyc_name(name), compiled[name], level)



def _add(archive: zipfile.ZipFile, name: str, data: bytes, level: int = COMPRESS_LEVEL) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = 0o755 << 16  # as Zappa does: Lambda must be able to read everything
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=level)


def _zip_sizes(path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    return sum(i.file_size for i in infos), len(infos)


def check_limits(info: PackageInfo) -> None:
    """Lambda refuses more than 250 MB unpacked. The 50 MB zipped limit binds direct uploads
    only; Zappa deploys through its S3 bucket, so that one is reported, not enforced."""
    if info.unzipped_bytes > UNZIPPED_LIMIT_BYTES:
        raise PackageError(f"{info.stage}: package over Lambda's unzipped limit "
                           f"({info.report().split(maxsplit=1)[1]}); trim its dependencies")


def build(stage: str, dist_dir: Path = ROOT / "dist", force: bool = False,
          settings_file: Path = SETTINGS_FILE) -> PackageInfo:
    """Builds dist/<stage>.zip, unless one built from the same inputs is there already."""
    if stage not in STAGES:
        raise PackageError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    config = stage_config(stage, settings_file)
    dists = resolve(stage_requirements(stage), leave_out=STAGE_LEAVE_OUT.get(stage, ()))
    check_platform(dists.values())
    files = package_files(stage, config, dists)
    digest = inputs_digest(stage, config, files)
    out = dist_dir / f"{stage}.zip"
    manifest_path = dist_dir / f"{stage}.json"
    if not force and out.is_file() and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("inputs_sha256") == digest:
            return PackageInfo(stage, out, out.stat().st_size, manifest["unzipped_bytes"],
                               manifest["files"], tuple(manifest["distributions"]), cached=True,
                               content_sha256=manifest.get("content_sha256", ""))
    dist_dir.mkdir(parents=True, exist_ok=True)
    partial = dist_dir / f"{stage}.zip.partial"
    write_zip(partial, files, zappa_settings_module(stage, settings_file),
              bytecode=stage in BYTECODE_STAGES, sourceless=stage in SOURCELESS_STAGES,
              level=STAGE_COMPRESS_LEVEL.get(stage, COMPRESS_LEVEL))
    partial.replace(out)
    unzipped, count = _zip_sizes(out)
    names = tuple(sorted(f"{n}=={d.version}" for n, d in dists.items()))
    content = hashlib.sha256(out.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps({
        "stage": stage, "inputs_sha256": digest, "content_sha256": content,
        "zipped_bytes": out.stat().st_size, "unzipped_bytes": unzipped, "files": count,
        "distributions": names,
    }, indent=2))
    return PackageInfo(stage, out, out.stat().st_size, unzipped, count, names,
                       content_sha256=content)


def build_all(stages: Iterable[str] = STAGES, dist_dir: Path = ROOT / "dist",
              force: bool = False) -> list[PackageInfo]:
    """Builds the stages side by side (compression is the slow part, one core each)."""
    stages = list(stages)
    if len(stages) == 1:
        return [build(stages[0], dist_dir, force)]
    # spawn, not fork: callers (tests) may run threads, which a forked child would inherit locked.
    context = multiprocessing.get_context("spawn")
    workers = min(len(stages), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(build, stages, [dist_dir] * len(stages), [force] * len(stages)))
