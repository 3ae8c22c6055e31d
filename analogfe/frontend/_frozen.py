"""Front ends whose configuration is fixed once built."""
from __future__ import annotations

__all__ = ["Frozen"]


class Frozen:
    """A class whose public attributes are fixed at construction.

    ``__init__`` validates every argument, sets the attributes and ends with
    ``self._freeze()``; assigning a public attribute afterwards raises
    AttributeError at once, instead of an error (or a wrong result) at the
    next call that trusts the validated value. Private attributes (a leading
    underscore: caches, random state) stay writable; copies keep the freeze.
    """

    def _freeze(self):
        object.__setattr__(self, "_frozen", True)

    def _refuse(self, name):
        cls = type(self).__name__
        raise AttributeError(f"{cls}.{name} is fixed when the front end is built (its value was "
                             f"checked then); build a new {cls} with {name}=...")

    def __setattr__(self, name, value):
        if not name.startswith("_") and getattr(self, "_frozen", False):
            self._refuse(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if not name.startswith("_") and getattr(self, "_frozen", False):
            self._refuse(name)
        object.__delattr__(self, name)
