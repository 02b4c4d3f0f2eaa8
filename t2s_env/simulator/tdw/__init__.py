"""The ThreeDWorld (TDW) backend (extra ``tdw``): the paper's simulator.

:mod:`~t2s_env.simulator.tdw.commands` maps ``(config, seed, image index)`` to TDW command
dicts as pure functions; :class:`~t2s_env.simulator.tdw.backend.TDWSimulator` launches or
attaches to a TDW build, sends them and captures the ``_img`` pass. The ``tdw`` package needs
Python <= 3.11 and ``setuptools<82`` (``pip install "task2sim-gym[tdw]"``) and a TDW build
(downloaded by ``tdw`` on first launch, or pointed at with ``build_path``).
"""

from t2s_env.simulator.tdw.backend import TDWSimulator
from t2s_env.simulator.tdw.commands import ImagePlan, image_commands, plan_image, scene_commands

__all__ = ["ImagePlan", "TDWSimulator", "image_commands", "plan_image", "scene_commands"]
