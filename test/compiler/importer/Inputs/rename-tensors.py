#!/usr/bin/env python3
"""Copies a safetensors file renaming tensors by prefix (test helper).

usage: rename-tensors.py IN OUT OLD_PREFIX=NEW_PREFIX [...]
The data section is copied unchanged; only the JSON header is rewritten.
"""
import json
import struct
import sys


def main():
    src, dst, *renames = sys.argv[1:]
    rules = [r.split("=", 1) for r in renames]
    with open(src, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    renamed = {}
    for name, info in header.items():
        for old, new in rules:
            if name.startswith(old):
                name = new + name[len(old):]
                break
        renamed[name] = info
    text = json.dumps(renamed, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)


if __name__ == "__main__":
    main()
