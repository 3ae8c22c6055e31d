"""analogfe: the mixed-signal front end of an always-on camera.

One subpackage per stage of the data flow: :mod:`~analogfe.scene`,
:mod:`~analogfe.sensor`, :mod:`~analogfe.frontend`, :mod:`~analogfe.features`,
:mod:`~analogfe.data`, :mod:`~analogfe.learn`, :mod:`~analogfe.system` (the
cost model) and :mod:`~analogfe.app` (the runs). Everything loads on first
use: ``import analogfe`` imports no torch, scikit-learn or Dask.
"""
import lazy_loader as _lazy

from ._version import __version__

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
__all__ = [*__all__, "__version__"]
