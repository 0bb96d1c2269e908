#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the conformance cases.

    python3 Tests/Fuzz/seeds.py OUT_DIR

OUT_DIR/parser/*   one byte (chunk size) + the RESP encoding of a few commands
                   (and every >raw payload: the protocol-error cases)
OUT_DIR/commands/* one byte (db, protocol) + arguments joined by 0x00
"""
import glob, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Conformance"))
import record  # noqa: E402  (the case-file reader)


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "parser"), exist_ok=True)
    os.makedirs(os.path.join(out, "commands"), exist_ok=True)
    n = 0
    for path in sorted(glob.glob(os.path.join(HERE, "..", "..", "Conformance", "cases", "*.case"))):
        for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.strip()
            if not line.startswith(">") or line.startswith(">>"):
                continue
            try:
                cmd = record.parse_command_line(lineno, line)
            except record.CaseFileError:
                continue
            n += 1
            if cmd.kind == "raw":
                wire = cmd.payload
                args = None
            else:
                wire = record.encode_command(cmd.payload)
                args = cmd.payload
            with open(os.path.join(out, "parser", "seed-%05d" % n), "wb") as f:
                f.write(bytes([n % 16]) + wire)
            if args:
                with open(os.path.join(out, "commands", "seed-%05d" % n), "wb") as f:
                    f.write(bytes([n % 4]) + b"\x00".join(args))
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()
