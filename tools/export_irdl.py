"""Write the dialects as IRDL for upstream MLIR: dialects/{rnn,sharp,sharp_isa}.irdl.mlir.

    python tools/export_irdl.py               # rewrite the files
    python tools/export_irdl.py --check       # exit 1 when a file is stale (or missing)
    python tools/export_irdl.py --dir DIR     # write (or --check) DIR instead of dialects/

The text comes from `sharp_compiler.dialects.irdl_export.render_all`; see dialects/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sharp_compiler.dialects.irdl_export import render_all

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or --check) dialects/*.irdl.mlir.")
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is stale instead of writing")
    parser.add_argument("--dir", type=Path, default=ROOT / "dialects", help="output directory")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for name, text in render_all().items():
        path: Path = args.dir / name
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale IRDL (run python tools/export_irdl.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
