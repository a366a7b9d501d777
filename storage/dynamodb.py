"""The cloud store: one DynamoDB table (pk, sk), Query-only reads, batched idempotent writes."""

from __future__ import annotations

import json
import random
import time
import zlib
from collections.abc import Callable, Iterable
from decimal import Context, Decimal
from typing import Any

from storage.base import (
    Bound,
    Doc,
    Store,
    StoreError,
    batches,
    bound_key,
    check_doc_key,
    check_finite,
    counter_id,
    doc_key_fits,
    partition_key,
    record_class,
)
from storage.records import Record

MAX_BATCH_ATTEMPTS = 8
# Streams hold thousands of samples; as DynamoDB lists they would pass the 400 KB item limit,
# so they are kept as one zlib-compressed JSON binary attribute.
COMPRESSED_KINDS = frozenset({"streams"})
_DECIMAL = Context(prec=38)


def to_dynamo(value: Any) -> Any:
    """Plain Python → what boto3 accepts; floats become Decimals of their exact repr."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | bytes):
        return value
    if isinstance(value, float):
        try:
            return _DECIMAL.create_decimal(repr(value))
        except ArithmeticError as exc:
            raise StoreError(f"{value!r} cannot be stored as a DynamoDB number") from exc
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    raise StoreError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_dynamo(value: Any) -> Any:
    """boto3's Decimals back to int (when integral) or float."""
    if isinstance(value, Decimal):
        # DynamoDB normalises 80.0 to 80; record types restore floats from their annotations.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3's Binary wrapper
        return value.value
    return value


