"""`#rnn.weights`: a constant tensor held as exact little-endian bytes in memory.

    #rnn.weights<"lstm.W", tensor<2x2xf32>, "0x0000803F000000400000404000008040">
    #rnn.weights<"lstm.R", tensor<1x256x64xf32>, elided>

Weights are never meant to travel through text: printing 16M floats costs seconds
and gigabytes. Tensors of at most `INLINE_LIMIT` elements print as inline hex; larger
ones print `elided` unless `inline_weights()` is active (`sharp-opt --inline-weights`).
Parsing `elided` gives an attribute whose data is absent: `is_elided` is True and
`as_array()` raises `ElidedWeightsError` rather than inventing zeros.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    Float16Type,
    Float32Type,
    IntegerType,
    NoneAttr,
    StringAttr,
    TensorType,
    f16,
    f32,
    i32,
    i64,
)
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

INLINE_LIMIT = 16
"""Tensors with at most this many elements always print their data inline."""

_INLINE_ALL: ContextVar[bool] = ContextVar("sharp_inline_weights", default=False)

_DTYPES: dict[Attribute, np.dtype] = {
    f32: np.dtype("<f4"),
    f16: np.dtype("<f2"),
    i32: np.dtype("<i4"),
    i64: np.dtype("<i8"),
}
_ELEMENT_TYPES: dict[np.dtype, Attribute] = {dt.newbyteorder("="): t for t, dt in _DTYPES.items()}


class ElidedWeightsError(ValueError):
    """Raised when the data of weights that were printed `elided` is requested."""


@contextmanager
def inline_weights(enabled: bool = True) -> Iterator[None]:
    """Print every `#rnn.weights` inline (hex) inside this block, whatever its size."""
    token = _INLINE_ALL.set(enabled)
    try:
        yield
    finally:
        _INLINE_ALL.reset(token)


def element_dtype(element_type: Attribute) -> np.dtype:
    """The little-endian numpy dtype of a supported element type (f32, f16, i32, i64)."""
    if element_type not in _DTYPES:
        raise ValueError(f"unsupported weights element type {element_type}; expected f32, f16, i32 or i64")
    return _DTYPES[element_type]


def _is_supported_element(element_type: Attribute) -> bool:
    if isinstance(element_type, Float32Type | Float16Type):
        return True
    return isinstance(element_type, IntegerType) and element_type in (i32, i64)


@irdl_attr_definition
class WeightsAttr(ParametrizedAttribute):
    """A named constant tensor whose bytes are kept exactly (or `elided` after printing).

    Build it with `WeightsAttr.from_array("W", array)`; read it with `attr.as_array()`
    (zero-copy, read-only).
    """

    name = "rnn.weights"

    label: StringAttr
    type: TensorType
    data: BytesAttr | NoneAttr

    @staticmethod
    def from_array(label: str, array: np.ndarray) -> WeightsAttr:
        """Weights holding a copy of `array` (no copy when it already views whole `bytes`)."""
        array = np.asarray(array)
        native = array.dtype.newbyteorder("=")
        if native not in _ELEMENT_TYPES:
            raise ValueError(
                f"weights '{label}': unsupported dtype {array.dtype}; expected float32, float16, int32 or int64"
            )
        element_type = _ELEMENT_TYPES[native]
        tensor_type = TensorType(element_type, array.shape)
        return WeightsAttr.from_bytes(label, tensor_type, _little_endian_bytes(array, _DTYPES[element_type]))

    @staticmethod
    def from_bytes(label: str, tensor_type: TensorType, data: bytes) -> WeightsAttr:
        """Weights over raw little-endian `data` (taken as is, not copied)."""
        return WeightsAttr(StringAttr(label), tensor_type, BytesAttr(data))

    @staticmethod
    def elided(label: str, tensor_type: TensorType) -> WeightsAttr:
        """Weights whose data is absent, as parsed from `elided`."""
        return WeightsAttr(StringAttr(label), tensor_type, NoneAttr())

    @property
    def is_elided(self) -> bool:
        return isinstance(self.data, NoneAttr)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.type.get_shape())

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    @property
    def dtype(self) -> np.dtype:
        return element_dtype(self.type.element_type)

    def as_array(self) -> np.ndarray:
        """The data as a read-only numpy array of the tensor's shape (no copy)."""
        if isinstance(self.data, NoneAttr):
            raise ElidedWeightsError(
                f"weights '{self.label.data}' were elided when printed; re-run with --inline-weights"
            )
        return np.frombuffer(self.data.data, dtype=self.dtype).reshape(self.shape)

    def verify(self) -> None:
        if not _is_supported_element(self.type.element_type):
            raise VerifyException(
                f"weights '{self.label.data}' have element type {self.type.element_type}; expected f32, f16, i32 or i64"
            )
        if any(d < 0 for d in self.type.get_shape()):
            raise VerifyException(f"weights '{self.label.data}' must have a static shape, got {self.type}")
        if isinstance(self.data, NoneAttr):
            return
        expected = self.num_elements * self.dtype.itemsize
        if len(self.data.data) != expected:
            raise VerifyException(
                f"weights '{self.label.data}' hold {len(self.data.data)} bytes, expected {expected} for {self.type}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            label = parser.parse_str_literal("weights label")
            parser.parse_punctuation(",")
            pos = parser.pos
            tensor_type = parser.parse_type()
            if not isinstance(tensor_type, TensorType):
                parser.raise_error("expected a tensor type", pos, parser.pos)
            parser.parse_punctuation(",")
            if parser.parse_optional_keyword("elided") is not None:
                return (StringAttr(label), tensor_type, NoneAttr())
            pos = parser.pos
            text = parser.parse_str_literal("hex data or `elided`")
            if not text.startswith("0x"):
                parser.raise_error('expected hex data "0x..." or `elided`', pos, parser.pos)
            try:
                data = bytes.fromhex(text[2:])
            except ValueError:
                parser.raise_error("malformed hex data", pos, parser.pos)
        return (StringAttr(label), tensor_type, BytesAttr(data))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string_literal(self.label.data)
            printer.print_string(", ")
            printer.print_attribute(self.type)
            printer.print_string(", ")
            if isinstance(self.data, NoneAttr) or not self._prints_inline():
                printer.print_string("elided")
                return
            printer.print_string(f'"0x{self.data.data.hex().upper()}"')

    def _prints_inline(self) -> bool:
        return self.num_elements <= INLINE_LIMIT or _INLINE_ALL.get()


def _little_endian_bytes(array: np.ndarray, dtype: np.dtype) -> bytes:
    """`array` as contiguous little-endian bytes, reusing its buffer when it views a whole `bytes`."""
    owner = array.base
    while isinstance(owner, np.ndarray):
        owner = owner.base
    if (
        isinstance(owner, bytes)
        and array.dtype == dtype
        and array.flags.c_contiguous
        and array.nbytes == len(owner)
        and array.ctypes.data == np.frombuffer(owner, np.uint8).ctypes.data
    ):
        return owner
    return np.ascontiguousarray(array, dtype=dtype).tobytes()
