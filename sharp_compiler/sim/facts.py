"""Static facts about each instruction: its unit, tokens, cost, traffic and buffer accesses.

Computed once per program so that the per-iteration loop only looks them up.
Costs come from `hw.cost_model` (the one cost model); traffic and operation
counts follow the definitions in ``docs/simulator.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import WORD_BYTES, HwConfig, TileShape
from sharp_compiler.isa import spec
from sharp_compiler.isa.program import DTYPE_SIZES, Instruction, Program
from sharp_compiler.isa.spec import Flag, Opcode, OperandKind, Unit

WORD = WORD_BYTES  # bytes of one vector-buffer word (fp32)


@dataclass(frozen=True, slots=True)
class Traffic:
    """Bytes one execution of an instruction moves."""

    dram_read: int = 0
    dram_write: int = 0
    vector_read: int = 0
    vector_write: int = 0
    weight_read: int = 0
    weight_write: int = 0


@dataclass(frozen=True, slots=True)
class Facts:
    op: Opcode
    unit: Unit
    pops: tuple[int, ...]  # source units of the queues it pops
    pushes: tuple[int, ...]  # destination units of the queues it pushes
    cost: cost_model.Cost  # occupancy + latency; for MVM, see `mvm` (the tile decides)
    mvm: tuple[int, int, int] | None  # (M, K, n) of an MVM
    traffic: Traffic
    act_ops: int
    cell_ops: int
    reads: tuple[int, ...]  # view indices read
    writes: tuple[int, ...]  # view indices written
    tile: TileShape | None = None  # the geometry a CFGTILE configures
    dram_reads: tuple[int, ...] = ()  # DRAM tensors read (DMA instructions)
    dram_writes: tuple[int, ...] = ()  # DRAM tensors written

    @property
    def cycles(self) -> int:
        """Occupancy plus latency: the duration of the instruction alone."""
        return self.cost.cycles


def _mask_units(mask: int) -> tuple[int, ...]:
    return tuple(int(u) for u in spec.TOKEN_UNITS if mask & (1 << u))


def instruction_facts(program: Program, cfg: HwConfig) -> list[Facts]:
    return [_facts(program, cfg, ins) for ins in program.instructions]


def _facts(p: Program, cfg: HwConfig, ins: Instruction) -> Facts:
    op = Opcode(ins.opcode)
    unit = spec.instruction_unit(op, ins.flags)
    kinds = spec.OPS[op].operands
    slots = (ins.a, ins.b, ins.c, ins.d)
    reads = tuple(
        s for s, k in zip(slots, kinds, strict=True) if k in (OperandKind.VIEW_R, OperandKind.WVIEW_R)
    )
    writes = tuple(
        s for s, k in zip(slots, kinds, strict=True) if k in (OperandKind.VIEW_W, OperandKind.WVIEW_W)
    )

    def elements(view: int) -> int:
        v = p.views[view]
        return v.nrows * v.ncols

    def dma_bytes(dma: int, elems: int | None = None) -> int:
        d = p.dmas[dma]
        n = d.nrows * d.ncols if elems is None else elems
        return n * DTYPE_SIZES[p.tensors[d.tensor].dtype]

    wbytes = cfg.weight_bytes_per_element(p.precision)
    read_bytes = sum(elements(v) for v in reads) * WORD
    cost, mvm, act_ops, cell_ops = cost_model.Cost(0, 0), None, 0, 0
    tile: TileShape | None = None
    traffic = Traffic()
    dram_reads: tuple[int, ...] = ()
    dram_writes: tuple[int, ...] = ()
    if op == Opcode.NOP:
        pass
    elif op in (Opcode.LOAD, Opcode.STORE):
        dma = ins.b if op == Opcode.LOAD else ins.a
        nbytes = dma_bytes(dma)
        cost = cost_model.dram_cost(cfg, nbytes)
        d = p.dmas[dma]
        lens = (d.lens,) if d.lens >= 0 else ()
        if op == Opcode.LOAD:
            traffic = Traffic(dram_read=nbytes, vector_write=elements(ins.a) * WORD)
            dram_reads = (d.tensor, *lens)
        else:
            traffic = Traffic(dram_write=nbytes, vector_read=read_bytes)
            dram_reads, dram_writes = lens, (d.tensor,)
    elif op == Opcode.LOADW:
        nbytes = elements(ins.a) * wbytes
        cost = cost_model.dram_cost(cfg, nbytes)
        traffic = Traffic(dram_read=nbytes, weight_write=nbytes)
        dram_reads = (p.dmas[ins.b].tensor,)
    elif op == Opcode.GATHER:
        nbytes = dma_bytes(ins.c, elements(ins.a))
        cost = cost_model.dram_cost(cfg, nbytes)
        traffic = Traffic(dram_read=nbytes, vector_read=read_bytes, vector_write=elements(ins.a) * WORD)
        dram_reads = (p.dmas[ins.c].tensor,)
    elif op == Opcode.DCOPY:
        c = p.copies[ins.a]
        nbytes = c.sizes[0] * c.sizes[1] * c.sizes[2] * c.sizes[3] * DTYPE_SIZES[p.tensors[c.src].dtype]
        cost = cost_model.dram_cost(cfg, nbytes)
        traffic = Traffic(dram_read=nbytes, dram_write=nbytes)
        dram_reads, dram_writes = (c.src,), (c.dst,)
    elif op == Opcode.MOVE:
        cost = cost_model.onchip_move_cost(cfg, elements(ins.a) * WORD)
        traffic = Traffic(vector_read=read_bytes, vector_write=elements(ins.a) * WORD)
    elif op == Opcode.MVM:
        dst, src = p.views[ins.a], p.views[ins.b]
        m, k, n = dst.ncols, src.ncols, dst.nrows
        mvm = (m, k, n)
        acc = n * m * WORD if ins.flags & Flag.ACCUMULATE else 0
        traffic = Traffic(
            vector_read=n * k * WORD + acc, vector_write=n * m * WORD, weight_read=m * k * n * wbytes
        )
    elif op == Opcode.CFGTILE:
        cost = cost_model.reconfig_cost(cfg)
        tile = spec.unpack_tile(ins.imm)
    elif unit == Unit.ACT:
        act_ops = elements(ins.a)
        cost = cost_model.act_cost(cfg, act_ops)
        traffic = Traffic(vector_read=read_bytes, vector_write=act_ops * WORD)
    elif unit == Unit.CELL:
        cell_ops = elements(ins.a)
        cost = cost_model.cell_cost(cfg, cell_ops)
        traffic = Traffic(vector_read=read_bytes, vector_write=cell_ops * WORD)
    return Facts(op, unit, _mask_units(ins.pop), _mask_units(ins.push), cost, mvm, traffic,
                 act_ops, cell_ops, reads, writes, tile, dram_reads, dram_writes)  # fmt: skip
