"""GET /metrics: the process's Prometheus metrics (docs/monitoring.md).

Open like /healthz unless LIANBAN_METRICS_TOKEN is set; the same answer the parts' metrics
ports give (`entrypoints.metrics_port`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from entrypoints.http.auth import Unauthorized
from infra import metrics

router = APIRouter(tags=["ops"])


def metrics_response(token: str | None, authorization: str | None) -> Response:
    """The exposition, or 401 when a token is set and not given; 404 when metrics are off."""
    if not metrics.enabled():
        return Response("metrics are off (LIANBAN_METRICS_ENABLED=false)\n", status_code=404)
    if not metrics.token_accepted(token, authorization):
        raise Unauthorized("a metrics scrape needs `Authorization: Bearer <LIANBAN_METRICS_TOKEN>`")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        401: {"description": "LIANBAN_METRICS_TOKEN is set and the scrape did not send it"},
        404: {"description": "metrics are off"},
    },
)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics of this process (every part it runs)."""
    token = request.app.state.deps.settings.metrics_token
    secret = token.get_secret_value() if token is not None else None
    return metrics_response(secret, request.headers.get("authorization"))
