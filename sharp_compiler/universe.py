"""Plugin entry for `xdsl.universe`: plain `xdsl-opt` sees sharp's dialects, passes and targets.

Factories are lazy: nothing is imported until xDSL asks for a name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xdsl.universe import Universe


def _lazy(module: str, attr: str) -> Callable[[], Any]:
    def factory() -> Any:
        import importlib

        return getattr(importlib.import_module(module), attr)

    return factory


DIALECTS: dict[str, Callable[[], Any]] = {
    "rnn": _lazy("sharp_compiler.dialects.rnn", "RNN"),
    "sharp": _lazy("sharp_compiler.dialects.sharp", "SHARP"),
    "sharp_isa": _lazy("sharp_compiler.dialects.sharp_isa", "SHARP_ISA"),
}

PASSES: dict[str, Callable[[], Any]] = {
    "convert-rnn-to-sharp": _lazy("sharp_compiler.transforms.rnn_to_sharp", "ConvertRnnToSharpPass"),
    "sharp-reconfigure": _lazy("sharp_compiler.transforms.sharp_reconfigure", "SharpReconfigurePass"),
    "sharp-schedule": _lazy("sharp_compiler.transforms.sharp_schedule", "SharpSchedulePass"),
    "sharp-interleave": _lazy("sharp_compiler.transforms.sharp_interleave", "SharpInterleavePass"),
    "sharp-interleave-rows": _lazy(
        "sharp_compiler.transforms.sharp_interleave_rows", "SharpInterleaveRowsPass"
    ),
    "sharp-sink-projection": _lazy(
        "sharp_compiler.transforms.sharp_sink_projection", "SharpSinkProjectionPass"
    ),
    "sharp-prefetch": _lazy("sharp_compiler.transforms.sharp_prefetch", "SharpPrefetchPass"),
    "sharp-allocate": _lazy("sharp_compiler.transforms.sharp_allocate", "SharpAllocatePass"),
    "convert-sharp-to-isa": _lazy("sharp_compiler.transforms.convert_sharp_to_isa", "ConvertSharpToIsaPass"),
}

TARGETS: dict[str, Callable[[], Any]] = {
    "sharp-bin": _lazy("sharp_compiler.backend.targets", "SharpBinaryTarget"),
    "sharp-listing": _lazy("sharp_compiler.backend.targets", "SharpListingTarget"),
}

SHARP_UNIVERSE = Universe(all_dialects=DIALECTS, all_passes=PASSES, all_targets=TARGETS)
