"""`/docs` and `/redoc` from assets served by this process, not a CDN.

FastAPI's defaults load Swagger UI and ReDoc from jsDelivr, so in a government network without
internet `/docs` was a blank page. The assets come from the `fastapi-offline` package (Swagger
UI 5, which renders the OpenAPI 3.1 document FastAPI emits; the `swagger-ui-bundle` package
stops at 4.x, which cannot) and are mounted under ASSETS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


# Nothing from elsewhere; Swagger UI's and the OAuth2 redirect's one inline script each allowed
# by its hash (computed from the page served), inline styles and data: images as both viewers
# draw them, ReDoc's search in a blob: worker; no framing.
_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class _Page:
    """A documentation page and the Content-Security-Policy that allows exactly its own
    inline scripts; a new response for each request."""

    def __init__(self, page: HTMLResponse) -> None:
        self.body = bytes(page.body).decode()
        hashes = "".join(
            f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
            for script in _INLINE_SCRIPT.findall(self.body)
        )
        self.policy = _CSP.format(hashes=hashes)

    async def response(self) -> HTMLResponse:
        return HTMLResponse(self.body, headers={"Content-Security-Policy": self.policy})


def install(app: FastAPI) -> None:
    """Mount the assets and the two documentation pages (create the app with docs_url=None)."""
    static = files("fastapi_offline").joinpath("static")
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="docs-assets")
    openapi_url, title = app.openapi_url or "/openapi.json", f"{app.title} — API"
    pages = {
        "/docs": get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
        ),
        OAUTH2_REDIRECT: get_swagger_ui_oauth2_redirect_html(),
        "/redoc": get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        ),
    }
    for path, page in pages.items():
        app.add_api_route(path, _Page(page).response, include_in_schema=False)
