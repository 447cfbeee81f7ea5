"""Run many points: a local process pool (default), or a Dask or Ray cluster.

Every executor maps the same function (`points.run_point_checked`) over the same point dicts and
yields `(index, row)` as points finish, so the rows do not depend on the executor. `address`
connects to an existing cluster (`tcp://host:8786` for Dask, `ray://host:10001` or `auto` for
Ray); without one, a local cluster of `jobs` workers is started and stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from sharp_compiler.dse.points import Point, Row, run_point_checked

EXECUTORS = ("local", "dask", "ray")

Runner = Callable[[Point], Row]


class ExecutorUnavailable(RuntimeError):
    """The requested executor's package is not installed."""


def run_all(points: list[Point], executor: str, jobs: int, address: str = "",
            fn: Runner = run_point_checked) -> Iterator[tuple[int, Row]]:  # fmt: skip
    if not points:
        return iter(())
    if executor == "local":
        return _local(points, jobs, fn)
    if executor == "dask":
        return _dask(points, jobs, address, fn)
    if executor == "ray":
        return _ray(points, jobs, address, fn)
    raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got '{executor}'")


def _local(points: list[Point], jobs: int, fn: Runner) -> Iterator[tuple[int, Row]]:
    if jobs <= 1:
        for index, point in enumerate(points):
            yield index, fn(point)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(fn, p): i for i, p in enumerate(points)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _dask(points: list[Point], jobs: int, address: str, fn: Runner) -> Iterator[tuple[int, Row]]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ExecutorUnavailable(
            "--executor dask needs dask[distributed] (pip install 'sharp-compiler[dask]')"
        ) from None
    cluster: Any = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
    try:
        futures = [client.submit(fn, p, pure=False) for p in points]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            yield index[future.key], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _ray(points: list[Point], jobs: int, address: str, fn: Runner) -> Iterator[tuple[int, Row]]:
    try:
        import ray
    except ImportError:
        raise ExecutorUnavailable("--executor ray needs ray (pip install 'sharp-compiler[ray]')") from None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, jobs), include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(fn)
        pending = {remote.remote(p): i for i, p in enumerate(points)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        if started:
            ray.shutdown()
