#!/usr/bin/env python3
"""Peer benchmark for `dossier bench extraction`: trafilatura.extract (or
rs-trafilatura's extract_bytes) on one thread over the same pages,
decompressed in memory first, median of passes.

Usage: bench_trafilatura.py DIR [--passes 3] [--engine trafilatura|rs-trafilatura]
                            [--predictions PRED.json]
(needs `pip install trafilatura lxml_html_clean rs-trafilatura`)
Prints JSON with the same fields as `dossier bench extraction`; with
--predictions, also writes {id: {"articleBody"}} from the last pass.
"""
import argparse, gzip, json, resource, time
from pathlib import Path



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--engine", default="trafilatura", choices=["trafilatura", "rs-trafilatura"])
    ap.add_argument("--predictions", type=Path)
    args = ap.parse_args()
    if args.engine == "trafilatura":
        import trafilatura

        name = f"trafilatura {trafilatura.__version__}"
        extract = trafilatura.extract
    else:
        import rs_trafilatura

        name = f"rs-trafilatura {rs_trafilatura.__version__}"

        def extract(page):
            return rs_trafilatura.extract_bytes(page).main_content
    d = args.dir / "html" if (args.dir / "html").is_dir() else args.dir
    files = sorted(p for p in d.iterdir() if p.name.endswith((".html", ".htm", ".html.gz", ".htm.gz")))
    pages = [gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes() for p in files]
    total = sum(len(p) for p in pages)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times, words, outs = [], 0, []
    for _ in range(max(1, args.passes)):
        start = time.perf_counter()
        words = 0
        outs = []
        for p in pages:
            out = extract(p)
            outs.append(out or "")
            words += len((out or "").split())
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.predictions:
        ids = [f.name.split(".")[0] for f in files]
        args.predictions.write_text(json.dumps({i: {"articleBody": o} for i, o in zip(ids, outs)}))
    print(json.dumps({
        "extractor": name,
        "pages": len(pages),
        "megabytes": total / 1e6,
        "passes": len(times),
        "median_seconds": median,
        "pages_per_second": len(pages) / median,
        "megabytes_per_second": total / 1e6 / median,
        "words_extracted": words,
        "peak_rss_mb": peak / 1e6,
        "rss_before_extraction_mb": before / 1e6,
    }, indent=2))


if __name__ == "__main__":
    main()
