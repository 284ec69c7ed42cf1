#!/usr/bin/env python3
"""Writes a CC-NEWS-style WARC.gz (one gzip member per record, warcinfo then
HTTP response records) from a folder of .html/.html.gz pages, each page
repeated COPIES times under distinct URLs. Needs `pip install warcio`.

Usage: make_warc.py PAGES_DIR OUT.warc.gz [--copies 12]
"""
import argparse, gzip, io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pages", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--copies", type=int, default=12)
    args = ap.parse_args()
    d = args.pages / "html" if (args.pages / "html").is_dir() else args.pages
    files = sorted(p for p in d.iterdir() if p.name.endswith((".html", ".htm", ".html.gz")))
    pages = [(p.name.split(".")[0], gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()) for p in files]
    n = 0
    with open(args.out, "wb") as f:
        w = WARCWriter(f, gzip=True)
        w.write_record(w.create_warcinfo_record(args.out.name, {"software": "dossier make_warc.py"}))
        for c in range(args.copies):
            for pid, body in pages:
                url = f"https://bench{c}.example/{pid}"
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
                n += 1
    print(f"{n} response records -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
