"""Export the OpenAPI contract from the app object: ``python -m avatar_server.spec [PATH]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from avatar_server.api.app import create_api
from avatar_server.runtime import Runtime
from avatar_server.settings import Settings


def openapi_document() -> dict[str, Any]:
    """The spec, independent of the machine: no settings from the environment leak into it.

    Built from the API alone (``api.app``), never started: the contract cannot depend on what a
    serving process does at start."""
    app = create_api(Runtime(Settings(home=Path("/nonexistent"))))
    app.version = "0"  # the contract must not change with every release number
    return app.openapi()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
