"""sharp-dse: design-space sweeps (models x hardware x budgets x schedules), in parallel, with plots.

    >>> from sharp_compiler.dse import sweep
    >>> rows = sweep(["m.onnx"], hw=["sharp-4k"], budgets=[1024, 4096], schedules=["sequential"],
    ...              baselines=True, out="dse-out", jobs=2)

`points` defines one point and how it runs (compile + timing-only simulation),
`executors` runs many of them (local process pool, Dask, Ray), `results` turns rows into
speedups and files, `plots` draws the figures. See docs/dse.md.
"""

from sharp_compiler.dse.sweep import sweep

__all__ = ["sweep"]
