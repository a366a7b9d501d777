"""`make deploy|update|undeploy`: Zappa with the checks it lacks, on a `make package` build."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from deploy.package import ROOT, SETTINGS_FILE, PackageError, build, check_limits, stage_config

# Parameters each stage cannot run without (PULSEBOARD_SSM_PREFIX/<name>, SecureStrings).
# The refresh-token seeds are optional: tokens live in the store once the first sync has run.
REQUIRED_SECRETS = {
    "api": ("API_KEY", "MODEL_KEY", "STRAVA_VERIFY_TOKEN"),
    "dashboard": ("SECRET_KEY", "API_KEY"),
    "jobs": ("STRAVA_CLIENT_SECRET", "WITHINGS_CLIENT_SECRET"),
    "train": ("MODEL_KEY",),  # it signs the model the api checks
}
# Keys nobody has to choose: the API's key (the dashboard sends it), the model-signing key (the
# training signs what the API checks) and the session-signing key. A deploy creates a missing one.
GENERATED_SECRETS = ("API_KEY", "MODEL_KEY", "SECRET_KEY", "STRAVA_VERIFY_TOKEN")
WEBHOOKS = ("strava", "withings")


def webhook_lines(url: str) -> list[str]:
    """What the owner does once the api stage is up: subscribe each provider's push to it."""
    lines = ["push sync: subscribe each provider once (the schedule stays as the net):"]
    for provider in WEBHOOKS:
        lines.append(f"  python -m collectors subscribe {provider} --callback "
                     f"{url.rstrip('/')}/webhooks/{provider}")
    return lines


class DeployError(RuntimeError):
    """A deployment cannot go ahead; the message says what is missing and how to fix it."""


def _client(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def targets(stage: str, config: dict[str, Any]) -> tuple[str, str, str, str]:
    """(table, bucket, blobs prefix, SSM prefix) the stage's environment names."""
    env = config.get("aws_environment_variables", {})
    store = urlparse(env.get("PULSEBOARD_STORE", ""))
    blobs = urlparse(env.get("PULSEBOARD_BLOBS", ""))
    if store.scheme != "dynamodb" or blobs.scheme != "s3":
        raise DeployError(f"{stage}: aws_environment_variables must set PULSEBOARD_STORE="
                          "dynamodb://table and PULSEBOARD_BLOBS=s3://bucket/prefix")
    prefix = env.get("PULSEBOARD_SSM_PREFIX", "")
    if not prefix:
        raise DeployError(f"{stage}: aws_environment_variables must set PULSEBOARD_SSM_PREFIX "
                          "(secrets are read from Parameter Store, never from the settings file)")
    return store.netloc, blobs.netloc, blobs.path.strip("/"), prefix


def check_policy(stage: str, config: dict[str, Any]) -> None:
    """The role's resources must name the same table, bucket and parameters as the settings."""
    table, bucket, _, prefix = targets(stage, config)
    resources = json.dumps(config.get("extra_permissions", []))
    needed = [f"parameter{prefix}/*"]
    if stage != "api":
        needed.append(f":table/{table}")
    needed.append(f"arn:aws:s3:::{bucket}")
    missing = [n for n in needed if n not in resources]
    if missing:
        raise DeployError(f"{stage}: extra_permissions do not cover {', '.join(missing)}; edit "
                          "zappa_settings.json so the role and the environment name the same")


def check_secrets(stage: str, config: dict[str, Any], ssm: Any,
                  say: Callable[[str], None] = print) -> None:
    """Every parameter the stage needs is there; a missing generated key is made (random, 256
    bits, a SecureString), one chosen by the owner (a client secret) stops the deploy."""
    _, _, _, prefix = targets(stage, config)
    found: set[str] = set()
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix):
        found |= {p["Name"].rsplit("/", 1)[-1] for p in page["Parameters"]}
    for name in REQUIRED_SECRETS[stage]:
        if name in GENERATED_SECRETS and name not in found:
            try:
                ssm.put_parameter(Name=f"{prefix}/{name}", Value=secrets.token_urlsafe(32),
                                  Type="SecureString", Overwrite=False)
                say(f"created {prefix}/{name} (a random key, kept in Parameter Store)")
            except ssm.exceptions.ParameterAlreadyExists:
                pass  # another deploy made it first: use that one
            found.add(name)
    missing = [name for name in REQUIRED_SECRETS[stage] if name not in found]
    if missing:
        commands = "; ".join(f"aws ssm put-parameter --type SecureString --name {prefix}/{n} "
                             "--value '…'" for n in missing)
        raise DeployError(f"{stage}: missing SSM parameters {', '.join(missing)}: {commands}")


