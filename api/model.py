"""The published model, loaded once per warm process; the manifest ETag re-checked now and then."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models import artifact
from models.artifact import Published

logger = logging.getLogger(__name__)

NO_MODEL = "no_model"
UNAVAILABLE = "model_unavailable"
NO_MODEL_MESSAGE = (
    "No forecast model has been published yet: run `python -m models train` once a few months "
    "of weigh-ins and training are synced."
)


@dataclass(frozen=True)
class Problem:
    """Why the newest model cannot answer: `kind` is the API's error code."""

    kind: str
    message: str


class ModelCache:
    """Holds the loaded model. At most every `check_s` seconds (every `retry_s` while none is
    loaded) a request pays one HEAD of the manifest; only a changed ETag downloads anything
    (the manifest, its signature checked when the API has a model key, then the model file it
    names, HEADed first and its size and sha256 checked before it is decoded).

    A warm process keeps answering with the model it has when a newer one cannot be used (a
    sha256 mismatch, a bad signature, the blob store unreachable); the failure is logged and
    shown by /health to the key's holder."""

    def __init__(
        self,
        open_blobs: Callable[[], Any],
        check_s: float = 300.0,
        retry_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        signing_key: str = "",
    ) -> None:
        self._open_blobs = open_blobs
        self._blobs: Any = None
        self.check_s = check_s
        self.retry_s = retry_s
        self.clock = clock
        self.signing_key = signing_key
        self.loaded: Published | None = None
        self.problem: Problem | None = None
        self.checks = 0  # manifest checks made (tests and the bench count them)
        self.loads = 0  # model files downloaded and decoded
        self._checked_at: float | None = None
        self._refused_etag: str | None = None
        self._lock = threading.Lock()

    @property
    def blobs(self) -> Any:
        if self._blobs is None:
            self._blobs = self._open_blobs()
        return self._blobs

    def get(self) -> Published | None:
        """The model to answer with (re-checking the manifest when due), or None: see `problem`."""
        if self._due():
            with self._lock:
                if self._due():  # another thread may have checked while this one waited
                    self._refresh()
                    self._checked_at = self.clock()
        return self.loaded

    def _due(self) -> bool:
        if self._checked_at is None:
            return True
        interval = self.check_s if self.loaded else self.retry_s
        return self.clock() - self._checked_at >= interval

    def _refresh(self) -> None:
        self.checks += 1
        etag = None
        try:
            # A HEAD first even on a cold start: it bounds what is downloaded (artifact.read).
            info = self.blobs.head(artifact.MANIFEST_KEY)
            if info is None:
                published = None
            else:
                etag = info.etag
                if (self.loaded and etag == self.loaded.etag) or etag == self._refused_etag:
                    return  # unchanged, or already refused: download nothing until it changes
                published = artifact.read(self.blobs, self.signing_key, head=info)
            if published is None:
                if self.loaded is None:
                    self.problem = Problem(NO_MODEL, NO_MODEL_MESSAGE)
                else:
                    logger.warning("%s is gone; still serving model %s", artifact.MANIFEST_KEY,
                                   self.loaded.manifest["version"])
                return
            self.loads += 1
            self.loaded, self.problem, self._refused_etag = published, None, None
            logger.info("forecast model %s loaded (k=%s, %s weeks)",
                        published.manifest["version"], published.manifest["k"],
                        published.manifest.get("weeks_used"))
        except artifact.ArtifactError as exc:
            self._refused_etag = etag
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - the store failed: keep what we have, say why
            self._fail(f"the model store cannot be read ({type(exc).__name__}: {exc}); "
                       "check PULSEBOARD_BLOBS and its credentials")

    def _fail(self, reason: str) -> None:
        self.problem = Problem(UNAVAILABLE, reason)
        if self.loaded is None:
            logger.error("no forecast model can be served: %s", reason)
        else:
            logger.error("still serving model %s; the newest cannot be used: %s",
                         self.loaded.manifest["version"], reason)
