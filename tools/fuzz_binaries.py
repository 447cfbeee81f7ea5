"""The fuzz campaign: mutated `.sbin` binaries, tried as an attacker would, must end in one line or a result.

    python tools/fuzz_binaries.py --cases 5000 [--jobs 2] [--timeout 60] [--memory-mib 3072]
                                  [--seed 0] [--save DIR]

Four seed models (LSTM, bidirectional GRU, RNN with attributes, embedding + LSTM + linear head)
are compiled once; each case decodes one seed into its `Program`, applies 1-3 field-aware
mutations (an instruction's opcode, tokens, flags, operands or immediate, including loop trip
counts; any field of a view, DMA or copy descriptor, parameter, tensor, region, layer or
debug entry; any field of the embedded hardware configuration, with extreme numbers; raw
section bytes; non-canonical JSON or padding) and re-encodes it with the checksum and the
configuration fingerprint recomputed, so that the corruption reaches the validator instead of
the checksum test. Cases run in worker processes (`--worker`), each under an address-space
limit, and are timed by the parent (a case over `--timeout` seconds is a hang; the worker is
replaced). The report counts:

- crashes: an exception other than `SharpBinaryError`/`SimError` (or a dead worker),
- hangs: cases over the timeout,
- big allocations: cases whose worker's peak RSS passed 1 GiB (or that hit the memory limit),
- multi-line rejections: error messages with a newline (or without the file's name),

and writes every such case's binary under `--save` for a regression test. Case `n` is
reproducible from `--seed` alone (`random.Random(seed * 1_000_003 + n)`).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import resource
import select
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("lstm_small.onnx", "gru_bidir.onnx", "rnn_attrs.onnx", "lm_head.onnx")
INPUTS = ROOT / "tests" / "filecheck" / "Inputs"
ORIGIN = "fuzz.sbin"
BIG_RSS = 1 << 30
MAX_INPUT_ELEMENTS = 1 << 22
TABLES = ("instructions", "views", "dmas", "copies", "params", "tensors", "regions", "layers", "debug")
INT_EDGES = (0, 1, 2, 3, -1, -2, 7, 8, 64, 0xFF, 0xFFFE, 0xFFFF, 1 << 16, 1 << 20, 2**31 - 1, -(2**31),
             2**32 - 1, 2**32, 2**40, 2**63, 10**30)  # fmt: skip
FLOAT_EDGES = (0.0, -0.0, 1e-300, 5e-324, -1.0, 1e308, 1.7976931348623157e308, 1e5, 65520.0, float("nan"),
               float("inf"), -float("inf"))  # fmt: skip


# =============================================================================
# mutators (deterministic given the rng)
# =============================================================================


def _int_value(rng: random.Random, old: int) -> int:
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(INT_EDGES)
    if choice < 0.8:
        return old + rng.choice((-2, -1, 1, 2, old, -old))
    return rng.randrange(-(2**33), 2**33)


def _float_value(rng: random.Random, old: float) -> float:
    return rng.choice(FLOAT_EDGES) if rng.random() < 0.7 else old * rng.choice((-1.0, 2.0, 1e10, 1e-10))


def _mutate_value(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return _int_value(rng, value)
    if isinstance(value, float):
        return _float_value(rng, value)
    if isinstance(value, tuple):
        items = list(value)
        if items and rng.random() < 0.8:
            k = rng.randrange(len(items))
            items[k] = _mutate_value(rng, items[k])
        elif rng.random() < 0.5:
            items.append(rng.choice(INT_EDGES))
        elif items:
            items.pop()
        return tuple(items)
    if isinstance(value, str):
        return rng.choice(("", "x", value + "\n", value * 2, "float64", "output", "const", "input", "vmem"))
    return value


def mutate_table(program: Any, rng: random.Random) -> str:
    """Change one field of one entry of one table (opcodes become other opcodes)."""
    from sharp_compiler.isa.program import Space, TensorKind
    from sharp_compiler.isa.spec import Opcode

    tables = [t for t in TABLES if getattr(program, t)]
    table = rng.choice(tables)
    entries = getattr(program, table)
    index = rng.randrange(len(entries))
    entry = entries[index]
    field = rng.choice([f.name for f in dataclasses.fields(entry)])
    value = getattr(entry, field)
    if field == "opcode":
        new: Any = Opcode(rng.randrange(len(Opcode)))
    elif field in ("pop", "push"):
        new = rng.randrange(16)
    elif field == "kind" and table == "tensors":
        new = TensorKind(rng.randrange(len(TensorKind)))
    elif field == "space":
        new = Space(1 - int(value))
    elif table == "instructions" and field == "imm" and entry.opcode == Opcode.LOOP:
        new = rng.choice((1, max(1, value // 2), value - 1 or 1, value + 1, 2**20, 2**32 - 1))
    else:
        new = _mutate_value(rng, value)
    entries[index] = dataclasses.replace(entry, **{field: new})
    return f"{table}[{index}].{field}"


def mutate_code(program: Any, rng: random.Random) -> str:
    """Structural code edits: delete, duplicate, swap or insert instructions, empty loops."""
    from sharp_compiler.isa.program import Instruction
    from sharp_compiler.isa.spec import Opcode

    code = program.instructions
    pc = rng.randrange(len(code))
    kind = rng.choice(("delete", "duplicate", "swap", "empty-loop", "nested-loops"))
    if kind == "delete":
        del code[pc]
    elif kind == "duplicate":
        code.insert(pc, code[pc])
    elif kind == "swap" and len(code) > 1:
        other = rng.randrange(len(code))
        code[pc], code[other] = code[other], code[pc]
    elif kind == "empty-loop":
        code[pc:pc] = [Instruction(Opcode.LOOP, imm=2**32 - 1), Instruction(Opcode.ENDLOOP)]
    else:
        body = [Instruction(Opcode.LOOP, imm=65536)] * 3 + [code[pc]] + [Instruction(Opcode.ENDLOOP)] * 3
        code[pc : pc + 1] = body
    return f"code.{kind}@{pc}"


def mutate_config(config: dict[str, Any], rng: random.Random) -> str:
    key = rng.choice(sorted(config))
    value = config[key]
    if key in ("tile_shapes", "default_tile"):
        config[key] = rng.choice(
            ([[0, 8]], [[1, 1]], [65536, 1], [[8, 8]], [], [[2**20, 2**20]], [[8, 8], [8, 8]])
        )
    else:
        config[key] = _mutate_value(rng, value)
    return f"config.{key}"


def build(program: Any, config: dict[str, Any], rng: random.Random, raw_edit: bool) -> tuple[bytes, str]:
    """Encode with a valid checksum and the fingerprint the decoder will compute; maybe edit raw bytes."""
    from sharp_compiler.isa import binary

    config_text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    sections = binary.program_sections(program, config_text, "<fuzz>")
    note = ""
    if raw_edit:
        kind = rng.choice(list(sections))
        payload = bytearray(sections[kind])
        edit = rng.choice(("flip", "truncate", "append", "json-space"))
        if edit == "flip" and payload:
            payload[rng.randrange(len(payload))] = rng.randrange(256)
        elif edit == "truncate" and payload:
            del payload[rng.randrange(len(payload)) :]
        elif edit == "append":
            payload += bytes(rng.randrange(1, 9))
        elif payload[:1] in (b"[", b"{"):
            payload = bytearray(json.dumps(json.loads(payload.decode()), indent=1).encode())
        sections[kind] = bytes(payload)
        note = f" raw.{edit}@{kind.name}"
    fingerprint = hashlib.blake2b(config_text.encode(), digest_size=16).digest()
    flags = binary.FLAG_FP32 if program.precision == "fp32" else 0
    return binary.pack_sections(sections, flags=flags, fingerprint=fingerprint), note


def make_case(seed_bytes: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One hostile binary derived from a valid seed, and a note saying what was changed.

    Mutations whose values do not fit their binary fields (a u16 operand of 2^20) are drawn
    again, up to 8 times; the last resort is a raw section edit of the seed.
    """
    from sharp_compiler.isa import binary

    for _attempt in range(8):
        program = binary.decode(seed_bytes)
        config = json.loads(program.config_json)
        notes = []
        for _ in range(rng.randint(1, 3)):
            choice = rng.random()
            if choice < 0.65:
                notes.append(mutate_table(program, rng))
            elif choice < 0.8:
                notes.append(mutate_code(program, rng))
            else:
                notes.append(mutate_config(config, rng))
        try:
            data, raw = build(program, config, rng, raw_edit=rng.random() < 0.15)
        except (
            binary.SharpBinaryError,
            ValueError,
            OverflowError,
            TypeError,
        ):  # a value its field cannot hold
            continue
        return data, " ".join(notes) + raw
    program = binary.decode(seed_bytes)
    data, raw = build(program, json.loads(program.config_json), rng, raw_edit=True)
    return data, raw.strip()


