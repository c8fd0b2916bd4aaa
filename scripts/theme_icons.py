"""The placeholder emblem's small pictures: theme/static/img/favicon.ico (16 and 32 px) and
apple-touch-icon.png (180 px), drawn with Pillow after theme/static/img/emblem.svg.

Run once when the emblem changes; the files are committed (the build copies them, it draws
nothing). A municipality with its own crest replaces the three files, by this script or by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

IMG = Path(__file__).resolve().parent.parent / "theme" / "static" / "img"
BLUE, DARK, WHITE = (0, 101, 179), (0, 51, 117), (255, 255, 255)
SCALE = 16  # drawn this many times larger, then reduced: smooth edges


def _quad(p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float]) -> list:
    """Points along a quadratic Bézier curve."""
    return [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t * t * p1[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t * t * p1[1],
        )
        for t in (i / 24 for i in range(25))
    ]


def _cubic(p0: tuple, c0: tuple, c1: tuple, p1: tuple) -> list:
    """Points along a cubic Bézier curve."""
    out = []
    for i in range(25):
        t = i / 24
        out.append(
            tuple(
                (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t**3 * d
                for a, b, c, d in zip(p0, c0, c1, p1, strict=True)
            )
        )
    return out


def emblem(size: int, background: tuple[int, int, int] | None = None) -> Image.Image:
    """The emblem on a ``size`` square (48 units across, as in the SVG)."""
    k = size * SCALE / 48
    image = Image.new("RGBA", (size * SCALE,) * 2, (*background, 255) if background else (0,) * 4)
    draw = ImageDraw.Draw(image)

    def pts(points: list) -> list[tuple[float, float]]:
        return [(x * k, y * k) for x, y in points]

    shield = [(24, 2.5), (42.5, 8.5), (42.5, 22.5)]
    shield += _cubic((42.5, 22.5), (42.5, 34), (34.5, 42), (24, 45.5))[1:]
    shield += _cubic((24, 45.5), (13.5, 42), (5.5, 34), (5.5, 22.5))[1:]
    shield += [(5.5, 8.5)]
    draw.polygon(pts(shield), fill=BLUE, outline=WHITE, width=round(2.5 * k))
    draw.ellipse([18.5 * k, 11.5 * k, 29.5 * k, 22.5 * k], fill=WHITE)
    for y, half in ((28.5, 5.75), (35, 4.5)):
        x0 = 24 - 2 * half
        wave = _quad((x0, y), (x0 + half, y - 4.5 * half / 5.75), (24, y))
        wave += _quad((24, y), (24 + half, y + 4.5 * half / 5.75), (24 + 2 * half, y))[1:]
        draw.line(pts(wave), fill=WHITE, width=round(2.5 * k), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=IMG)
    args = parser.parse_args(argv)
    small = emblem(32).quantize(32, method=Image.Quantize.FASTOCTREE)  # a third of the bytes
    small.save(args.folder / "favicon.ico", sizes=[(16, 16), (32, 32)])
    touch = Image.new("RGB", (180, 180), DARK)  # iOS rounds the corners itself: no transparency
    touch.paste(emblem(140), (20, 20), emblem(140))
    touch = touch.quantize(48)  # a few blues and white: a quarter of the bytes
    touch.save(args.folder / "apple-touch-icon.png", optimize=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
