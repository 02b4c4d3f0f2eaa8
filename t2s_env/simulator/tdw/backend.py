"""The TDW simulator: launch or attach to a ThreeDWorld build and render datasets with it.

Everything that talks to TDW is injectable, so the lifecycle is tested with a fake controller
(``tests/test_simulator_tdw.py``); a real render runs when ``T2S_TDW_BUILD`` points at a build.
"""

from __future__ import annotations

import io
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image

from t2s_env.data import load_materials, load_object_classes
from t2s_env.simulator.base import ImageBatch, Simulator
from t2s_env.simulator.fingerprint import sources_fingerprint, tdw_sources
from t2s_env.simulator.knobs import EMBEDDED_SPACE, resolve_config
from t2s_env.simulator.tdw.commands import ImagePlan, image_commands, plan_image, scene_commands
from t2s_env.space import KnobSpace


class Controller(Protocol):
    """What the backend needs of ``tdw.controller.Controller``."""

    def communicate(self, commands: list[dict]) -> list[bytes]: ...


def _require_tdw() -> Any:
    try:
        import tdw  # noqa: F401
        from tdw.controller import Controller as TDWController
    except ImportError as exc:
        raise ImportError(
            "the TDW backend needs the 'tdw' package (Python <= 3.11, setuptools<82): "
            "pip install 'task2sim-gym[tdw]'"
        ) from exc
    return TDWController


def decode_img_pass(resp: list[bytes]) -> np.ndarray:
    """The ``_img`` pass of a TDW response as ``uint8 (H, W, 3)`` (needs ``tdw``)."""
    _require_tdw()
    from tdw.output_data import Images, OutputData

    for r in resp[:-1]:
        if OutputData.get_data_type_id(r) == "imag":
            images = Images(r)
            for i in range(images.get_num_passes()):
                if images.get_pass_mask(i) == "_img":
                    return np.asarray(Image.open(io.BytesIO(images.get_image(i))).convert("RGB"))
    raise RuntimeError("TDW sent no _img pass (are 'set_pass_masks' and 'send_images' set?)")


