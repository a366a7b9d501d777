"""`python -m deploy`: build the stage packages; deploy, update or remove a stage."""

from __future__ import annotations

import argparse
import sys

from deploy.aws import DeployError
from deploy.package import STAGES, PackageError, build_all, check_limits


def cmd_package(args: argparse.Namespace) -> int:
    stages = [args.stage] if args.stage else list(STAGES)
    infos = build_all(stages, force=args.force)
    for info in infos:
        print(info.report())
    for info in infos:
        check_limits(info)
    print("zipped sizes over 50 MB are fine: Zappa deploys through its S3 bucket, where only "
          "the 250 MB unzipped limit applies")
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from deploy.aws import run

    extra = {"touch": False} if args.no_touch else {}
    print(run(args.command, args.stage, extra=extra).strip())
    return 0


def cmd_publish_assets(args: argparse.Namespace) -> int:
    import settings
    from deploy.assets import publish

    url = publish(endpoint=settings.get().aws_endpoint_url)
    print(f"PULSEBOARD_ASSETS_URL={url}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    package = sub.add_parser("package", help="build dist/<stage>.zip for each stage")
    package.add_argument("--stage", choices=STAGES, help="only this stage")
    package.add_argument("--force", action="store_true", help="rebuild even if up to date")
    package.set_defaults(run=cmd_package)
    for action, text in (("deploy", "first deployment of a stage (checks settings, secrets, "
                          "table and bucket first)"),
                         ("update", "new code and settings for a deployed stage"),
                         ("undeploy", "remove a stage's function, API and schedule")):
        command = sub.add_parser(action, help=text)
        command.add_argument("--stage", choices=STAGES, required=True)
        command.add_argument("--no-touch", action="store_true",
                             help="skip Zappa's request to the new endpoint")
        command.set_defaults(run=cmd_stage)
    assets = sub.add_parser("publish-assets", help="upload the dashboard's browser files (Dash, "
                            "its components, plotly.js, assets/) to the blobs bucket")
    assets.set_defaults(run=cmd_publish_assets)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (PackageError, DeployError) as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