def ensure_backends(stage: str, config: dict[str, Any], region: str,
                    say: Callable[[str], None]) -> None:
    """The table and bucket exist, or are made the way `python -m storage init` makes them."""
    from storage.dynamodb import DynamoStore
    from storage.s3 import S3Blobs

    table, bucket, prefix, _ = targets(stage, config)
    DynamoStore(table, client=_client("dynamodb", region)).ensure_table()
    S3Blobs(bucket, prefix, client=_client("s3", region)).ensure_bucket()
    say(f"table {table} and bucket {bucket} are there")


def check_assets(stage: str, config: dict[str, Any], region: str) -> None:
    """A dashboard told to load its scripts from PULSEBOARD_ASSETS_URL needs them published for
    the versions it ships; without them its pages stay blank."""
    if not config.get("aws_environment_variables", {}).get("PULSEBOARD_ASSETS_URL"):
        return
    from deploy.assets import missing

    _, bucket, prefix, _ = targets(stage, config)
    gone = missing(_client("s3", region), bucket, prefix, config["aws_environment_variables"])
    if gone:
        raise DeployError(f"{stage}: {len(gone)} browser files are not in s3://{bucket} yet "
                          f"(e.g. {gone[0]}): run `make publish-assets` first")


def api_url(region: str, settings_file: Path = SETTINGS_FILE, stage: str = "api") -> str | None:
    """A stage's API Gateway URL once it is deployed (the dashboard calls the api stage's)."""
    from zappa.core import Zappa

    config = stage_config(stage, settings_file)
    name = f"{config.get('project_name', 'pulseboard')}-{stage}"
    zappa = Zappa(aws_region=region, load_credentials=True)
    url = zappa.get_api_url(name, stage)
    return str(url) if url else None


def cloudfront() -> Any:
    from deploy.cdn import CLOUDFRONT_REGION

    return _client("cloudfront", CLOUDFRONT_REGION)


def deploy_cdn(stage: str, config: dict[str, Any], region: str,
               say: Callable[[str], None], settings_file: Path = SETTINGS_FILE) -> str | None:
    """The dashboard stage's CloudFront distribution, made or updated after its function: the
    published shells and static files from the bucket, the rest from its API (deploy/cdn.py).
    Its domain; None when the stage serves its own scripts (no PULSEBOARD_ASSETS_URL)."""
    from deploy.assets import page_paths
    from deploy.cdn import deploy_distribution, table

    env = config.get("aws_environment_variables", {})
    if not env.get("PULSEBOARD_ASSETS_URL"):
        say(f"{stage}: no PULSEBOARD_ASSETS_URL, so no published pages: no CloudFront "
            "distribution (the stage's API serves everything)")
        return None
    url = api_url(region, settings_file, stage)
    if not url:
        raise DeployError(f"{stage}: its API Gateway is not there, so CloudFront has no origin")
    _, bucket, blobs_prefix, _ = targets(stage, config)
    routes = table(env.get("DASH_REQUESTS_PATHNAME_PREFIX", f"/{stage}/"), page_paths(env))
    domain = deploy_distribution(cloudfront(), stage, routes, bucket=bucket, region=region,
                                 blobs_prefix=blobs_prefix, api_domain=urlparse(url).netloc,
                                 say=say)
    say(f"{stage}: open https://{domain}{routes.prefix} (CloudFront: the pages and scripts "
        "from S3, the rest from the function)")
    return domain


