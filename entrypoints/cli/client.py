"""A small HTTP client for the CLI: the CLI talks to the API, never to the database.

Exit codes (docs/cli.md): 0 done; 1 refused or failed (the API said no, a check found a
problem); 2 wrong usage (an unknown option, value, department or matter: the known ones are
named); 3 the API (or a server the command needs) could not be reached. Errors go to stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    import httpx

    from services.progress import Progress

REFUSED, USAGE, UNREACHABLE = 1, 2, 3


class ApiError(Exception):
    """The API refused (`exit_code` 1), or could not be reached (3)."""

    def __init__(self, message: str, exit_code: int = REFUSED, status: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status
        self.error: str | None = None


def unreachable(base_url: object, exc: Exception) -> ApiError:
    return ApiError(f"cannot reach the API at {base_url}: {exc}", UNREACHABLE)


class Api:
    """The API over HTTP; `token` (default: $LIANBAN_TOKEN) is sent as the bearer token."""

    def __init__(self, base_url: str, timeout: float = 10.0, token: str | None = None) -> None:
        import httpx  # here: `lianban --help` does not pay for it

        token = token or os.environ.get("LIANBAN_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers=headers)

    def as_token(self, token: str) -> Api:
        """The same API, called with another token (the demo acts as several people)."""
        return Api(str(self._http.base_url), self._http.timeout.read or 10.0, token)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise unreachable(self._http.base_url, exc) from exc
        _raise_for_problem(response)
        return response.json()

    def _lines(self, method: str, path: str, **kwargs: Any) -> Iterator[Any]:
        """The objects of an NDJSON answer, one by one as they arrive."""
        import httpx

        try:
            with self._http.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_problem(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx.HTTPError as exc:
            raise unreachable(self._http.base_url, exc) from exc

    def with_progress(self, method: str, path: str, progress: Progress, **kwargs: Any) -> Any:
        """Call a route that reports progress (`?progress=true`): each progress line goes to
        `progress(done, total)`; returns the result line's body."""
        params = {**kwargs.pop("params", {}), "progress": "true"}
        for line in self._lines(method, path, params=params, **kwargs):
            if "progress" in line:
                progress(line["progress"]["done"], line["progress"]["total"])
            elif "result" in line:
                return line["result"]
            else:
                raise ApiError(f"{line.get('error')}: {line.get('detail')}")
        raise ApiError("the API ended its answer without a result")

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/cases", json=body)

    def case(self, case_id: str) -> dict[str, Any]:
        return self._call("GET", f"/cases/{case_id}")

    def tasks(self, department: str, status: str | None = None) -> dict[str, Any]:
        params = {"status": status} if status else {}
        return self._call("GET", f"/departments/{department}/tasks", params=params)

    def decide(self, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/tasks/{task_id}/decision", json=body)


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        error, detail = body.get("error"), body.get("detail")
        message = f"{error}: {readable(detail)}"
    except (ValueError, AttributeError):
        error, message = None, response.text
    problem = ApiError(f"HTTP {response.status_code} {message}", status=response.status_code)
    problem.error = error
    raise problem


def readable(detail: Any) -> str:
    """An error's detail as a person reads it: a list of validation problems (422) one per
    line, `where: what`, not a Python list."""
    if isinstance(detail, list):
        lines = []
        for item in detail:
            if isinstance(item, dict) and ("message" in item or "msg" in item):
                where = item.get("field") or ".".join(str(p) for p in item.get("loc", ()))
                where = where.removeprefix("body.").removeprefix("body")
                what = item.get("message") or item.get("msg")
                lines.append(f"  - {where}: {what}" if where else f"  - {what}")
            else:
                lines.append(f"  - {item}")
        return "\n" + "\n".join(lines)
    return str(detail)


def fail(message: str, code: int = REFUSED) -> typer.Exit:
    """Print `message` on stderr; the exit to raise (1 refused, 2 usage, 3 unreachable)."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=code)


def api_failure(exc: ApiError) -> typer.Exit:
    return fail(str(exc), exc.exit_code)


P = ParamSpec("P")
T = TypeVar("T")


def answered(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """What the API answered to `call`; a refusal, or no API, ends the command (`api_failure`)."""
    try:
        return call(*args, **kwargs)
    except ApiError as exc:
        raise api_failure(exc) from exc


def token_holder(token: str | None) -> str | None:
    """The name the API will record for this bearer token (its `name`, else `sub`).

    Read without verifying the signature: the CLI has no key, and the API verifies it anyway.
    None when there is no token or it is not a readable JWT.
    """
    if not token:
        return None
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    name = claims.get("name") or claims.get("sub")
    return str(name) if name else None
