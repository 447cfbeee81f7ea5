"""Write a hostile variant of a compiled binary (checksum and fingerprint recomputed) for the lit tests.

python hostile.py KIND IN.sbin OUT.sbin     KIND: trip | store-move | trailing | empty-loop | latency
"""

import hashlib
import json
import sys

from sharp_compiler.isa import binary
from sharp_compiler.isa.program import Instruction
from sharp_compiler.isa.spec import Opcode

kind, source, target = sys.argv[1:4]
program = binary.decode(open(source, "rb").read())
config = json.loads(program.config_json)
code = program.instructions
if kind == "trip":  # the first loop runs fewer steps
    pc = next(pc for pc, ins in enumerate(code) if ins.opcode == Opcode.LOOP)
    code[pc] = Instruction(Opcode.LOOP, imm=max(1, code[pc].imm // 2))
elif kind == "store-move":  # the last store becomes a move of its source view onto itself (valid)
    pc = max(pc for pc, ins in enumerate(code) if ins.opcode == Opcode.STORE)
    ins = code[pc]
    code[pc] = Instruction(Opcode.MOVE, ins.pop, ins.push, ins.flags, ins.b, ins.b, ins.c, ins.d, ins.imm)
elif kind == "empty-loop":
    code[0:0] = [Instruction(Opcode.LOOP, imm=2**32 - 1), Instruction(Opcode.ENDLOOP)]
elif kind == "latency":
    config["dram_latency"] = 10**309
text = json.dumps(config, sort_keys=True, separators=(",", ":"))
data = binary.pack_sections(
    binary.program_sections(program, text, "<hostile>"),
    flags=binary.FLAG_FP32 if program.precision == "fp32" else 0,
    fingerprint=hashlib.blake2b(text.encode(), digest_size=16).digest(),
)
if kind == "trailing":  # 8 stray bytes before the checksum
    body = data[: -binary.CHECKSUM_BYTES] + bytes(8)
    data = body + hashlib.blake2b(body, digest_size=binary.CHECKSUM_BYTES).digest()
open(target, "wb").write(data)