def rendered_settings(stage: str, folder: Path, extra: dict[str, Any],
                      settings_file: Path = SETTINGS_FILE) -> Path:
    """A copy of the settings for Zappa: policy paths made absolute, `extra` merged into the
    stage (e.g. the dashboard's PULSEBOARD_API_URL, or touch: false for a rehearsal)."""
    every = json.loads(settings_file.read_text())
    for conf in every.values():
        if conf.get("attach_policy"):
            conf["attach_policy"] = str((settings_file.parent / conf["attach_policy"]).resolve())
    merged_env = dict(stage_config(stage, settings_file).get("aws_environment_variables", {}))
    merged_env.update(extra.pop("aws_environment_variables", {}))
    every[stage].update(extra, aws_environment_variables=merged_env)
    path = folder / "zappa_settings.json"
    path.write_text(json.dumps(every, indent=2))
    return path


def zappa(argv: list[str], say: Callable[[str], None] = print) -> str:
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("zappa_cli.py")), *argv],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise DeployError(f"zappa {' '.join(argv[:2])} failed:\n{output.strip()}")
    return output


def deployed(stage: str, region: str) -> bool:
    client = _client("lambda", region)
    try:
        client.get_function(FunctionName=f"pulseboard-{stage}")
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def run(action: str, stage: str, say: Callable[[str], None] = print,
        extra: dict[str, Any] | None = None, settings_file: Path = SETTINGS_FILE) -> str:
    """deploy (first time), update (new code and settings) or undeploy one stage."""
    config = stage_config(stage, settings_file)
    region = config.get("aws_region", "eu-west-1")
    extra = dict(extra or {})
    if action == "undeploy":
        if stage == "dashboard":
            from deploy.cdn import remove_distribution

            remove_distribution(cloudfront(), stage, say)
        with tempfile.TemporaryDirectory() as tmp:
            settings_copy = rendered_settings(stage, Path(tmp), extra, settings_file)
            return zappa(["undeploy", stage, "-s", str(settings_copy), "--yes"], say)
    check_policy(stage, config)
    check_secrets(stage, config, _client("ssm", region), say)
    ensure_backends(stage, config, region, say)
    check_assets(stage, config, region)
    is_there = deployed(stage, region)
    if action == "deploy" and is_there:
        raise DeployError(f"{stage} is already deployed: use `make update STAGE={stage}`")
    if action == "update" and not is_there:
        raise DeployError(f"{stage} is not deployed yet: use `make deploy STAGE={stage}`")
    if stage == "dashboard" and "PULSEBOARD_API_URL" not in config["aws_environment_variables"]:
        url = api_url(region, settings_file)
        if not url:
            raise DeployError("deploy the api stage first (`make deploy STAGE=api`): the "
                              "dashboard needs its URL")
        extra.setdefault("aws_environment_variables", {})["PULSEBOARD_API_URL"] = url
    info = build(stage, settings_file=settings_file)
    check_limits(info)
    say(info.report())
    # Through S3: Lambda takes up to 250 MB unpacked that way, 50 MB zipped by direct upload.
    bucket = config["s3_bucket"]
    from storage.s3 import S3Blobs

    S3Blobs(bucket, client=_client("s3", region)).ensure_bucket()
    key = f"packages/{stage}-{info.path.stat().st_mtime_ns}.zip"
    _client("s3", region).upload_file(str(info.path), bucket, key)
    with tempfile.TemporaryDirectory() as tmp:
        settings_copy = rendered_settings(stage, Path(tmp), extra, settings_file)
        output = zappa([action, stage, "-s", str(settings_copy), "-z", f"s3://{bucket}/{key}"],
                       say)
    if stage == "dashboard":
        deploy_cdn(stage, config, region, say, settings_file)
    if stage == "api" and action == "deploy":
        url = api_url(region, settings_file)
        if url:
            for line in webhook_lines(url):
                say(line)
    return output


__all__ = ["DeployError", "PackageError", "run"]
