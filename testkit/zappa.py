"""Zappa's own LambdaHandler on a settings module like `zappa package` writes (tests, bench)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

# The keys LambdaHandler reads from the zappa_settings module Zappa generates at package time
# (zappa.cli.ZappaCLI.get_zappa_settings_string), for a stage named "dev".
TEMPLATE = """\
{app}EXCEPTION_HANDLER=None
DEBUG=False
LOG_LEVEL=None
BINARY_SUPPORT=True
CONTEXT_HEADER_MAPPINGS={{}}
DOMAIN=None
BASE_PATH=None
ENVIRONMENT_VARIABLES={{}}
API_STAGE='dev'
PROJECT_NAME='pulseboard'
SETTINGS_FILE=None
DJANGO_SETTINGS=None
AWS_EVENT_MAPPING={{}}
AWS_BOT_EVENT_MAPPING={{}}
COGNITO_TRIGGER_MAPPING={{}}
ASYNC_RESPONSE_TABLE=''
ADDITIONAL_TEXT_MIMETYPES=[]
"""


class Context:
    """The few attributes of a Lambda context object the handler may read."""

    function_name = "pulseboard-dev"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def lambda_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_function: str | None = None
) -> Any:
    """A fresh LambdaHandler (it is a process-wide singleton) for `module.attribute` or, without
    an app function, for scheduled events only (a stage without API Gateway)."""
    from zappa.handler import LambdaHandler

    app = ""
    if app_function:
        module, attribute = app_function.rsplit(".", 1)
        app = f"APP_MODULE='{module}'\nAPP_FUNCTION='{attribute}'\n"
    name = f"zappa_settings_{uuid.uuid4().hex[:10]}"
    folder = tmp_path / "zappa_settings"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(TEMPLATE.format(app=app))
    monkeypatch.syspath_prepend(str(folder))
    # LambdaHandler sets these for the process; put them back afterwards.
    for var in ("SERVERTYPE", "FRAMEWORK", "PROJECT", "STAGE"):
        monkeypatch.setenv(var, "")
    monkeypatch.setattr(LambdaHandler, "_LambdaHandler__instance", None)
    return LambdaHandler(settings_name=name)


def scheduled_event(function: str, stage: str = "") -> dict[str, Any]:
    """A CloudWatch/EventBridge scheduled event for a Zappa `events` entry of `stage` (the
    function's own: training is the train stage's, every other one the jobs stage's)."""
    stage = stage or ("train" if function.startswith("models.") else "jobs")
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2025-01-06T04:00:00Z",
        "region": "eu-west-1",
        "resources": [f"arn:aws:events:eu-west-1:123456789012:rule/pulseboard-{stage}-{function}"],
        "detail": {},
    }
