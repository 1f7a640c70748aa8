"""Page helpers for ``wann report``: every piece returns HTML text with all data escaped.

Images are embedded as ``data:`` URIs, the CSS is inline and there is no script: the page is one
file that opens anywhere (nothing is loaded from disk or the network).
"""
from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1f;
       background: #fff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 1.2em 2em 3em; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.2em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.0em; margin: 1.2em 0 0.4em; }
.sub { color: #555; margin: 0 0 0.8em; word-break: break-all; }
nav { font-size: 0.9em; margin: 0.6em 0 0; }
nav a { color: #0b57a4; margin-right: 1em; text-decoration: none; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; font-size: 0.88em; }
th, td { border: 1px solid #d6d6d6; padding: 0.22em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.stat td { background: #fafafa; font-style: italic; }
.wide { overflow-x: auto; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.7em 0.9em; overflow-x: auto;
      font: 0.85em/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-all; }
figure { margin: 0.6em 0 1em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
table.kv td:first-child { background: #f7f8fa; font-weight: 600; white-space: nowrap; }
table.kv td.num { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 0 1.6em; align-items: flex-start; }
.grid h3 { margin: 0.6em 0 0.2em; }
figcaption { color: #555; font-size: 0.85em; }
.note { color: #6a4a00; background: #fff8e1; border-left: 3px solid #f0c36d; padding: 0.3em 0.7em; }
details summary { cursor: pointer; color: #0b57a4; }
footer { color: #888; font-size: 0.8em; margin-top: 3em; }
"""


def esc(value) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value), quote=True)


def fmt(value) -> str:
    """A cell's text: integers plain, floats to 4 significant digits, lists joined (``[]`` if empty), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{int(value)}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value) if value else "[]"
    return str(value)


def cell(value, scale: float | None = None):
    """A record's value for a table: a list as ``a/b/c``, a number times ``scale`` (e.g. 100 for percent)."""
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return value * scale if scale and isinstance(value, (int, float)) else value


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table(headers: Sequence[str] | None, rows: Iterable[Sequence], stat_rows: Iterable[Sequence] = (),
          cls: str = "") -> str:
    """A table: numbers right-aligned (``fmt``), text escaped; ``stat_rows`` (medians, ...) set off below."""
    head = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""

    def line(row, cls=""):
        cells = "".join(f'<td class="num">{esc(fmt(v))}</td>' if _numeric(v) else f"<td>{esc(fmt(v))}</td>"
                        for v in row)
        return f"<tr{cls}>{cells}</tr>"
    body = "".join(line(r) for r in rows) + "".join(line(r, ' class="stat"') for r in stat_rows)
    attr = f' class="{cls}"' if cls else ""
    return f'<div class="wide"><table{attr}>{head}<tbody>{body}</tbody></table></div>'


def flatten(mapping: Mapping, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted key, value) of a nested mapping, in order."""
    out: list[tuple[str, object]] = []
    for k, v in mapping.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out += flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def kv_table(mapping: Mapping, headers: Sequence[str] | None = ("setting", "value")) -> str:
    """A two-column table of a (nested) mapping; nested keys dotted; ``headers`` None: no header row."""
    return table(headers, flatten(mapping), cls="kv")


def grid(*blocks: str) -> str:
    """Blocks side by side, wrapping to the next line when the page is narrow."""
    return '<div class="grid">' + "".join(f"<div>{b}</div>" for b in blocks if b) + "</div>"


def heading(text: str) -> str:
    return f"<h3>{esc(text)}</h3>"

def pre(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def details(label: str, body: str) -> str:
    """A collapsed block (no script needed)."""
    return f"<details><summary>{esc(label)}</summary>{body}</details>"


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def para(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def image(png: Path | bytes, alt: str, caption: str = "") -> str:
    """A PNG (file or bytes) embedded as a data: URI, in a figure with an optional caption.

    Shown at about its size in print (matplotlib's 150 dpi to the screen's 96), at least 560 pixels
    wide unless smaller, never wider than the page."""
    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    width = int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0
    size = f' width="{min(width, max(560, round(width * 0.64)))}"' if width else ""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{src}" alt="{esc(alt)}"{size}>{cap}</figure>'


def png_of(paths: Sequence[Path]) -> Path:
    """The PNG among the files a ``wann.plots`` function wrote."""
    return next(p for p in paths if p.suffix == ".png")


_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _inline(text: str) -> str:
    """Escaped text with Markdown's ``**bold**`` and ```code``` kept."""
    out = esc(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def markdown(text: str) -> str:
    """The simple Markdown that wann writes (paragraphs and pipe tables) as HTML."""
    lines, out, k = text.splitlines(), [], 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("|") and k + 1 < len(lines) and _SEPARATOR.match(lines[k + 1]):
            head, body, k = _cells(line), [], k + 2
            while k < len(lines) and lines[k].startswith("|"):
                body.append(_cells(lines[k]))
                k += 1
            rows = "".join("<tr>" + "".join(f"<td{_align(c)}>{_inline(c)}</td>" for c in r) + "</tr>"
                           for r in body)
            out.append('<div class="wide"><table><thead><tr>' + "".join(f"<th>{_inline(h)}</th>" for h in head)
                       + f"</tr></thead><tbody>{rows}</tbody></table></div>")
            continue
        if line.strip():
            para_lines = []
            while k < len(lines) and lines[k].strip() and not lines[k].startswith("|"):
                para_lines.append(lines[k])
                k += 1
            out.append(f"<p>{_inline(' '.join(para_lines))}</p>")
            continue
        k += 1
    return "\n".join(out)


def _align(cell: str) -> str:
    return ' class="num"' if re.fullmatch(r"-|[-+]?[\d.]+(\s*±\s*[\d.]+)?(\s*\([\d.]+\))?", cell) else ""


def section(anchor: str, title: str, *parts: str) -> tuple[str, str, str]:
    """(anchor, title, body) of one section of the page."""
    return anchor, title, "\n".join(p for p in parts if p)


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], footer: str = "") -> str:
    """The whole document: title, a contents line of in-page links, the sections."""
    nav = " ".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "\n".join(f'<section id="{esc(a)}"><h2>{esc(t)}</h2>\n{b}\n</section>' for a, t, b in sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f'<h1>{esc(title)}</h1>\n<p class="sub">{esc(subtitle)}</p>\n<nav>{nav}</nav>\n{body}\n'
            f"<footer>{esc(footer)}</footer>\n</main>\n</body>\n</html>\n")
