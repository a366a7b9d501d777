"""Secrets from SSM Parameter Store: the SecureStrings under one prefix, read once."""

from __future__ import annotations

import threading
from typing import Any

from core.errors import PulseboardError


class SecretsError(PulseboardError):
    """Parameter Store could not be read; the message says why and what to check."""


class SsmSecrets:
    """The parameters under `prefix` (e.g. `/pulseboard`), fetched with one paginated
    GetParametersByPath the first time any is asked for, then kept for the process."""

    def __init__(self, prefix: str, client: Any = None, region: str = "",
                 endpoint_url: str = "") -> None:
        self.prefix = "/" + prefix.strip("/")
        self._client = client
        self._region = region
        self._endpoint_url = endpoint_url
        self._values: dict[str, str] | None = None
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("ssm", region_name=self._region or None,
                                        endpoint_url=self._endpoint_url or None)
        return self._client

    def path(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def _load(self) -> dict[str, str]:
        import botocore.exceptions

        values: dict[str, str] = {}
        try:
            paginator = self.client.get_paginator("get_parameters_by_path")
            for page in paginator.paginate(Path=self.prefix, WithDecryption=True, Recursive=False):
                self.calls += 1
                for parameter in page["Parameters"]:
                    values[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise SecretsError(
                f"cannot read SSM parameters under {self.prefix} ({exc}); check the region, the "
                f"credentials and that the role allows ssm:GetParametersByPath on that path"
            ) from None
        return values

    def get(self, name: str) -> str | None:
        """The parameter's value, or None when there is no such parameter."""
        with self._lock:
            if self._values is None:
                self._values = self._load()
            return self._values.get(name)

    def names(self) -> set[str]:
        with self._lock:
            if self._values is None:
                self._values = self._load()
            return set(self._values)