class DynamoStore(Store):
    def __init__(
        self,
        table: str,
        user: str = "me",
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        aws: Any = None,
    ) -> None:
        super().__init__(user)
        self.table = table
        self._client = client
        self._aws = aws
        self._sleep = sleep

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (never at import) for the given region/endpoint."""
        if self._client is None:
            from storage import boto3_client

            self._client = boto3_client("dynamodb", self._aws)
        if not getattr(self._client, "_pulseboard_counted", False):
            self._client.meta.events.register("before-call.dynamodb", self._count_call)
            self._client._pulseboard_counted = True
        return self._client

    def _count_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _resource_types(self) -> tuple[Any, Any]:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        return TypeSerializer(), TypeDeserializer()

    def _ser(self, item: dict[str, Any]) -> dict[str, Any]:
        serializer, _ = self._resource_types()
        return {k: serializer.serialize(to_dynamo(v)) for k, v in item.items()}

    def _des(self, item: dict[str, Any]) -> dict[str, Any]:
        _, deserializer = self._resource_types()
        return {k: from_dynamo(deserializer.deserialize(v)) for k, v in item.items()}

    def ensure_table(self) -> None:
        """Creates the table (on-demand billing, TTL on `expires_at`) when it does not exist."""
        client = self.client
        try:
            client.describe_table(TableName=self.table)
            return
        except client.exceptions.ResourceNotFoundException:
            pass
        try:
            client.create_table(
                TableName=self.table,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except client.exceptions.ResourceInUseException:
            pass  # created meanwhile by another process
        client.get_waiter("table_exists").wait(TableName=self.table)
        client.update_time_to_live(
            TableName=self.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            answer = self.client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            # Exponential backoff with full jitter, as AWS advises for throttled batches.
            self._sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
        left = len(pending.get(self.table, []))
        raise StoreError(f"DynamoDB left {left} items unprocessed after {MAX_BATCH_ATTEMPTS} tries")

    def _record_item(self, record: Record) -> dict[str, Any]:
        pk = partition_key(self.user, record.KIND, record.series())
        data = record.to_dict()
        if record.KIND in COMPRESSED_KINDS:
            blob = zlib.compress(json.dumps(data, separators=(",", ":")).encode())
            return {"pk": pk, "sk": record.sort_key(), "z": blob}
        return {"pk": pk, "sk": record.sort_key(), "d": data}

    def _record_from(self, kind: str, item: dict[str, Any]) -> Any:
        plain = self._des(item)
        if "z" in plain:
            data = json.loads(zlib.decompress(plain["z"]))
        else:
            data = plain["d"]
        return record_class(kind).from_dict(data)

    # --- records -------------------------------------------------------------------------
    def put(self, records: Iterable[Record]) -> int:
        # A batch may not hold the same key twice: keep the last of each key, in order.
        latest: dict[tuple[str, str], Record] = {}
        for record in records:
            check_finite(record)
            key = (partition_key(self.user, record.KIND, record.series()), record.sort_key())
            latest.pop(key, None)
            latest[key] = record
        for batch in batches(latest.values()):
            self._batch_write(
                [{"PutRequest": {"Item": self._ser(self._record_item(r))}} for r in batch]
            )
        return len(latest)

    def delete(self, kind: str, sort_keys: Iterable[str], series: str = "") -> int:
        record_class(kind)
        pk = partition_key(self.user, kind, series)
        unique = list(dict.fromkeys(sort_keys))
        for batch in batches(unique):
            self._batch_write(
                [{"DeleteRequest": {"Key": self._ser({"pk": pk, "sk": sk})}} for sk in batch]
            )
        return len(unique)

    def _query_pages(
        self, pk: str, low: str | None, high: str | None, **extra: Any
    ) -> Iterable[dict]:
        names = {"#pk": "pk"}
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "#pk = :pk"
        if low is not None or high is not None:
            names["#sk"] = "sk"
        # One sort-key condition per Query: BETWEEN is inclusive, so the exclusive end is trimmed
        # by the caller.
        if low is not None and high is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            values.update({":lo": {"S": low}, ":hi": {"S": high}})
        elif low is not None:
            condition += " AND #sk >= :lo"
            values[":lo"] = {"S": low}
        elif high is not None:
            condition += " AND #sk < :hi"
            values[":hi"] = {"S": high}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            **extra,
        }
        while True:
            page = self.client.query(**kwargs)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def query(
        self,
        kind: str,
        series: str = "",
        start: Bound = None,
        end: Bound = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Any]:
        record_class(kind)
        low, high = bound_key(start), bound_key(end)
        if low is not None and high is not None and high <= low:
            return []
        extra: dict[str, Any] = {"ScanIndexForward": not newest_first}
        if limit is not None:
            extra["Limit"] = limit + 1  # room for an item equal to the exclusive end
        out: list[Any] = []
        pk = partition_key(self.user, kind, series)
        for page in self._query_pages(pk, low, high, **extra):
            for item in page.get("Items", []):
                if low is not None and high is not None and item["sk"]["S"] == high:
                    continue
                out.append(self._record_from(kind, item))
                if limit is not None and len(out) >= limit:
                    return out
        return out

    def get(self, kind: str, sort_key: str, series: str = "") -> Any | None:
        record_class(kind)
        pk = partition_key(self.user, kind, series)
        answer = self.client.get_item(
            TableName=self.table, Key=self._ser({"pk": pk, "sk": sort_key})
        )
        item = answer.get("Item")
        return None if item is None else self._record_from(kind, item)

    def count(self, kind: str, series: str = "") -> int:
        record_class(kind)
        pk = partition_key(self.user, kind, series)
        return sum(
            page.get("Count", 0) for page in self._query_pages(pk, None, None, Select="COUNT")
        )

    # --- documents -------------------------------------------------------------------------
    def _doc_key(self, space: str, key: str) -> dict[str, Any]:
        return self._ser({"pk": f"{self.user}#doc:{space}", "sk": key})

    def get_doc(self, space: str, key: str) -> Doc | None:
        if not doc_key_fits(key):
            return None  # no document can have been stored under it
        answer = self.client.get_item(
            TableName=self.table, Key=self._doc_key(space, key), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            return None
        plain = self._des(item)
        return Doc(plain.get("doc", {}), int(plain["version"]))

    def put_doc(
        self, space: str, key: str, data: dict[str, Any], expected_version: int | None = None
    ) -> bool:
        check_doc_key(key)
        client = self.client
        if expected_version is None:
            client.update_item(
                TableName=self.table,
                Key=self._doc_key(space, key),
                UpdateExpression="SET #doc = :doc ADD #version :one",
                ExpressionAttributeNames={"#doc": "doc", "#version": "version"},
                ExpressionAttributeValues=self._ser({":doc": data, ":one": 1}),
            )
            return True
        item = {
            "pk": f"{self.user}#doc:{space}",
            "sk": key,
            "doc": data,
            "version": expected_version + 1,
        }
        if expected_version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": self._ser({":expected": expected_version}),
            }
        try:
            client.put_item(TableName=self.table, Item=self._ser(item), **condition)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete_doc(self, space: str, key: str) -> None:
        self.client.delete_item(TableName=self.table, Key=self._doc_key(space, key))

    def list_docs(self, space: str) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        for page in self._query_pages(f"{self.user}#doc:{space}", None, None, ConsistentRead=True):
            for item in page.get("Items", []):
                plain = self._des(item)
                out[plain["sk"]] = Doc(plain.get("doc", {}), int(plain["version"]))
        return out

    # --- counters ------------------------------------------------------------------------------
    def _counter_key(self, key: str, window_s: int, now: float) -> dict[str, Any]:
        window_start = int(now // window_s) * window_s
        return self._ser({"pk": f"{self.user}#counter",
                          "sk": f"{counter_id(key)}#{window_start}"})

    def hit(self, key: str, window_s: int, now: float) -> int:
        answer = self.client.update_item(
            TableName=self.table,
            Key=self._counter_key(key, window_s, now),
            UpdateExpression="ADD #n :one SET expires_at = :expires",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues=self._ser({":one": 1, ":expires": int(now) + 2 * window_s}),
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["n"]["N"])

    def peek(self, key: str, window_s: int, now: float) -> int:
        answer = self.client.get_item(
            TableName=self.table, Key=self._counter_key(key, window_s, now), ConsistentRead=True
        )
        item = answer.get("Item")
        return 0 if item is None else int(item["n"]["N"])
