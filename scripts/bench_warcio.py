#!/usr/bin/env python3
"""Peer for the WARC ingest benchmark: warcio iteration plus trafilatura
extraction of every HTML response record, one thread. Prints JSON.

Usage: bench_warcio.py ARCHIVE.warc.gz   (needs warcio, trafilatura, lxml_html_clean)
"""
import json, os, resource, sys, time

import trafilatura
from warcio.archiveiterator import ArchiveIterator


def main():
    path = sys.argv[1]
    start = time.perf_counter()
    pages = articles = 0
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type != "response":
                continue
            ct = rec.http_headers.get_header("Content-Type") if rec.http_headers else ""
            if "html" not in (ct or ""):
                continue
            body = rec.content_stream().read()
            pages += 1
            if trafilatura.extract(body):
                articles += 1
    secs = time.perf_counter() - start
    mb = os.path.getsize(path) / 1e6
    print(json.dumps({
        "tool": f"warcio + trafilatura {trafilatura.__version__}",
        "pages": pages, "articles": articles, "seconds": secs,
        "articles_per_second": articles / secs, "archive_mb_per_second": mb / secs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }))


if __name__ == "__main__":
    main()