# =============================================================================
# running one case
# =============================================================================


def inputs_for(program: Any, rng: random.Random) -> dict[str, Any] | None:
    """Random inputs of the declared shapes (sequence lengths within the seeds' steps); None if too big."""
    import math

    import numpy as np

    out: dict[str, Any] = {}
    gen = np.random.default_rng(rng.randrange(2**32))
    for t in program.inputs():
        if math.prod(t.shape) > MAX_INPUT_ELEMENTS:
            return None
        if t.dtype.startswith("float"):
            out[t.name] = gen.standard_normal(t.shape).astype(t.dtype) * rng.choice((1.0, 1.0, 1e5))
        else:
            out[t.name] = gen.integers(0, 4, t.shape).astype(t.dtype)
    return out


def run_case(data: bytes, rng: random.Random) -> tuple[str, str]:
    """(outcome, message): outcome is rejected | sim-rejected | ran | skipped | crash | bad-message."""
    from sharp_compiler import sim
    from sharp_compiler.isa import binary

    try:
        program = binary.decode(data, ORIGIN)
    except sim.SharpBinaryError as err:
        return _rejection("rejected", str(err), ORIGIN)
    inputs = inputs_for(program, rng)
    if inputs is None:
        return "skipped", "inputs over the harness's size limit"
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim.simulate(program, inputs, check_hazards=rng.random() < 0.7, trace=rng.random() < 0.2,
                         timing=rng.choice(("fast", "fast", "tile")))  # fmt: skip
    except sim.SimError as err:
        return _rejection("sim-rejected", str(err), None)
    return "ran", ""


