"""A resumable sweep never reuses a row computed by another version of the toolchain."""

from __future__ import annotations

from sharp_compiler.dse import points


def test_cache_key_covers_the_toolchain(monkeypatch) -> None:
    point = {"model": "/m.onnx", "model_hash": "ab", "hw": "sharp-4k", "budget": 4096, "schedule": "auto"}
    key = points.point_key(point)
    assert key == points.point_key(dict(point))
    monkeypatch.setattr(points, "_TOOLCHAIN", "another-compiler")
    assert points.point_key(point) != key
