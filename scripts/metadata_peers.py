#!/usr/bin/env python3
"""Metadata predictions of the peers, for scripts/score_metadata.py: title,
author and publish date from trafilatura and rs-trafilatura on every
DIR/html/ID.html.gz, each given the page's URL from DIR/ground-truth.json (as
`dossier eval extraction` is), default settings.

Usage: metadata_peers.py DIR OUTDIR   (writes OUTDIR/trafilatura.json, OUTDIR/rs-trafilatura.json)
Needs `pip install trafilatura lxml_html_clean rs-trafilatura` (scripts/metadata-bench.sh makes a venv).
"""
import gzip
import json
import sys
import time
from pathlib import Path


def pages(d):
    truth = json.loads((d / "ground-truth.json").read_text()) if (d / "ground-truth.json").exists() else {}
    h = d / "html" if (d / "html").is_dir() else d
    for p in sorted(h.iterdir()):
        if not p.name.endswith((".html", ".html.gz", ".htm", ".htm.gz")):
            continue
        pid = p.name.split(".")[0]
        raw = p.read_bytes()
        yield pid, gzip.decompress(raw) if p.name.endswith(".gz") else raw, (truth.get(pid) or {}).get("url")


def run_trafilatura(items):
    import trafilatura

    out = {}
    for pid, html, url in items:
        try:
            doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        except Exception as e:  # a peer's crash is a page without metadata
            print(f"trafilatura {pid}: {e}", file=sys.stderr)
            doc = None
        get = (lambda k: getattr(doc, k, None)) if doc is not None and not isinstance(doc, dict) else (lambda k: (doc or {}).get(k))
        author = get("author")
        out[pid] = {
            "title": get("title"),
            "author": [a.strip() for a in author.split(";") if a.strip()] if author else None,
            "publish_date": get("date"),
        }
    return out, f"trafilatura {trafilatura.__version__}"


def run_rs(items):
    import rs_trafilatura as rs

    out = {}
    for pid, html, url in items:
        try:
            r = rs.extract_bytes(html, url=url)
        except Exception as e:
            print(f"rs-trafilatura {pid}: {e}", file=sys.stderr)
            r = None
        get = (lambda k: getattr(r, k, None)) if r is not None and not isinstance(r, dict) else (lambda k: (r or {}).get(k))
        author = get("author")
        if isinstance(author, str):
            author = [a.strip() for a in author.split(";") if a.strip()]
        date = get("date")
        out[pid] = {"title": get("title"), "author": author or None, "publish_date": str(date) if date else None}
    version = getattr(rs, "__version__", None)
    if version is None:
        from importlib.metadata import version as v

        version = v("rs-trafilatura")
    return out, f"rs-trafilatura {version}"


def main():
    d, outdir = Path(sys.argv[1]), Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    items = list(pages(d))
    for name, fn in (("trafilatura", run_trafilatura), ("rs-trafilatura", run_rs)):
        start = time.process_time()
        preds, version = fn(items)
        (outdir / f"{name}.json").write_text(json.dumps(preds, indent=1, ensure_ascii=False) + "\n")
        print(f"{version}: {len(preds)} pages, {time.process_time() - start:.1f} s CPU", file=sys.stderr)


if __name__ == "__main__":
    main()