def _rejection(outcome: str, message: str, origin: str | None) -> tuple[str, str]:
    if "\n" in message or (origin is not None and not message.startswith(f"{origin}: ")):
        return "bad-message", message
    return outcome, message


def worker(seed_dir: Path, memory_mib: int) -> None:
    """Read case numbers and seed indexes from stdin, answer one JSON line per case on stdout."""
    limit = memory_mib << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    seeds = [p.read_bytes() for p in sorted(seed_dir.glob("*.sbin"))]
    for line in sys.stdin:
        request = json.loads(line)
        rng = random.Random(request["rng"])
        data, note = make_case(seeds[request["seed"]], rng)
        start = time.perf_counter()
        try:
            outcome, message = run_case(data, rng)
        except MemoryError:
            outcome, message = "memory", "MemoryError"
        except Exception as err:  # noqa: BLE001 — a crash is what the campaign looks for
            outcome, message = "crash", f"{type(err).__name__}: {err}"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
        answer = {"outcome": outcome, "message": message[:300], "note": note, "seconds": time.perf_counter() - start,
                  "rss": rss}  # fmt: skip
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


# =============================================================================
# the campaign
# =============================================================================


def compile_seeds(directory: Path) -> list[Path]:
    from sharp_compiler.api import compile_onnx

    paths = []
    for n, name in enumerate(SEEDS):
        precision = "fp16" if n % 2 else "fp32"
        binary = compile_onnx(INPUTS / name, precision=precision).binary
        path = directory / f"{n}-{Path(name).stem}.sbin"
        path.write_bytes(binary)
        paths.append(path)
    return paths


