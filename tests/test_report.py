"""wann report: one self-contained HTML page per kind of folder (run, batch, prune_baselines, compare).

Each page must parse, embed every image as a data: URI, point at no file or web address, escape what
it shows, carry the folder's key facts, and leave the folder as it was apart from report.html. A
headless Chromium renders two pages to screenshots (skipped without Chromium unless
WANN_REQUIRE_BROWSER=1, as on CI).
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from tests.test_compare import X, Y, _prune_folder
from wann.cli import main
from wann.rundir import load_champion

QUICK = str(REPO / "configs" / "quick.toml")
TINY = ["--set", "run.generations=2", "--set", "search.pop_size=8", "--set", "task.rollouts=1",
        "--set", "run.champion_reps=1", "--quiet"]


class Page(HTMLParser):
    """What a page holds: tags, every src and href, the text (entities decoded)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.chunks: list[str] = []
        self.in_style = False
        self.feed(text)
        self.close()
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [(tag, k, v or "") for k, v in attrs if k in ("src", "href", "srcset", "data", "action")]
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if not self.in_style:
            self.chunks.append(data)


def check_page(path: Path) -> Page:
    """Parse the page and check it is self-contained; returns it."""
    text = path.read_text()
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>") and {"html", "head", "body", "title", "h1"} <= set(page.tags)
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    imgs = [v for tag, k, v in page.links if tag == "img"]
    assert imgs, "a page has figures"
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for tag, k, v in page.links:
        if tag != "img":
            assert v.startswith("#"), f"<{tag} {k}={v!r}> points outside the page"
    assert "url(" not in text and "http://" not in text.replace("http://www.w3.org", "")
    return page


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A tiny swing-up run with an evaluation and a tuning."""
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["evolve", QUICK, "--out", str(out), *TINY]) == 0
    assert main(["eval", str(out), "--trials", "2", "--tune-trials", "2", "--grid", "3"]) == 0
    assert main(["tune", str(out), "--generations", "1", "--popsize", "4", "--check-every", "1",
                 "--check-trials", "2", "--trials", "2", "--grid", "3", "--tune-trials", "2",
                 "--seeds-per-generation", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory) -> Path:
    """A `wann compare` folder of the tiny pruned fixture of test_compare, scored on its four samples."""
    from wann.compare import scoring

    base = tmp_path_factory.mktemp("cmp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scoring, "mnist_test_set", lambda data_dir, n: (X, Y))
        assert main(["compare", "--baselines", str(_prune_folder(base)), "--weights=-1,2",
                     "--out", str(base / "cmp")]) == 0
    return base / "cmp"


def test_run_page(run_folder, capsys):
    before = _files(run_folder)
    assert main(["report", str(run_folder)]) == 0
    out = run_folder / "report.html"
    assert capsys.readouterr().out.strip() == str(out)
    after = _files(run_folder)
    assert after.pop("report.html") and after == before  # nothing else written or touched
    page = check_page(out)
    c = load_champion(run_folder)[0]
    for text in ("Overview", "Command and versions", "Config", "Curves", "Champion", "Evaluation (wann eval)",
                 "Tuned weights (wann tune)", "pop_size", "search.pop_size=8", f"mean {c.fitness:.2f}",
                 "random shared weight", "tuned shared weight", "cma-es", "python"):
        assert text in page.text, text
    imgs = [v for tag, k, v in page.links if tag == "img"]
    assert len(imgs) == 4  # curves, champion graph, sweep, tuned graph


def test_run_page_without_eval_and_out_elsewhere(tmp_path, run_folder):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.toml", "meta.json", "log.jsonl", "champion.json"):
        shutil.copy(run_folder / name, bare / name)
    target = tmp_path / "pages" / "bare.html"
    assert main(["report", str(bare), "--out", str(target)]) == 0
    page = check_page(target)
    assert "Curves" in page.text and "Evaluation (wann eval)" not in page.text and "Tuned weights" not in page.text
    assert sorted(p.name for p in bare.iterdir()) == ["champion.json", "config.toml", "log.jsonl", "meta.json"]


def test_batch_page(tmp_path):
    out = tmp_path / "batch"
    assert main(["evolve", QUICK, "--out", str(out), "--seeds", "0-1", *TINY]) == 0
    (out / "seed_2").mkdir()  # a seed folder with nothing in it must not stop the page
    doc = json.loads((out / "batch.json").read_text())
    (out / "batch.json").write_text(json.dumps(doc | {"seeds": [0, 1, 2]}))
    assert main(["report", str(out)]) == 0
    page = check_page(out / "report.html")
    for text in ("Per seed", "seed_0", "seed_1", "median", "upper quartile", "champion fitness",
                 "2 of 3 seeds have run", "seed 2:", "Curves over seeds", "pop_size"):
        assert text in page.text, text


def test_prune_page_escapes_text(tmp_path):
    folder = _prune_folder(tmp_path)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["config"]["model"] = "<script>alert('x')</script> & co"
    (folder / "config.json").write_text(json.dumps(cfg))
    before = _files(folder)
    assert main(["report", str(folder)]) == 0
    text = (folder / "report.html").read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in text
    page = check_page(folder / "report.html")
    for text in ("Settings and provenance", "magnitude", "python -m prune_baselines x", "Results",
                 "test accuracy (%)", "75", "2/2", "Accuracy against connections"):
        assert text in page.text, text
    after = _files(folder)
    assert after.pop("report.html") and after == before  # accuracy_vs_connections.png drawn elsewhere


def test_compare_page(compare_folder):
    assert main(["report", str(compare_folder)]) == 0
    page = check_page(compare_folder / "report.html")
    command = json.loads((compare_folder / "compare.json").read_text())["provenance"]["command"]
    for text in ("Test accuracy (%)", "magnitude", "4 (7)", "w = -1", "w = 2", "Networks", "Provenance", command):
        assert text in page.text, text
    assert page.tags.count("table") >= 4  # compare.md's tables, the networks, provenance


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: p, "is none of the folders wann report knows"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is a file, not a folder"),
    (lambda p: (p / "config.toml").write_text("[run]\n") and p, "is none of the folders"),  # a config alone: no run
])
def test_errors_name_the_path_and_what_was_expected(tmp_path, capsys, make, message):
    path = make(tmp_path)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} ") and message in err and "batch folder (batch.json)" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "report.html").exists()


def test_out_must_not_be_a_folder(run_folder, tmp_path, capsys):
    assert main(["report", str(run_folder), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_run_and_compare_pages_import_neither_torch_nor_ray(run_folder, compare_folder, tmp_path):
    from tests.test_cli_imports import PROBE

    for folder in (run_folder, compare_folder):
        r = subprocess.run([sys.executable, "-c", PROBE, "report", str(folder), "--out", str(tmp_path / "p.html")],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
        assert json.loads(r.stdout.strip().splitlines()[-1]) == [], r.stderr


def test_cli_exit_code_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "wann.cli", "report", str(tmp_path)], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 2 and "Traceback" not in r.stderr and str(tmp_path) in r.stderr


# ---- in a real browser -----------------------------------------------------------------------
def chromium() -> str:
    """The Chromium binary; skips the test without one, fails instead when WANN_REQUIRE_BROWSER=1."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = "no chromium or chromium-browser on PATH (apt-get install chromium)"
        if os.environ.get("WANN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WANN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return binary


# keep the browser off the network and quiet; log every file it loads (FileURLLoader, verbosity 1)
QUIET = ["--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr", "--v=0",
         "--vmodule=file_url_loader_factory=1", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-pings",
         "--disable-domain-reliability", "--host-resolver-rules=MAP * ~NOTFOUND"]


def render(binary: str, page: Path, work: Path) -> tuple[Path, list[str], list[str], str]:
    """Screenshot ``page`` (1280x2000); (screenshot, files the browser loaded, network loads the page made, stderr).

    The page's own network requests are those of its frame (network isolation key ``file://``) in
    Chromium's net log; the browser's own background requests are not the page's."""
    shot, netlog = work / f"{page.stem}.png", work / f"{page.stem}.netlog.json"
    r = subprocess.run([binary, *QUIET, f"--user-data-dir={work / 'profile'}", f"--log-net-log={netlog}",
                        f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri()],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    files = re.findall(r"FileURLLoader::Start: (\S+)", r.stderr)
    events = json.loads(netlog.read_text()).get("events", [])
    web = sorted({e["params"]["url"] for e in events if "url" in e.get("params", {})
                  and "file://" in str(e["params"].get("network_isolation_key", ""))})
    return shot, files, web, r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["run", "compare"])
def test_page_renders_in_chromium(kind, run_folder, compare_folder, tmp_path):
    from PIL import Image

    binary = chromium()
    folder = run_folder if kind == "run" else compare_folder
    page = tmp_path / f"{kind}.html"
    assert main(["report", str(folder), "--out", str(page)]) == 0
    shot, files, web, stderr = render(binary, page, tmp_path)
    assert files == [page.resolve().as_uri()] and web == [], (files, web)  # the page alone: nothing else loaded
    for failure in ("ERR_FILE_NOT_FOUND", "Failed to load"):
        assert failure not in stderr, stderr[-2000:]
    image = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("RGB"))
    assert image.shape[:2] == (2000, 1280)
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert (image < 200).any(axis=2).mean() > 0.01  # text, tables and figures: more than a few dark pixels


@pytest.mark.slow
def test_browser_check_sees_outside_loads(tmp_path):
    """The control: a page that loads a missing file and a web address is caught by the same check."""
    binary = chromium()
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><h1>x</h1><img src="missing.png">'
                    '<img src="http://127.0.0.1:9/x.png"></body></html>')
    _, files, web, _ = render(binary, page, tmp_path)
    assert (tmp_path / "missing.png").as_uri() in files and web == ["http://127.0.0.1:9/x.png"]
