"""The time-unrolled nn.RNN of PyTorch's dynamo exporter folds into one rnn.rnn per layer.

`unrolled_rnn` builds the graph the exporter writes (see sharp_compiler/frontend/unrolled_rnn.py)
from PyTorch-layout weights, in-test and without torch: onnxruntime checks it against a numpy
Elman RNN, then the import must give one `rnn.rnn` per layer with exactly those weights, and
the compiled model must compute what onnxruntime computes on the unrolled graph. Every
variation the matcher does not accept must fall back to the unsupported-node error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler.dialects.rnn import ConcatOp, ReshapeOp, RNNOp, TransposeOp, constant_array
from sharp_compiler.frontend.onnx_import import FrontendError, import_onnx

FLOAT = TensorProto.FLOAT
INT64_MIN = np.iinfo(np.int64).min


@dataclass
class Layer:
    """PyTorch-layout weights of one layer direction."""

    w_ih: np.ndarray  # [H, I]
    w_hh: np.ndarray  # [H, H]
    b_ih: np.ndarray | None
    b_hh: np.ndarray | None


@dataclass
class Unrolled:
    """Builds dynamo's unrolled nn.RNN graph; the knobs break it in the ways the matcher must reject."""

    t: int = 4
    b: int = 2
    i: int = 3
    h: int = 5
    layers: int = 2
    activation: str = "Tanh"
    bias: bool = True
    bidirectional: bool = False
    h0_input: bool = False
    copies: bool = False  # one transposed W_hh initializer per step, as dynamo writes for big H
    seed: int = 0
    # Ways to break the pattern (layer 0, forward direction):
    differing_copy: bool = False  # one step's W_hh^T copy differs
    nonzero_start: bool = False  # the first step's folded state term is not b_hh
    differing_b_hh: bool = False  # one step adds another b_hh
    mixed_activation: bool = False  # one step uses the other activation
    extra_state_output: bool = False  # an intermediate h_t is also a graph output
    wrong_step_slice: bool = False  # step 1 reads the slice of step 2
    weights: list[list[Layer]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        d = 2 if self.bidirectional else 1

        def rand(*shape: int) -> np.ndarray:
            return rng.uniform(-0.5, 0.5, shape).astype(np.float32)

        for layer in range(self.layers):
            size = self.i if layer == 0 else self.h * d
            self.weights.append([
                Layer(rand(self.h, size), rand(self.h, self.h), rand(self.h) if self.bias else None,
                      rand(self.h) if self.bias else None)
                for _ in range(d)
            ])  # fmt: skip

    # ---- the graph
    def model(self, *, shuffle: bool = False, rename: bool = False) -> onnx.ModelProto:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: dict[str, np.ndarray] = {}
        self.count = 0
        x = "x"
        finals: list[str] = []
        for layer, directions in enumerate(self.weights):
            ys = []
            for d, weights in enumerate(directions):
                y, final = self._chain(x, weights, layer, d)
                ys.append(y)
                finals.append(final)
            x = ys[0] if len(ys) == 1 else self._node("Concat", ys, axis=2)
        d = 2 if self.bidirectional else 1
        outputs = {"out": [self.t, self.b, self.h * d], "h_n": [self.layers * d, self.b, self.h]}
        if self.extra_state_output:
            outputs["h_1"] = [1, self.b, self.h]
        unsqueezed = [self._node("Unsqueeze", [self._node("Squeeze", [f, self._ints([0])]), self._ints([0])])
                      for f in finals]  # fmt: skip
        self.nodes.append(helper.make_node("Identity", [x], ["out"]))
        self.nodes.append(helper.make_node("Concat", unsqueezed, ["h_n"], axis=0))
        inputs = [helper.make_tensor_value_info("x", FLOAT, [self.t, self.b, self.i])]
        if self.h0_input:
            inputs.append(helper.make_tensor_value_info("h0", FLOAT, [self.layers * d, self.b, self.h]))
        nodes = self._shuffled(self.nodes) if shuffle else self.nodes
        graph = helper.make_graph(
            nodes,
            "unrolled",
            inputs,
            [helper.make_tensor_value_info(n, FLOAT, s) for n, s in outputs.items()],
            [numpy_helper.from_array(a, n) for n, a in self.inits.items()],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        if rename:
            _rename(model)
        onnx.checker.check_model(model)
        return model

    def _chain(self, x: str, w: Layer, layer: int, d: int) -> tuple[str, str]:
        """One direction of one layer -> (Y [T, B, H], final state [1, B, H])."""
        reverse = d == 1
        broken = layer == 0 and d == 0
        p = self._node("MatMul", [x, self._const(w.w_ih.T)])
        if w.b_ih is not None:
            p = self._node("Add", [p, self._const(w.b_ih)])
        if reverse:
            p = self._node(
                "Slice", [p, self._ints([-1]), self._ints([INT64_MIN]), self._ints([0]), self._ints([-1])]
            )
        steps = [self._node("Squeeze", [self._node("Slice", [p, *self._bounds(s)]), self._ints([0])])
                 for s in range(self.t)]  # fmt: skip
        if broken and self.wrong_step_slice and self.t > 2:
            steps[1] = self._node("Squeeze", [self._node("Slice", [p, *self._bounds(2)]), self._ints([0])])
        shared_r = self._const(w.w_hh.T)
        states: list[str] = []
        for s, x_s in enumerate(steps):
            if s == 0 and not self.h0_input:
                start = np.broadcast_to(w.b_hh if w.b_hh is not None else 0.0, (1, self.b, self.h))
                start = start + (0.25 if broken and self.nonzero_start else 0.0)
                term = self._const(np.ascontiguousarray(start, np.float32))
            else:
                if s == 0:
                    index = 2 * layer + d if self.bidirectional else layer
                    h0 = self._node(
                        "Slice", ["h0", self._ints([index]), self._ints([index + 1]), self._ints([0])]
                    )
                    prev = self._node(
                        "Unsqueeze", [self._node("Squeeze", [h0, self._ints([0])]), self._ints([0])]
                    )
                else:
                    prev = states[-1]
                r_t = w.w_hh.T.copy()
                if broken and self.differing_copy and s == self.t - 1:
                    r_t[0, 0] += 1e-3
                r = self._const(r_t) if self.copies or not np.array_equal(r_t, w.w_hh.T) else shared_r
                term = self._node("MatMul", [prev, r])
                if w.b_hh is not None:
                    b_hh = w.b_hh + (0.5 if broken and self.differing_b_hh and s == self.t - 1 else 0.0)
                    term = self._node("Add", [term, self._const(b_hh.astype(np.float32))])
            act = self.activation
            if broken and self.mixed_activation and s == self.t - 1:
                act = "Relu" if act == "Tanh" else "Tanh"
            states.append(self._node(act, [self._node("Add", [term, x_s])]))
        if broken and self.extra_state_output:
            self.nodes.append(helper.make_node("Identity", [states[1]], ["h_1"]))
        ordered = states[::-1] if reverse else states
        y = ordered[0] if self.t == 1 else self._node("Concat", ordered, axis=0)
        return y, states[-1]

    def _node(self, op: str, inputs: list[str], **attrs: object) -> str:
        self.count += 1
        out = f"v{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"node_{op}_{self.count}", **attrs))
        return out

    def _const(self, array: np.ndarray) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.inits[name] = np.asarray(array)
        return name

    def _ints(self, values: list[int]) -> str:
        return self._const(np.array(values, np.int64))

    def _bounds(self, s: int) -> list[str]:
        return [self._ints([s]), self._ints([s + 1]), self._ints([0])]

    @staticmethod
    def _shuffled(nodes: list[onnx.NodeProto]) -> list[onnx.NodeProto]:
        """Another topological order: a random ready node each time."""
        rng = random.Random(1)
        produced = {out: index for index, n in enumerate(nodes) for out in n.output}
        pending = {i: {produced[n] for n in node.input if n in produced} for i, node in enumerate(nodes)}
        order: list[int] = []
        while pending:
            ready = [i for i, deps in pending.items() if not deps]
            pick = rng.choice(ready)
            order.append(pick)
            del pending[pick]
            for deps in pending.values():
                deps.discard(pick)
        return [nodes[i] for i in order]

    # ---- the reference
    def feeds(self) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(self.seed + 100)
        feeds = {"x": rng.standard_normal((self.t, self.b, self.i)).astype(np.float32)}
        if self.h0_input:
            d = 2 if self.bidirectional else 1
            feeds["h0"] = (0.5 * rng.standard_normal((self.layers * d, self.b, self.h))).astype(np.float32)
        return feeds

    def reference(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """nn.RNN in numpy (float64)."""
        f = np.tanh if self.activation == "Tanh" else (lambda v: np.maximum(v, 0.0))
        x = feeds["x"].astype(np.float64)
        finals = []
        for layer, directions in enumerate(self.weights):
            ys = []
            for d, w in enumerate(directions):
                index = 2 * layer + d if self.bidirectional else layer
                h = feeds["h0"][index].astype(np.float64) if self.h0_input else np.zeros((self.b, self.h))
                bias = (w.b_ih + w.b_hh) if w.b_ih is not None else 0.0
                y = np.zeros((self.t, self.b, self.h))
                for s in reversed(range(self.t)) if d == 1 else range(self.t):
                    h = f(x[s] @ w.w_ih.T + h @ w.w_hh.T + bias)
                    y[s] = h
                ys.append(y)
                finals.append(h)
            x = np.concatenate(ys, axis=2)
        return {"out": x, "h_n": np.stack(finals)}


def _rename(model: onnx.ModelProto) -> None:
    """Give every node and intermediate tensor an unrelated name."""
    keep = {vi.name for vi in (*model.graph.input, *model.graph.output)}
    names: dict[str, str] = {}
    rng = random.Random(2)

    def new(name: str) -> str:
        if name in keep or not name:
            return name
        return names.setdefault(name, f"t{rng.randrange(10**9)}_{len(names)}")

    for node in model.graph.node:
        node.name = f"n{rng.randrange(10**9)}"
        node.input[:] = [new(n) for n in node.input]
        node.output[:] = [new(n) for n in node.output]
    for tensor in model.graph.initializer:
        tensor.name = new(tensor.name)


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds), strict=True))


