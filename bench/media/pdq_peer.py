"""PDQ peer: Meta's reference C++ through the PyPI `pdqhash` binding, on Pillow-decoded pixels.

Decodes every image once with Pillow (`.convert("RGB")`, as expected.csv was made), writes the
pixels for the Rust side (width u32 LE, height u32 LE, RGB bytes; back to back), then hashes the
decoded arrays ROUNDS times on one thread and prints the median images/s.

usage: pdq_peer.py IMAGES_DIR PIXELS_OUT HASHES_OUT ROUNDS
"""

import pathlib
import struct
import sys
import time

import numpy as np
import pdqhash
from PIL import Image


def to_hex(bits: np.ndarray) -> str:
    # pdqhash returns bit 255 first, the order of the reference's hex form.
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def main() -> None:
    images_dir, pixels_out, hashes_out, rounds = sys.argv[1:5]
    rounds = int(rounds)
    paths = sorted(p for p in pathlib.Path(images_dir).iterdir() if p.is_file())
    arrays = []
    with open(pixels_out, "wb") as out:
        for path in paths:
            rgb = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
            height, width = rgb.shape[:2]
            out.write(struct.pack("<II", width, height))
            out.write(rgb.tobytes())
            arrays.append(rgb)
    with open(hashes_out, "w") as out:
        for rgb in arrays:
            bits, quality = pdqhash.compute(rgb)
            out.write(f"{to_hex(bits)},{quality}\n")
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for rgb in arrays:
            pdqhash.compute(rgb)
        rates.append(len(arrays) / (time.perf_counter() - started))
    rates.sort()
    pixels = sum(a.shape[0] * a.shape[1] for a in arrays)
    print(
        f"pdqhash (reference C++): {len(arrays)} images ({pixels / 1e6:.1f} Mpx), {rounds} rounds, "
        f"median {rates[len(rates) // 2]:.1f} images/s, best {rates[-1]:.1f}"
    )


if __name__ == "__main__":
    main()