class Worker:
    def __init__(self, seed_dir: Path, memory_mib: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(seed_dir), "--memory-mib", str(memory_mib)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            env=dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"),
        )  # fmt: skip
        self.case: int | None = None
        self.started = 0.0

    def send(self, case: int, seed: int, rng_seed: int) -> None:
        assert self.proc.stdin is not None
        self.case, self.started = case, time.perf_counter()
        self.proc.stdin.write(json.dumps({"seed": seed, "rng": rng_seed}) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def campaign(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        seed_dir = Path(tmp)
        seeds = compile_seeds(seed_dir)
        seed_bytes = [p.read_bytes() for p in seeds]
        outcomes: Counter[str] = Counter()
        classes: Counter[str] = Counter()
        findings: list[dict[str, Any]] = []
        max_rss, slowest = 0, 0.0
        pending = list(range(args.cases))
        workers = [Worker(seed_dir, args.memory_mib) for _ in range(args.jobs)]
        idle = list(workers)
        busy: dict[int, Worker] = {}
        start = time.perf_counter()

        def spec(case: int) -> tuple[int, int]:
            return case % len(seeds), args.seed * 1_000_003 + case

        def record(case: int, outcome: str, message: str, note: str) -> None:
            outcomes[outcome] += 1
            if outcome in ("crash", "hang", "memory", "big-rss", "bad-message"):
                seed, rng_seed = spec(case)
                findings.append({"case": case, "seed": SEEDS[seed], "outcome": outcome, "message": message,
                                 "note": note})  # fmt: skip
                if args.save:
                    data, _ = make_case(seed_bytes[seed], random.Random(rng_seed))
                    Path(args.save).mkdir(parents=True, exist_ok=True)
                    (Path(args.save) / f"case{case}-{outcome}.sbin").write_bytes(data)

        while pending or busy:
            while pending and idle:
                w = idle.pop()
                case = pending.pop(0)
                w.send(case, *spec(case))
                busy[w.proc.stdout.fileno()] = w  # type: ignore[union-attr]
            ready, _, _ = select.select(list(busy), [], [], 1.0)
            now = time.perf_counter()
            for fd in ready:
                w = busy.pop(fd)
                line = w.proc.stdout.readline()  # type: ignore[union-attr]
                assert w.case is not None
                if not line:
                    record(w.case, "crash", f"worker died (exit {w.proc.wait()})", "")
                    workers[workers.index(w)] = w = Worker(seed_dir, args.memory_mib)
                    idle.append(w)
                    continue
                answer = json.loads(line)
                outcome = answer["outcome"]
                if answer["rss"] > BIG_RSS and outcome not in ("crash", "memory"):
                    outcome = "big-rss"
                record(w.case, outcome, answer["message"], answer["note"])
                if outcome in ("rejected", "sim-rejected"):
                    classes[_message_class(answer["message"])] += 1
                max_rss = max(max_rss, answer["rss"])
                slowest = max(slowest, answer["seconds"])
                if outcome in ("big-rss", "memory", "crash"):  # a fresh worker: reset the RSS high-water mark
                    w.kill()
                    workers[workers.index(w)] = w = Worker(seed_dir, args.memory_mib)
                idle.append(w)
            for fd, w in list(busy.items()):
                if now - w.started > args.timeout:
                    assert w.case is not None
                    record(w.case, "hang", f"over {args.timeout} s", "")
                    busy.pop(fd)
                    w.kill()
                    workers[workers.index(w)] = fresh = Worker(seed_dir, args.memory_mib)
                    idle.append(fresh)
            done = sum(outcomes.values())
            if args.progress and done and done % 500 == 0 and ready:
                print(f"... {done} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        for w in workers:
            w.kill()
    elapsed = time.perf_counter() - start
    report(args, outcomes, classes, findings, max_rss, slowest, elapsed)
    bad = sum(outcomes[k] for k in ("crash", "hang", "memory", "big-rss", "bad-message"))
    return 1 if bad else 0


def _message_class(message: str) -> str:
    """A rejection's class: its words with the numbers and names removed (for the histogram)."""
    text = message.split(": ", 1)[1] if message.startswith(f"{ORIGIN}: ") else message
    words = [
        w for w in text.replace(",", " ").split()[:6] if not any(c.isdigit() for c in w) and "'" not in w
    ]
    return " ".join(words)


def report(args: argparse.Namespace, outcomes: Counter[str], classes: Counter[str],
           findings: list[dict[str, Any]], max_rss: int, slowest: float, elapsed: float) -> None:  # fmt: skip
    total = sum(outcomes.values())
    print(f"fuzz_binaries: {total} cases (seed {args.seed}, {args.jobs} workers, {elapsed:.0f} s, "
          f"timeout {args.timeout} s, address space {args.memory_mib} MiB)")  # fmt: skip
    print(f"  rejected at decode {outcomes['rejected']}, rejected by the simulator {outcomes['sim-rejected']}, "
          f"ran {outcomes['ran']}, skipped (inputs > {MAX_INPUT_ELEMENTS} elements) {outcomes['skipped']}")  # fmt: skip
    print(f"  crashes {outcomes['crash']}, hangs {outcomes['hang']}, allocations over 1 GiB "
          f"{outcomes['big-rss'] + outcomes['memory']}, rejections not one line {outcomes['bad-message']}")  # fmt: skip
    print(f"  max worker RSS {max_rss / 2**20:.0f} MiB, slowest case {slowest:.2f} s")
    print("  most frequent rejections:")
    for text, count in classes.most_common(args.top):
        print(f"    {count:6d}  {text}")
    for f in findings[:50]:
        print(f"  FINDING case {f['case']} ({f['seed']}, {f['note']}): {f['outcome']}: {f['message']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per case before it counts as a hang"
    )
    parser.add_argument("--memory-mib", type=int, default=3072, help="address-space limit of a worker")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", metavar="DIR", help="write each finding's binary here")
    parser.add_argument("--top", type=int, default=12, help="rejection classes to list")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--worker", metavar="SEED_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker), args.memory_mib)
        return 0
    return campaign(args)


if __name__ == "__main__":
    sys.exit(main())
