"""Record the embedded simulator's image version for its current code version.

Renders the reference set (``t2s_env.simulator.fingerprint.image_fingerprint``) on the CPU and
adds ``code version -> image version`` to ``t2s_env/data/simulator_versions.json``. Run it after
editing the simulator (``tests/test_simulator_versions.py`` says when): if the image version is
the one a packaged table was measured with, the table still holds; if not, the test says so.

Run: ``OMP_NUM_THREADS=1 python scripts/record_simulator_version.py``.
"""

from __future__ import annotations

import sys

from t2s_env.simulator import EmbeddedSimulator
from t2s_env.simulator.fingerprint import (
    embedded_sources,
    image_fingerprint,
    record_image_version,
    sources_fingerprint,
)


def main() -> int:
    code = sources_fingerprint(embedded_sources)
    image = image_fingerprint(EmbeddedSimulator(device="cpu"))
    new = record_image_version("embedded", code, image)
    print(f"embedded simulator: code {code} -> images {image} ({'recorded' if new else 'known'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