def rnn_ops(model: onnx.ModelProto) -> list[RNNOp]:
    module = import_onnx(model.SerializeToString())
    return [op for op in module.walk() if isinstance(op, RNNOp)]


def import_error(model: onnx.ModelProto) -> str:
    with pytest.raises(FrontendError) as info:
        import_onnx(model.SerializeToString(), origin="model.onnx")
    return str(info.value)


CASES = {
    "tanh-2layer": Unrolled(),
    "relu-1layer": Unrolled(activation="Relu", layers=1, seed=1),
    "no-bias": Unrolled(bias=False, seed=2),
    "per-step-copies": Unrolled(copies=True, seed=3),
    "h0-input": Unrolled(h0_input=True, activation="Relu", seed=4),
    "bidirectional": Unrolled(bidirectional=True, seed=5),
    "bidirectional-h0": Unrolled(bidirectional=True, h0_input=True, layers=1, seed=6),
    "one-step": Unrolled(t=1, seed=7),
    "one-step-bidirectional": Unrolled(t=1, bidirectional=True, layers=1, seed=8),
    "batch-1-3layer": Unrolled(b=1, layers=3, t=3, seed=9),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_builder_is_nn_rnn(case: Unrolled):
    feeds = case.feeds()
    got, want = ort_run(case.model(), feeds), case.reference(feeds)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_layer_becomes_one_rnn_with_the_layer_weights(case: Unrolled):
    ops = rnn_ops(case.model())
    # Two directions meet in one bidirectional op, except at T = 1 where no Concat builds Y.
    paired = case.bidirectional and case.t > 1
    per_layer = 1 if paired or not case.bidirectional else 2
    assert len(ops) == case.layers * per_layer
    for index, op in enumerate(ops):
        directions = case.weights[index // per_layer]
        if not paired:
            directions = [directions[index % per_layer]]
        expected_direction = "bidirectional" if paired else ("reverse" if index % per_layer else "forward")
        assert op.direction.data.value == expected_direction
        assert op.hidden_size.value.data == case.h
        assert [a.data for a in op.activations] == [case.activation] * len(directions)
        assert op.initial_h is None if not case.h0_input else op.initial_h is not None
        w, r = constant_array(op.W), constant_array(op.R)
        assert w is not None and np.array_equal(w, np.stack([d.w_ih for d in directions]))
        expected_r = np.stack([d.w_hh for d in directions])
        if case.t == 1 and not case.h0_input:  # no step reads R: it is never known, and unused
            expected_r = np.zeros_like(expected_r)
        assert r is not None and np.array_equal(r, expected_r)
        if not case.bias:
            assert op.B is None
            continue
        b = constant_array(op.B)
        expected = np.stack([np.concatenate([d.b_ih, d.b_hh]) for d in directions])
        assert b is not None and np.array_equal(b, expected)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_compiled_model_computes_what_onnxruntime_computes(case: Unrolled, tmp_path: Path):
    from sharp_compiler.api import compile_onnx
    from sharp_compiler.sim import load, simulate

    model = case.model()
    path = tmp_path / "unrolled.onnx"
    onnx.save_model(model, str(path))
    feeds = case.feeds()
    got = simulate(load(compile_onnx(path, precision="fp32").binary), feeds, check_hazards=True).outputs
    want = ort_run(model, feeds)
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(np.asarray(got[name]), want[name], rtol=1e-4, atol=1e-5)


def test_node_order_and_names_do_not_matter():
    case = Unrolled(bidirectional=True, h0_input=True, copies=True, seed=10)
    plain = rnn_ops(case.model())
    shuffled = rnn_ops(case.model(shuffle=True, rename=True))
    assert len(plain) == len(shuffled) == 2
    for a, b in zip(plain, shuffled, strict=True):
        for operand in ("W", "R", "B"):
            assert np.array_equal(constant_array(getattr(a, operand)), constant_array(getattr(b, operand)))


def test_the_glue_is_what_torchscript_writes():
    """Y -> Reshape to [T, B, H] (Transpose + Reshape when bidirectional); h_n = Concat of the Y_h."""
    module = import_onnx(Unrolled(bidirectional=True).model().SerializeToString())
    kinds = [type(op) for op in module.walk() if isinstance(op, RNNOp | ReshapeOp | TransposeOp | ConcatOp)]
    assert kinds == [RNNOp, TransposeOp, ReshapeOp, RNNOp, TransposeOp, ReshapeOp, ConcatOp]
    rnns = [op for op in module.walk() if isinstance(op, RNNOp)]
    h_n = [op for op in module.walk() if isinstance(op, ConcatOp)][0]
    assert list(h_n.inputs) == [op.Y_h for op in rnns]


BROKEN = {
    "differing-weight-copy": Unrolled(copies=True, differing_copy=True),
    "nonzero-initial-state": Unrolled(nonzero_start=True),
    "differing-b_hh": Unrolled(differing_b_hh=True),
    "mixed-activations": Unrolled(mixed_activation=True),
    "intermediate-state-used": Unrolled(extra_state_output=True),
    "wrong-step-slice": Unrolled(wrong_step_slice=True),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_anything_else_falls_back_to_the_unsupported_node_error(case: Unrolled):
    model = case.model()
    message = import_error(model)
    assert message.startswith("model.onnx: unsupported ONNX node(s): Add 'node_Add_")
    assert "(Add is only supported as a constant bias after MatMul or Gemm)" in message
