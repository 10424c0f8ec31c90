"""FastAPI dependencies: the process's `Deps`, put on app.state by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from infra.bootstrap import Deps


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]
