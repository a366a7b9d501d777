"""Runs Zappa's own command line, without its update check (a PyPI request on every command)."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str]) -> int:
    from zappa.cli import ZappaCLI

    # Builds and deploys must not depend on reaching a package index; the check only prints.
    ZappaCLI.check_for_update = lambda self: None  # type: ignore[method-assign]
    deploy = ZappaCLI.deploy

    def deploy_prebuilt(self: ZappaCLI, source_zip: str | None = None,
                        docker_image_uri: str | None = None) -> None:
        # Given a package (-z), Zappa skips creating the execution role and its policy, which a
        # first deploy needs: do what it does for a package it builds itself.
        if source_zip and self.manage_roles:
            self.zappa.create_iam_roles()
        deploy(self, source_zip, docker_image_uri)

    ZappaCLI.deploy = deploy_prebuilt  # type: ignore[method-assign]

    from botocore.exceptions import ClientError
    from zappa.core import Zappa

    delete_urls = Zappa.delete_lambda_function_url

    def delete_function_urls(self: Zappa, function_name: str) -> Any:
        # `update` removes function URLs; a moto rehearsal answers ListFunctionUrlConfigs with
        # a 404 page (not implemented). This project never makes function URLs: none to remove.
        try:
            return delete_urls(self, function_name)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                raise
            return None

    Zappa.delete_lambda_function_url = delete_function_urls  # type: ignore[method-assign]
    cli = ZappaCLI()
    try:
        return cli.handle(argv) or 0
    except SystemExit as exc:
        cli.on_exit()
        return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
