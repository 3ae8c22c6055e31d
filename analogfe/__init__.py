"""analogfe: the mixed-signal front end of an always-on camera.

One subpackage per stage of the data flow: :mod:`~analogfe.scene`,
:mod:`~analogfe.sensor`, :mod:`~analogfe.frontend`, :mod:`~analogfe.features`,
:mod:`~analogfe.data`, :mod:`~analogfe.learn`, :mod:`~analogfe.system` (the
cost model) and :mod:`~analogfe.app` (the runs). Everything loads on first
use (``__init__.pyi`` lists the public names): ``import analogfe`` imports no
torch, scikit-learn or Dask.

Importing it asks GNU OpenMP's waiting threads to sleep rather than spin
(``OMP_WAIT_POLICY=PASSIVE``, unless set), before any kernel or torch loads
the runtime: see :mod:`analogfe._threads`.
"""
import lazy_loader as _lazy

from ._threads import quiet_openmp as _quiet_openmp
from ._version import __version__

_quiet_openmp()

__getattr__, _dir, _names = _lazy.attach_stub(__name__, __file__)
__all__ = [*_names, "__version__"]


def __dir__():
    return list(__all__)
