"""Lambda entry point for the weekly scheduled retraining (Zappa `events`)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def train(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Trains from the configured store and publishes to the configured blobs.

    Too few weeks is a normal outcome (outcome "not_enough_data"), not a failure to retry."""
    import settings
    from models import train as training
    from models.features import forecast_config
    from storage import open_blobs, open_store

    current = settings.get()  # the edge: settings are read here and passed down
    blobs = open_blobs(current.blobs_url, current.aws)
    with open_store(current.store_url, current.user, current.aws) as store:
        try:
            result, manifest = training.run(store, blobs,
                                            signing_key=current.secret("model_key"),
                                            config=forecast_config(current))
        except training.NotEnoughData as exc:
            logger.warning("forecast not retrained: %s", exc)
            return {
                "outcome": "not_enough_data",
                "message": str(exc),
                "weeks_used": exc.weeks_used,
                "weeks_left_out": exc.weeks_left_out,
                "min_weeks": exc.min_weeks,
            }
    summary = {
        "outcome": "published",
        "version": manifest["version"],
        "artifact_key": manifest["artifact_key"],
        "signed": "signature" in manifest,
        "weeks_used": result.weeks_used,
        "weeks_left_out": result.weeks_left_out,
        "k": result.k,
        "cv_mae": result.cv_mae,
        "baseline_mae": manifest["baseline_mae"],
        "served": {h: chosen["method"] for h, chosen in manifest["horizons"].items()},
        "activity_sources": manifest["activity_sources"],
    }
    logger.info("forecast retrained: %s", summary)
    return summary