class TDWSimulator(Simulator):
    """Renders the paper's configurations with a TDW build (the authors' simulator).

    Args:
        build_path: A TDW build executable to launch; ``None`` lets ``tdw`` launch (and on
            first use download) its own build, unless ``launch_build`` is ``False``.
        port: The socket port of the build.
        launch_build: ``False`` attaches to a build already listening on ``port``.
        handshake_timeout: Seconds to wait for the build to answer; TDW's controller would
            otherwise block forever.
        controller_factory: ``(port, launch_build) -> controller``; default ``tdw``'s
            ``Controller``. Tests pass a fake.
        image_decoder: Response -> ``uint8 (H, W, 3)``; default :func:`decode_img_pass`.
        skyboxes, materials: TDW library records (``add_hdri_skybox`` fields, and
            ``{"name", "url"}``); default from ``tdw``'s librarians (materials: the paper's
            ``load_materials()`` names).
        models: ``{wnid: [model records]}``, each ``{"name", "url", "scale_factor",
            "substructure"}``; default from ``tdw``'s model librarian for ``objects.json``.
    """

    name = "tdw"
    version = sources_fingerprint(tdw_sources)
    """A fingerprint of this backend's code and data (:mod:`~t2s_env.simulator.fingerprint`);
    the TDW build itself is not covered."""

    def __init__(
        self,
        build_path: str | None = None,
        port: int = 1071,
        launch_build: bool = True,
        handshake_timeout: float = 120.0,
        controller_factory: Callable[[int, bool], Controller] | None = None,
        image_decoder: Callable[[list[bytes]], np.ndarray] | None = None,
        skyboxes: Sequence[Mapping[str, object]] | None = None,
        materials: Sequence[Mapping[str, object]] | None = None,
        models: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
    ) -> None:
        if handshake_timeout <= 0:
            raise ValueError(f"handshake_timeout must be > 0 seconds, got {handshake_timeout}")
        if not 1 <= port <= 65535:
            raise ValueError(f"port must be in [1, 65535], got {port}")
        self.build_path, self.port, self.launch_build = build_path, port, launch_build
        self.handshake_timeout = float(handshake_timeout)
        self._factory = controller_factory
        self._decode = image_decoder or decode_img_pass
        self._skyboxes, self._materials, self._models = skyboxes, materials, models
        self._controller: Controller | None = None
        self._process: subprocess.Popen | None = None
        self._resolution: int | None = None
        self._previous: ImagePlan | None = None
        self._classes = tuple(load_object_classes())

    # -- protocol ---------------------------------------------------------------------------
    @property
    def space(self) -> KnobSpace:
        return EMBEDDED_SPACE

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._classes

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Launch the build (``build_path``) or let ``tdw`` launch one, and shake hands."""
        if self._controller is not None:
            return
        factory = self._factory
        launch = self.launch_build
        if factory is None:
            tdw_controller = _require_tdw()

            def factory(port: int, launch_build: bool) -> Controller:
                return tdw_controller(port=port, launch_build=launch_build, check_version=False)

        if self.build_path is not None and launch:
            self._process = subprocess.Popen([self.build_path, "-port", str(self.port)])
            launch = False  # we launched it: attach
        box: dict[str, Any] = {}

        def connect() -> None:
            try:
                box["controller"] = factory(self.port, launch)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=connect, daemon=True)
        thread.start()
        thread.join(self.handshake_timeout)
        if thread.is_alive() or "error" in box:
            self.close()
            if "error" in box:
                raise RuntimeError(f"TDW controller failed to start: {box['error']}") from box[
                    "error"
                ]
            raise TimeoutError(
                f"no TDW build answered on port {self.port} within {self.handshake_timeout:.0f}s "
                "(is the build running, with a display or xvfb, and the port free?)"
            )
        self._controller = box["controller"]
        self._resolution = None

    def close(self) -> None:
        """Terminate the build (if we own it) and forget the controller."""
        if self._controller is not None:
            try:
                self._controller.communicate([{"$type": "terminate"}])
            except Exception:  # noqa: BLE001 - the build may already be gone
                pass
        self._controller = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def __enter__(self) -> TDWSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records ----------------------------------------------------------------------------
    def _records(self) -> tuple[Sequence[Mapping], Sequence[Mapping], Mapping[str, Sequence]]:
        if self._skyboxes is None or self._materials is None or self._models is None:
            _require_tdw()
            from tdw.librarian import HDRISkyboxLibrarian, MaterialLibrarian, ModelLibrarian

            if self._skyboxes is None:
                self._skyboxes = [
                    {
                        "name": r.name,
                        "url": r.get_url(),
                        "exposure": r.exposure,
                        "initial_skybox_rotation": r.initial_skybox_rotation,
                        "sun_elevation": r.sun_elevation,
                        "sun_initial_angle": r.sun_initial_angle,
                        "sun_intensity": r.sun_intensity,
                    }
                    for r in HDRISkyboxLibrarian().records
                ]
            if self._materials is None:
                lib = MaterialLibrarian()
                recs = [lib.get_record(n) for n in load_materials()]
                self._materials = [{"name": r.name, "url": r.get_url()} for r in recs if r]
            if self._models is None:
                lib = ModelLibrarian("models_full.json")
                models = {}
                for wnid, names in load_object_classes().items():
                    recs = [lib.get_record(n) for n in names]
                    models[wnid] = [
                        {
                            "name": r.name,
                            "url": r.get_url(),
                            "scale_factor": r.scale_factor,
                            "substructure": r.substructure,
                        }
                        for r in recs
                        if r
                    ]
                self._models = models
        return self._skyboxes, self._materials, self._models

    # -- rendering --------------------------------------------------------------------------
    def render_batches(
        self,
        config: Mapping[str, object] | str,
        images_per_class: int,
        seed: int,
        resolution: int,
        batch_size: int = 256,
        classes: int | None = None,
    ) -> Iterator[ImageBatch]:
        """Stream the dataset (class-major order, like the embedded simulator)."""
        cfg = resolve_config(config)
        n = len(self._classes) if classes is None else int(classes)
        if not 1 <= n <= len(self._classes):
            raise ValueError(f"classes must be in [1, {len(self._classes)}], got {classes}")
        if images_per_class < 1 or batch_size < 1:
            raise ValueError("images_per_class and batch_size must be >= 1")
        skyboxes, materials, models = self._records()
        self.start()
        assert self._controller is not None
        if self._resolution != resolution:
            self._controller.communicate(scene_commands(resolution))
            self._resolution, self._previous = resolution, None
        images, labels = [], []
        for i in range(n * images_per_class):
            label = i // images_per_class
            records = models[self._classes[label]]
            if not records:
                raise RuntimeError(f"no TDW model for class {self._classes[label]}")
            plan = plan_image(cfg, seed, i, len(skyboxes), len(materials), n_models=len(records))
            rec = records[plan.model]
            object_id = 1 + i
            subs = [(s["name"], len(s["materials"])) for s in rec.get("substructure", [])]
            cmds = [
                {
                    "$type": "add_object",
                    "name": rec["name"],
                    "url": rec["url"],
                    "scale_factor": rec.get("scale_factor", 1.0),
                    "position": {"x": 0.0, "y": 0.0, "z": 0.0},
                    "rotation": {"x": 0.0, "y": 0.0, "z": 0.0},
                    "category": "",
                    "id": object_id,
                },
                *image_commands(plan, self._previous, object_id, subs, skyboxes, materials),
            ]
            img = self._decode(self._controller.communicate(cmds))
            self._controller.communicate([{"$type": "destroy_object", "id": object_id}])
            self._previous = plan
            if img.shape[:2] != (resolution, resolution):
                img = np.asarray(Image.fromarray(img).resize((resolution, resolution)))
            images.append(img.astype(np.uint8))
            labels.append(label)
            if len(images) == batch_size:
                yield ImageBatch(np.stack(images), np.asarray(labels, dtype=np.int64))
                images, labels = [], []
        if images:
            yield ImageBatch(np.stack(images), np.asarray(labels, dtype=np.int64))
