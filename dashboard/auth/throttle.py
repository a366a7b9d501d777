"""The sign-in throttle: attempts counted per account and per client, in the store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOGIN_ATTEMPTS_PER_MINUTE = 5
WINDOW_S = 60


def throttled(store: Any, name: str, client: str, now: float) -> bool:
    """Counts this sign-in attempt against the account and the client, and says whether either
    is over LOGIN_ATTEMPTS_PER_MINUTE. The attempt is counted *before* the password is checked:
    counting only failures afterwards would let parallel guesses all pass the check first.
    The count is a sliding minute (this window plus the unexpired share of the previous one), so
    no burst across a window boundary gets twice the allowance. Counters live in the store, so
    every process and Lambda container shares them."""
    over = False
    for key in (f"login:user:{name.casefold()}", f"login:client:{client}"):
        current = store.hit(key, WINDOW_S, now)
        previous = store.peek(key, WINDOW_S, now - WINDOW_S)
        share = 1.0 - (now % WINDOW_S) / WINDOW_S
        over = over or current + previous * share > LOGIN_ATTEMPTS_PER_MINUTE
    return over


def client_address(environ: Mapping[str, Any]) -> str:
    """Who is signing in, as the throttle counts clients. Behind API Gateway this is the source
    address API Gateway saw (REST: `requestContext.identity.sourceIp`, HTTP API:
    `requestContext.http.sourceIp`), from the Lambda event Zappa keeps in the environ: Zappa's
    REMOTE_ADDR comes from X-Forwarded-For, which the client writes itself. Elsewhere, the
    socket's peer."""
    event = environ.get("lambda.event")
    if isinstance(event, Mapping):
        context = event.get("requestContext")
        context = context if isinstance(context, Mapping) else {}
        for part in ("http", "identity"):
            found = context.get(part)
            if isinstance(found, Mapping) and found.get("sourceIp"):
                return str(found["sourceIp"])
    return str(environ.get("REMOTE_ADDR") or "")
