"""One rule against cross-site requests, for the pages' forms and the API alike.

A request that changes something (any method but GET, HEAD and OPTIONS) and names where it
comes from (its `Origin`, else its `Referer`) must come from this site. One that carries a
sign-in cookie (the session or a pasted token: the browser sends it by itself, whichever site
made the request) must name it: neither header is refused too (every browser sends `Origin`
with a POST; a request without both is a script, or a page that suppressed them). A request
carrying `Authorization` needs no check: another site cannot make a browser send that header.
SameSite=Strict on the cookies is the first line; this is the second.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site(request: Request, *, by_cookie: bool) -> str | None:
    """Why the request must be refused as cross-site; None when it may go on. `by_cookie`: it
    carries a sign-in cookie."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return None
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        if not by_cookie:
            return None  # not signed in by a cookie: nothing to forge (login page, public forms)
        return "neither Origin nor Referer: a change made with a cookie must come from this site"
    if urlsplit(source).netloc != request.url.netloc:
        return f"from another site ({source[:100]}): refused"
    return None
