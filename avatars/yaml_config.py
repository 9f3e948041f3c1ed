"""The YAML documents of a run as typed objects: load, edit, export (round trip exact).

The format lives in :mod:`avatar_yaml`, which the server shares; this module is its public
name on the client side.
"""

from avatar_yaml import *  # noqa: F403
from avatar_yaml import __all__ as __all__
