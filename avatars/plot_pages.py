"""A plot as a standalone HTML page: one file, its image inside, nothing fetched from a network.

Outside a notebook a figure has nowhere to show itself, and with ``open_in_browser=True`` the
user asks for a page: :meth:`avatars.runner.Runner.render_plot` then writes the page with
:func:`write_page` and, when asked, opens it with :mod:`webbrowser`. The page embeds the PNG
as a ``data:`` URI, so it can be mailed, archived or opened on a machine without network
access, and shows exactly what the notebook shows.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["in_notebook", "open_page", "page_destination", "plot_page", "write_page"]

logger = logging.getLogger("avatars")

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    "h1{font-size:1.1rem;font-weight:600}"
    "img{max-width:100%;height:auto;border:1px solid #ddd}"
)


def in_notebook() -> bool:
    """Whether a Jupyter kernel (a notebook, JupyterLab, VS Code's) runs this code: there a
    figure displays as the cell's value. A terminal IPython has no kernel and shows no image,
    so it counts as outside."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def plot_page(figure: Figure, title: str, *, language: str = "en") -> str:
    """The HTML text of a page showing ``figure`` (as an embedded PNG) under ``title``."""
    from avatars.plots import figure_png

    image = base64.b64encode(figure_png(figure)).decode("ascii")
    heading = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{heading}</title>\n<style>{_STYLE}</style>\n'
        f"</head>\n<body>\n<h1>{heading}</h1>\n"
        f'<img alt="{heading}" src="data:image/png;base64,{image}">\n</body>\n</html>\n'
    )


def page_destination(path: str | os.PathLike[str] | None, stem: str) -> Path:
    """Where the page of a plot goes: ``path`` itself if it ends in ``.html``; ``stem.html``
    in ``path`` if it is a folder; beside a PNG ``path`` with the ``.html`` suffix; and
    ``stem.html`` in the current working directory without ``path``."""
    if path is None:
        return Path.cwd() / f"{stem}.html"
    chosen = Path(path)
    if chosen.suffix.lower() == ".html":
        return chosen
    if chosen.is_dir():
        return chosen / f"{stem}.html"
    return chosen.with_suffix(".html")


def write_page(page: str, destination: Path) -> Path:
    """Write the page (creating its folder) and say where, for a script's user to find it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(page, encoding="utf-8")
    logger.info("plot written to %s", destination)
    return destination


def open_page(destination: Path) -> None:
    """Open the written page in the default browser (a ``file://`` address)."""
    webbrowser.open(destination.resolve().as_uri())
