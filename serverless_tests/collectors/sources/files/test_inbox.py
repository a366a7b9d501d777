"""The drop box: the local inbox folder, both blob adapters, and S3 events through Zappa."""

from __future__ import annotations

import copy
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import pytest

import settings
from collectors.sources.files import inbox
from demo.activity_files import (
    ExportEntry,
    export_zip,
    fit_bytes,
    gpx_text,
    samples,
)
from storage.base import Blobs, Store
from testkit.zappa import Context, lambda_handler

ROOT = Path(__file__).resolve().parents[4]
EVENTS = ROOT / "serverless_tests" / "events"
DAY = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def aged(path: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def keys(blobs: Blobs, prefix: str) -> list[str]:
    return sorted(i.key for i in blobs.list(prefix))


def test_poll_moves_each_local_file_to_imported_or_rejected(sqlite_store):
    folder = settings.get().inbox_dir
    (folder / "sub").mkdir(parents=True)
    run = samples(DAY)
    export = [ExportEntry(7, DAY + timedelta(days=1), "Export ride", "Ride", 0.0, 600.0)]
    files = {
        "good.fit": fit_bytes(run),
        "sub/b.gpx": gpx_text(samples(DAY + timedelta(days=2))).encode(),
        "cut.fit": fit_bytes(samples(DAY + timedelta(days=3)))[:250],
        "export.zip": export_zip(export),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
        aged(folder / name)
    handled = inbox.poll(sqlite_store)
    assert sorted(h.key for h in handled) == sorted(f"inbox/{n}" for n in files)
    data_dir = settings.get().data_dir
    assert not [p for p in folder.rglob("*") if p.is_file()]
    for name in ("good.fit", "sub/b.gpx", "export.zip"):
        assert (data_dir / "imported" / name).read_bytes() == files[name]
        assert not (data_dir / "imported" / f"{name}.reason").exists()
    assert (data_dir / "rejected" / "cut.fit").read_bytes() == files["cut.fit"]
    assert "truncated" in (data_dir / "rejected" / "cut.fit.reason").read_text()
    assert sqlite_store.count("activities") == 3
    assert inbox.poll(sqlite_store) == []


def test_poll_leaves_a_file_that_is_still_being_copied(sqlite_store):
    folder = settings.get().inbox_dir
    assert inbox.poll(sqlite_store) == []
    assert folder.is_dir()  # the first poll makes the folder to drop files into
    (folder / "copying.fit").write_bytes(fit_bytes(samples(DAY)))
    assert inbox.poll(sqlite_store) == []
    assert (folder / "copying.fit").exists()
    aged(folder / "copying.fit")
    [handled] = inbox.poll(sqlite_store)
    assert handled.moved_to == "imported/copying.fit"
    assert handled.destination.startswith("imported/copying.fit (imported 1,")


def test_drop_box_on_each_blob_adapter(blobs: Blobs, sqlite_store: Store):
    first, second = fit_bytes(samples(DAY)), fit_bytes(samples(DAY + timedelta(days=1)))
    blobs.put("inbox/run.fit", first)
    blobs.put("inbox/notes.gpx", b"<html>not a track</html>")
    blobs.put("inbox/empty.zip", export_zip([]))
    if hasattr(blobs, "client"):  # the "folder" object an S3 console creates
        blobs.client.put_object(Bucket=blobs.bucket, Key=f"{blobs.prefix}/inbox/", Body=b"")
    handled = {h.key: h for h in inbox.poll(sqlite_store, blobs)}
    assert set(handled) == {"inbox/run.fit", "inbox/notes.gpx", "inbox/empty.zip"}
    assert handled["inbox/run.fit"].summary.imported == 1
    assert keys(blobs, "imported/") == ["imported/run.fit"]
    assert keys(blobs, "rejected/") == [
        "rejected/empty.zip", "rejected/empty.zip.reason",
        "rejected/notes.gpx", "rejected/notes.gpx.reason",
    ]
    reason = blobs.get("rejected/notes.gpx.reason")[0].decode()
    assert "XML of another kind" in reason
    assert "no activity files" in blobs.get("rejected/empty.zip.reason")[0].decode()
    # A different file under a name already handled: kept beside it, nothing overwritten.
    blobs.put("inbox/run.fit", second)
    [again] = inbox.poll(sqlite_store, blobs)
    assert again.moved_to != "imported/run.fit" and again.moved_to.startswith("imported/run-")
    assert blobs.get("imported/run.fit")[0] == first
    assert blobs.get(again.moved_to)[0] == second
    assert sqlite_store.count("activities") == 2


def test_process_key_of_a_vanished_object_is_a_no_op(blobs: Blobs, sqlite_store: Store):
    assert inbox.process_key(sqlite_store, blobs, "inbox/gone.fit") is None


# --- S3 events through Zappa's own handler ---------------------------------------------------


def zappa_event_mapping(bucket_arn: str) -> dict[str, list[str]]:
    """AWS_EVENT_MAPPING as `zappa package` builds it from the jobs stage, for the test bucket."""
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    events = config["jobs"].get("events", [])
    functions = [
        e["function"] for e in events
        if str(e.get("event_source", {}).get("arn", "")).startswith("arn:aws:s3:::")
    ]
    if "collectors.sources.files.inbox.handle_s3_event" not in functions:
        pytest.fail("zappa_settings.json: the jobs stage has no S3 event for "
                    "collectors.sources.files.inbox.handle_s3_event")
    return {bucket_arn: functions}


def recorded_event(bucket: str, key: str) -> dict:
    event = json.loads((EVENTS / "s3_object_created.json").read_text())
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"]["key"] = quote_plus(key, safe="/")
    return event


def test_s3_upload_event_through_zappa_handler(store: Store, aws, tmp_path, monkeypatch):
    from storage.s3 import S3Blobs

    bucket = f"pulseboard-{uuid.uuid4().hex[:12]}"
    blobs = S3Blobs(bucket, "v1")
    blobs.ensure_bucket()
    store_url = (f"dynamodb://{store.table}" if hasattr(store, "table")
                 else f"sqlite:///{store.path}")
    monkeypatch.setenv("PULSEBOARD_STORE", store_url)
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"s3://{bucket}/v1")
    settings.reset()
    name = "inbox/Morning Run (1).fit"
    points = samples(DAY)
    blobs.put(name, fit_bytes(points))
    handler = lambda_handler(tmp_path, monkeypatch)
    handler.settings.AWS_EVENT_MAPPING = zappa_event_mapping(f"arn:aws:s3:::{bucket}")
    event = recorded_event(bucket, f"v1/{name}")

    result = handler.handler(copy.deepcopy(event), Context())

    assert [h["moved_to"] for h in result["handled"]] == ["imported/Morning Run (1).fit"]
    assert keys(blobs, "inbox/") == []
    assert keys(blobs, "imported/") == ["imported/Morning Run (1).fit"]
    [activity] = store.query("activities")
    assert activity.start_time == points[0].time and activity.source == "file"
    assert store.get("streams", activity.id) is not None
    # S3 delivers at least once: the same event again finds nothing to do.
    again = handler.handler(copy.deepcopy(event), Context())
    assert again["handled"] == [] and store.count("activities") == 1


def test_s3_events_outside_the_inbox_are_ignored(aws, sqlite_store):
    from storage.s3 import S3Blobs

    bucket = f"pulseboard-{uuid.uuid4().hex[:12]}"
    blobs = S3Blobs(bucket, "v1")
    blobs.ensure_bucket()
    blobs.put("models/forecast/model.pkl", b"not for us")
    blobs.put("inbox/x.fit", fit_bytes(samples(DAY)))
    outside = recorded_event(bucket, "v1/models/forecast/model.pkl")
    other_bucket = recorded_event("someone-elses", "v1/inbox/x.fit")
    deleted = recorded_event(bucket, "v1/inbox/x.fit")
    deleted["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    for event in (outside, other_bucket, deleted):
        result = inbox.handle_s3_event(event, None, store=sqlite_store, blobs=blobs)
        assert result["handled"] == [] and len(result["ignored"]) == 1
    assert keys(blobs, "inbox/") == ["inbox/x.fit"]
    assert sqlite_store.count("activities") == 0


class ShortOfTime:
    """A Lambda context with too little time left to go past the first item of an archive."""

    def get_remaining_time_in_millis(self) -> int:
        return inbox.STOP_MARGIN_MS - 1


def test_an_archive_too_big_for_one_invocation_continues_in_the_next(aws, store: Store):
    from storage.s3 import S3Blobs

    blobs = S3Blobs(f"pulseboard-{uuid.uuid4().hex[:12]}", "v1")
    blobs.ensure_bucket()
    entries = [
        ExportEntry(100 + d, DAY + timedelta(days=d), f"Run {d}", "Run", 0.0, 600.0,
                    filename=f"activities/{100 + d}.fit",
                    content=fit_bytes(samples(DAY + timedelta(days=d))))
        for d in range(3)
    ]
    broken = {"activities/999.fit": b"\x0e\x10broken"}
    blobs.put("inbox/export.zip", export_zip(entries, extra=broken))
    event = recorded_event(blobs.bucket, "v1/inbox/export.zip")
    rounds = []
    while keys(blobs, "inbox/"):
        result = inbox.handle_s3_event(copy.deepcopy(event), ShortOfTime(), store=store,
                                       blobs=blobs)
        rounds.append(result["handled"][0])
        assert len(rounds) <= 10
    # One item per invocation: three files and the broken one.
    assert len(rounds) == 4
    assert [r["moved_to"] for r in rounds[:-1]] == ["inbox/export.zip"] * 3
    assert rounds[-1] == {"key": "inbox/export.zip", "moved_to": "imported/export.zip",
                          "imported": 3, "duplicates": 0, "rejected": 1}
    assert store.count("activities") == 3
    assert "999.fit" in blobs.get("imported/export.zip.reason")[0].decode()
    assert store.get_doc(inbox.PROGRESS_SPACE, "inbox/export.zip") is None


def test_the_source_s_sync_is_one_poll_of_the_local_inbox(sqlite_store):
    from collectors.common import Counts
    from collectors.sources.base import Run
    from collectors.sources.files import SOURCE

    config = SOURCE.configure(settings.get())
    assert (SOURCE.name, SOURCE.syncs, config.configured) == ("files", False, True)
    folder = config.data_dir / "inbox"
    folder.mkdir(parents=True)
    (folder / "a.fit").write_bytes(fit_bytes(samples(DAY)))
    (folder / "cut.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=1)))[:250])
    for name in ("a.fit", "cut.fit"):
        aged(folder / name)
    run = Run(store=sqlite_store, blobs=None, counts=Counts("files"), now=DAY + timedelta(days=9))
    SOURCE.sync(run, config)
    assert (run.counts.fetched, run.counts.stored, run.counts.rejected) == (2, 1, 1)
    assert not list(folder.iterdir())


def test_a_name_that_is_not_utf8_is_moved_to_rejected_and_the_inbox_goes_on(sqlite_store):
    from serverless_tests.collectors.sources.files.conftest import write_bytes_named

    folder = settings.get().inbox_dir
    folder.mkdir(parents=True)
    write_bytes_named(folder, b"caf\xe9.fit", fit_bytes(samples(DAY)))
    (folder / "after.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=1))))
    for path in folder.iterdir():
        aged(path)
    handled = {h.key: h for h in inbox.poll(sqlite_store)}
    assert handled["inbox/caf\\xe9.fit"].moved_to == "rejected/caf\\xe9.fit"
    assert handled["inbox/after.fit"].summary.imported == 1
    rejected = os.fsencode(settings.get().data_dir / "rejected")
    assert sorted(os.listdir(rejected)) == [b"caf\xe9.fit", b"caf\xe9.fit.reason"]
    assert not list(folder.iterdir())


def test_a_link_in_the_inbox_is_moved_aside_unread(sqlite_store, tmp_path):
    folder = settings.get().inbox_dir
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.fit"
    secret.write_bytes(fit_bytes(samples(DAY)))
    (folder / "link.fit").symlink_to(secret)
    os.utime(folder / "link.fit", (time.time() - 60,) * 2, follow_symlinks=False)
    [handled] = inbox.poll(sqlite_store)
    assert handled.moved_to == "rejected/link.fit"
    rejected = settings.get().data_dir / "rejected"
    assert (rejected / "link.fit").is_symlink()
    assert "symbolic link" in (rejected / "link.fit.reason").read_text()
    assert sqlite_store.count("activities") == 0 and secret.exists()


def test_an_activity_file_over_the_limit_is_refused_unread(sqlite_store):
    folder = settings.get().inbox_dir
    folder.mkdir(parents=True)
    with open(folder / "huge.gpx", "wb") as handle:
        handle.truncate(700 * 2**20)
    aged(folder / "huge.gpx")
    [handled] = inbox.poll(sqlite_store)
    assert handled.moved_to == "rejected/huge.gpx"
    assert "not read" in (settings.get().data_dir / "rejected" / "huge.gpx.reason").read_text()


def poison(monkeypatch, name: str) -> list[str]:
    """Makes importing `name` fail in a way nobody planned for; returns the names tried."""
    tried: list[str] = []
    real = inbox.import_bytes

    def failing(store, relative, data, *args, **kwargs):
        tried.append(relative)
        if relative == name:
            raise RuntimeError("the parser met something new")
        return real(store, relative, data, *args, **kwargs)

    monkeypatch.setattr(inbox, "import_bytes", failing)
    return tried


def test_a_poison_file_goes_to_rejected_at_its_second_attempt_and_blocks_nothing(
        sqlite_store, monkeypatch):
    folder = settings.get().inbox_dir
    folder.mkdir(parents=True)
    for d, name in enumerate(("a.fit", "poison.fit", "z.fit")):
        (folder / name).write_bytes(fit_bytes(samples(DAY + timedelta(days=d))))
        aged(folder / name)
    tried = poison(monkeypatch, "poison.fit")
    first = inbox.poll(sqlite_store)
    assert sorted(h.key for h in first) == ["inbox/a.fit", "inbox/z.fit"]
    assert [p.name for p in folder.iterdir()] == ["poison.fit"]
    [second] = inbox.poll(sqlite_store)
    assert second.moved_to == "rejected/poison.fit"
    reason = (settings.get().data_dir / "rejected" / "poison.fit.reason").read_text()
    assert "failed twice: RuntimeError: the parser met something new" in reason
    assert tried.count("poison.fit") == 2
    assert inbox.poll(sqlite_store) == [] and sqlite_store.count("activities") == 2
    assert [r.ref for r in sqlite_store.query("rejected")] == ["poison.fit"]


def test_a_poison_upload_on_s3_is_retried_once_then_rejected(aws, sqlite_store, monkeypatch):
    from storage.s3 import S3Blobs

    blobs = S3Blobs(f"pulseboard-{uuid.uuid4().hex[:12]}", "v1")
    blobs.ensure_bucket()
    blobs.put("inbox/poison.fit", fit_bytes(samples(DAY)))
    poison(monkeypatch, "poison.fit")
    event = recorded_event(blobs.bucket, "v1/inbox/poison.fit")
    with pytest.raises(RuntimeError):
        inbox.handle_s3_event(copy.deepcopy(event), None, store=sqlite_store, blobs=blobs)
    assert keys(blobs, "inbox/") == ["inbox/poison.fit"]
    # Lambda's retry of the failed invocation: the last attempt, which ends the retries.
    result = inbox.handle_s3_event(copy.deepcopy(event), None, store=sqlite_store, blobs=blobs)
    assert [h["moved_to"] for h in result["handled"]] == ["rejected/poison.fit"]
    assert "failed twice" in blobs.get("rejected/poison.fit.reason")[0].decode()


def test_an_upload_whose_invocations_died_twice_is_rejected_unread(blobs, sqlite_store,
                                                                   monkeypatch):
    blobs.put("inbox/killer.fit", fit_bytes(samples(DAY)))
    info = blobs.head("inbox/killer.fit")
    # Two invocations began on it and never finished (out of memory, out of time).
    sqlite_store.put_doc(inbox.ATTEMPTS_SPACE, inbox._attempts_key("inbox/killer.fit"),
                         {"etag": info.etag, "attempts": 2})
    tried = poison(monkeypatch, "")
    handled = inbox.process_key(sqlite_store, blobs, "inbox/killer.fit")
    assert handled is not None and handled.moved_to == "rejected/killer.fit"
    assert tried == []
    assert "never finished" in blobs.get("rejected/killer.fit.reason")[0].decode()
