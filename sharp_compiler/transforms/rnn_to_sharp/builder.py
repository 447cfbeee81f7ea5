"""The module being built: DRAM tensors, on-chip buffers, layers and their unique names.

`Lowering` is what every lowering helper (recurrent layers, glue, dense layers) takes: it
knows which DRAM tensor holds each SSA value, materialises constants on first use, and
collects the `sharp.tensor`, `sharp.buffer` and `sharp.layer` ops of the module, in order.
It makes no scheme decisions (see `plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import TensorType, f16, f32, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import TileAttr, WindowAttr
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.blocks import count_macs


@dataclass
class Lowering:
    """The tensors, buffers and layers of the `sharp` module lowered from one `func.func`."""

    cfg: HwConfig
    precision: str
    tensors: list[Operation] = field(default_factory=list)
    buffers: list[Operation] = field(default_factory=list)
    layers: list[Operation] = field(default_factory=list)
    value_tensor: dict[SSAValue, str] = field(default_factory=dict)
    symbols: set[str] = field(default_factory=set)
    output_names: dict[SSAValue, str] = field(default_factory=dict)
    on_chip: dict[str, WindowAttr] = field(default_factory=dict)
    """DRAM tensors whose whole contents a vector-buffer window also holds, row for row
    ([rows, cols] row-major): a later layer reads the window instead of loading the tensor."""

    def unique(self, base: str) -> str:
        name, k = rnn.symbol(base), 1
        while name in self.symbols:
            name, k = f"{rnn.symbol(base)}_{k}", k + 1
        self.symbols.add(name)
        return name

    def add_tensor(self, base: str, kind: str, shape: tuple[int, ...], elem: Attribute = f32,
                   onnx_name: str | None = None, value: Attribute | None = None) -> str:  # fmt: skip
        sym = self.unique(base)
        self.tensors.append(sharp.TensorOp(sym, kind, TensorType(elem, shape), onnx_name, value))
        return sym

    def const_tensor(self, base: str, array: np.ndarray) -> str:
        from sharp_compiler.dialects.weights import WeightsAttr

        elem = {np.dtype("float32"): f32, np.dtype("float16"): f16, np.dtype("int32"): i32,
                np.dtype("int64"): i64}[array.dtype]  # fmt: skip
        sym = self.unique(base)
        if isinstance(array, rnn.ElidedArray):  # derived from elided weights: stays elided
            attr = WeightsAttr.elided(sym, TensorType(elem, array.shape))
        else:
            attr = WeightsAttr.from_array(sym, np.ascontiguousarray(array))
        self.tensors.append(sharp.TensorOp(sym, "const", TensorType(elem, array.shape), None, attr))
        return sym

    def tensor_of(self, value: SSAValue) -> str:
        """The DRAM tensor holding a value (constants are materialised on first use)."""
        if value in self.value_tensor:
            return self.value_tensor[value]
        if rnn.weights_attr_of(value) is None:
            raise LoweringError(f"value {value.name_hint or ''} has no producer the lowering knows")
        array = rnn.constant_array(value, "a constant")
        sym = self.const_tensor(value.name_hint or "const", array)
        self.value_tensor[value] = sym
        return sym

    def result_tensor(self, value: SSAValue, base: str) -> str | None:
        """The tensor a result is written to: a named output, scratch, or None when unused."""
        if not value.uses:
            return None
        shape = rnn.shape_of(value)
        ttype = value.type
        assert isinstance(ttype, TensorType)
        if value in self.output_names:
            name = self.output_names[value]
            sym = self.add_tensor(name, "output", shape, ttype.element_type, name)
        else:
            sym = self.add_tensor(base, "scratch", shape, ttype.element_type)
        self.value_tensor[value] = sym
        return sym

    def buffer(self, name: str, space: str, rows: int, cols: int) -> str:
        sym = self.unique(name)
        self.buffers.append(sharp.BufferOp(sym, space, rows, cols))
        return sym

    def layer(self, name: str, kind: str, onnx_node: str, ops: list[Operation], directions: int = 1) -> None:
        """A `sharp.layer` of these ops; `directions`: the ONNX node's (2 when bidirectional)."""
        macs = count_macs(ops)
        tile = TileAttr(*self.cfg.default_tile)
        self.layers.append(sharp.LayerOp(name, kind, onnx_node, tile, macs, Region(Block(ops)), directions))

    def order_io(self, output_names: list[str]) -> None:
        """Inputs first, then outputs in ONNX graph order (the binary's I/O descriptors), then the rest."""
        rank = {name: i for i, name in enumerate(output_names)}

        def key(op: Operation) -> tuple[int, int]:
            assert isinstance(op, sharp.TensorOp)
            if op.kind.data == "input":
                return (0, 0)
            if op.kind.data == "output" and op.onnx_name is not None:
                return (1, rank.get(op.onnx_name.data, 0))
            return (2, 0)

        self.tensors.sort(key=key)
