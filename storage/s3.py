"""Blobs in an S3 bucket under a prefix (the cloud default)."""

from __future__ import annotations

from typing import Any

from storage.base import BlobInfo, BlobNotFound, Blobs
from storage.files import check_key


class S3Blobs(Blobs):
    def __init__(self, bucket: str, prefix: str = "", client: Any = None,
                 aws: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client
        self._aws = aws

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (never at import)."""
        if self._client is None:
            from storage import boto3_client

            self._client = boto3_client("s3", self._aws)
        return self._client

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _short(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def ensure_bucket(self) -> None:
        """Creates the bucket when it does not exist (demo, tests and `make deploy`)."""
        client = self.client
        try:
            client.head_bucket(Bucket=self.bucket)
        except client.exceptions.ClientError:
            region = client.meta.region_name
            extra = (
                {}
                if region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            client.create_bucket(Bucket=self.bucket, **extra)

    def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> BlobInfo:
        answer = self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )
        return BlobInfo(key, answer["ETag"].strip('"'), len(data))

    def get(self, key: str) -> tuple[bytes, BlobInfo]:
        client = self.client
        try:
            answer = client.get_object(Bucket=self.bucket, Key=self._key(key))
        except client.exceptions.NoSuchKey:
            raise BlobNotFound(key) from None
        data = answer["Body"].read()
        return data, BlobInfo(key, answer["ETag"].strip('"'), len(data))

    def head(self, key: str) -> BlobInfo | None:
        client = self.client
        try:
            answer = client.head_object(Bucket=self.bucket, Key=self._key(key))
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobInfo(key, answer["ETag"].strip('"'), int(answer["ContentLength"]))

    def list(self, prefix: str = "") -> list[BlobInfo]:
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        out = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full
        ):
            for obj in page.get("Contents", []):
                out.append(BlobInfo(self._short(obj["Key"]), obj["ETag"].strip('"'), obj["Size"]))
        return out

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
