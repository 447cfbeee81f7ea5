"""The assembly listing of a `Program`: its tables, then one line per instruction.

`sharp-translate --listing` and `sharp-opt -t sharp-listing` print it. Deterministic: the
same `Program` gives the same text; an operand index outside its table prints as ``?N``.
"""

from __future__ import annotations

import struct

from sharp_compiler.isa import spec
from sharp_compiler.isa.binary import VERSION
from sharp_compiler.isa.program import CopyDesc, DmaDesc, Instruction, Program, Space, TensorKind, View
from sharp_compiler.isa.spec import ActFn, Flag, Opcode, OperandKind
from sharp_compiler.isa.validate import OPERAND_TABLES, f32_from_bits, try_config


def format_listing(program: Program) -> str:
    """A deterministic, human-readable assembly listing: tables, then one line per instruction."""
    return _Lister(program).render()


def format_f32(value: float) -> str:
    """Shortest decimal that reads back as the same float32."""
    target = struct.pack("<f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == target:
            return text if any(ch in text for ch in ".eni") else text + ".0"
    return repr(value)


def _tokens_text(mask: int) -> str:
    return ",".join(u.name.lower() for u in spec.TOKEN_UNITS if mask & (1 << u))


class _Lister:
    def __init__(self, program: Program) -> None:
        self.p = program

    def render(self) -> str:
        lines = self.header() + self.tables() + [""] + self.code()
        return "\n".join(lines) + "\n"

    def header(self) -> list[str]:
        p = self.p
        name, fingerprint = "?", "?"
        cfg = try_config(p.config_json)
        if cfg is not None:
            name, fingerprint = cfg.name, cfg.fingerprint().hex()
        return [
            f"; SHARP binary {VERSION[0]}.{VERSION[1]}, precision {p.precision}",
            f"; config {name}, fingerprint {fingerprint}",
            f"; {len(p.instructions)} instructions, {len(p.constants)} constant bytes",
        ]

    def tables(self) -> list[str]:
        p = self.p
        out = ["; tensors:"]
        for i, t in enumerate(p.tensors):
            kind = TensorKind(t.kind).name.lower() if t.kind in TensorKind._value2member_map_ else "?"
            data = f"  const[{t.data_offset}:+{t.data_size}]" if t.kind == TensorKind.CONST else ""
            out.append(f";   {i:>3}  ${t.name}  {kind} {t.dtype}{list(t.shape)}{data}")
        out.append("; regions:")
        for i, r in enumerate(p.regions):
            out.append(
                f";   {i:>3}  {self.region_name(i)}  {Space(r.space).name.lower()} [{r.rows} x {r.cols}] base {r.base}"
            )
        out.append("; params:")
        for i in range(len(p.params)):
            out.append(f";   {i:>3}  {self.param_text(i)}")
        out.append("; layers:")
        for x in p.layers:
            out.append(
                f';   {x.name}  {x.kind}  node "{x.onnx_node}"  pc [{x.pc_begin}, {x.pc_end})'
                f"  tile {x.tile[0]}x{x.tile[1]}  macs {x.macs}"
            )
        out.append("; debug:")
        for e in p.debug:
            out.append(f';   pc [{e.pc_begin}, {e.pc_end})  "{e.onnx_node}"')
        return out

    def code(self) -> list[str]:
        out: list[str] = []
        starts: dict[int, list[str]] = {}
        for x in self.p.layers:
            starts.setdefault(x.pc_begin, []).append(x.name)
        depth = 0
        for pc, ins in enumerate(self.p.instructions):
            for name in starts.get(pc, []):
                out.append(f"; layer {name}")
            if ins.opcode == Opcode.ENDLOOP:
                depth = max(0, depth - 1)
            out.append(f"{pc:>6}: {'  ' * depth}{self.instruction(ins)}")
            if ins.opcode == Opcode.LOOP:
                depth += 1
        return out

    def instruction(self, ins: Instruction) -> str:
        if ins.opcode not in Opcode._value2member_map_:
            return f"<unknown opcode {ins.opcode}>"
        op = Opcode(ins.opcode)
        parts = [self.operand_text(op, ins)]
        flag_words = []
        if ins.flags & Flag.ACCUMULATE and op == Opcode.MVM:
            flag_words.append("acc")
        if ins.flags & Flag.REVERSE and op in (Opcode.LOAD, Opcode.STORE):
            flag_words.append("rev")
        if ins.flags & Flag.LOG and op == Opcode.SOFTMAX:
            flag_words.append("log")
        text = spec.OPS[op].mnemonic + (" " + parts[0] if parts[0] else "")
        if flag_words:
            text += " " + " ".join(flag_words)
        tokens = []
        if ins.pop:
            tokens.append(f"pop({_tokens_text(ins.pop)})")
        if ins.push:
            tokens.append(f"push({_tokens_text(ins.push)})")
        if tokens:
            text += "  " + " ".join(tokens)
        return text

    def operand_text(self, op: Opcode, ins: Instruction) -> str:
        if op == Opcode.NOP:
            return spec.nop_unit(ins.flags).name.lower()
        if op == Opcode.LOOP:
            return str(ins.imm)
        if op == Opcode.CFGTILE:
            return "{}x{}".format(*spec.unpack_tile(ins.imm))
        reverse = bool(ins.flags & Flag.REVERSE)
        texts = []
        for slot, kind in zip("abcd", spec.OPS[op].operands, strict=True):
            if kind != OperandKind.NONE:
                texts.append(self.ref(kind, getattr(ins, slot), reverse))
        if op in (Opcode.VFILL, Opcode.LAYERNORM):
            texts.append(format_f32(f32_from_bits(ins.imm)))
        return ", ".join(texts)

    def ref(self, kind: OperandKind, index: int, reverse: bool) -> str:
        table = getattr(self.p, OPERAND_TABLES[kind])
        if index >= len(table):
            return f"?{index}"
        if kind in (OperandKind.VIEW_R, OperandKind.VIEW_W, OperandKind.WVIEW_R, OperandKind.WVIEW_W):
            return self.view_text(table[index])
        if kind in (OperandKind.DMA_R, OperandKind.DMA_W):
            return self.dma_text(table[index], reverse)
        if kind == OperandKind.COPY:
            return self.copy_text(table[index])
        return self.param_text(index)

    def region_name(self, index: int) -> str:
        if index >= len(self.p.regions):
            return f"%?{index}"
        region = self.p.regions[index]
        return ("@" if region.space == Space.WMEM else "%") + region.name

    def tensor_name(self, index: int) -> str:
        return f"${self.p.tensors[index].name}" if 0 <= index < len(self.p.tensors) else f"$?{index}"

    def view_text(self, v: View) -> str:
        step = f" {v.row_step:+d}/iter" if v.row_step else ""
        return f"{self.region_name(v.region)}[{v.row0}:{v.row0 + v.nrows}{step}, {v.col0}:{v.col0 + v.ncols}]"

    def dma_text(self, d: DmaDesc, reverse: bool) -> str:
        terms = [str(d.base)]
        if d.row_stride:
            terms.append(f"{d.row_stride}*r")
        if d.step_stride:
            terms.append(f"{d.step_stride}*{'(L-1-i)' if reverse else 'i'}")
        lens = f", lens {self.tensor_name(d.lens)}" if d.lens >= 0 else ""
        return f"{self.tensor_name(d.tensor)}{{{' + '.join(terms)} : {d.nrows}x{d.ncols}{lens}}}"

    def copy_text(self, c: CopyDesc) -> str:
        def side(tensor: int, base: int, strides: tuple[int, ...]) -> str:
            return f"{self.tensor_name(tensor)}{{{base} + k.({','.join(map(str, strides))})}}"

        sizes = ",".join(map(str, c.sizes))
        return f"{side(c.dst, c.dst_base, c.dst_strides)} <- {side(c.src, c.src_base, c.src_strides)}, k < ({sizes})"

    def param_text(self, index: int) -> str:
        a = self.p.params[index]
        name = ActFn(a.fn).name.lower() if a.fn in ActFn._value2member_map_ else f"fn{a.fn}"
        args = (
            []
            if a.alpha == 0.0 and a.beta == 0.0
            else [f"alpha={float(a.alpha)!r}", f"beta={float(a.beta)!r}"]
        )
        text = name + (f"({', '.join(args)})" if args else "")
        if a.clip is not None:
            text += f" clip={float(a.clip)!r}"
        return text
