"""The YAML documents of a run as typed objects: load, edit, export (round trip exact).

The format lives in :mod:`avatar_yaml.config`, which the server shares; this module is its
public name on the client side.
"""

from avatar_yaml.config import *  # noqa: F403
from avatar_yaml.config import __all__ as __all__
