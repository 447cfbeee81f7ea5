"""The default compilation pipeline from `rnn` to `sharp_isa`, as one pass spec.

convert-rnn-to-sharp{scheme="auto"},sharp-interleave,sharp-interleave-rows,sharp-sink-projection,
sharp-prefetch,sharp-reconfigure{scheme="auto"},sharp-schedule{scheme="auto"},sharp-allocate,convert-sharp-to-isa

(`pipeline_spec(PipelineOptions())`); the interleaving and prefetch passes run with mode
`none` for `sequential` and `intergate` (the interleaving ones also under `--no-interleave`),
and `sharp-sink-projection` with mode `none` for every named scheme (`auto` only).

A non-empty `tile` ("RxC") forces that shape on every layer:
`sharp-reconfigure{mode=forced tile=RxC}` replaces the `reconfigure` mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.passes import ModulePass

from sharp_compiler.hw.config import DEFAULT_PRESET


@dataclass(frozen=True)
class PipelineOptions:
    hw: str = DEFAULT_PRESET
    budget: int = 0
    precision: str = ""
    reconfigure: str = "per-layer"
    tile: str = ""
    scheme: str = "auto"
    chunks: int = 0
    """Row blocks per recurrent layer; 0: one for `sequential`, chosen by the cost model otherwise."""
    order: str = "row"
    interleave: bool = True
    """Fuse independent recurrences (bidirectional layers) into one time loop, with `auto`/`unfolded`."""


def pipeline_passes(options: PipelineOptions) -> list[ModulePass]:
    """The passes of the default pipeline, in order."""
    from sharp_compiler.transforms.convert_sharp_to_isa import ConvertSharpToIsaPass
    from sharp_compiler.transforms.rnn_to_sharp import ConvertRnnToSharpPass
    from sharp_compiler.transforms.sharp_allocate import SharpAllocatePass
    from sharp_compiler.transforms.sharp_interleave import SharpInterleavePass
    from sharp_compiler.transforms.sharp_interleave_rows import SharpInterleaveRowsPass
    from sharp_compiler.transforms.sharp_prefetch import SharpPrefetchPass
    from sharp_compiler.transforms.sharp_reconfigure import SharpReconfigurePass
    from sharp_compiler.transforms.sharp_schedule import SharpSchedulePass
    from sharp_compiler.transforms.sharp_sink_projection import SharpSinkProjectionPass

    return [
        ConvertRnnToSharpPass(
            hw=options.hw,
            budget=options.budget,
            precision=options.precision,
            chunks=options.chunks,
            scheme=options.scheme,
            order=options.order,
        ),
        SharpInterleavePass(
            mode="directions" if options.interleave and options.scheme in ("auto", "unfolded") else "none"
        ),
        SharpInterleaveRowsPass(
            mode="auto" if options.interleave and options.scheme in ("auto", "unfolded") else "none",
            scheme=options.scheme,
        ),
        SharpSinkProjectionPass(mode="auto" if options.scheme == "auto" else "none", scheme=options.scheme),
        SharpPrefetchPass(mode="weights" if options.scheme in ("auto", "unfolded") else "none"),
        SharpReconfigurePass(mode="forced", tile=options.tile)
        if options.tile
        else SharpReconfigurePass(mode=options.reconfigure, scheme=options.scheme),
        SharpSchedulePass(scheme=options.scheme),
        SharpAllocatePass(),
        ConvertSharpToIsaPass(),
    ]


def pipeline_spec(options: PipelineOptions) -> str:
    """The same pipeline as an `sharp-opt -p` string."""
    return ",".join(str(p.pipeline_pass_spec()) for p in pipeline_passes(options))
