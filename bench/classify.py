"""Classifier speed on one core: items/s on labeled items and on long items, and its share of a cold poll.

Run: .venv/bin/python bench/classify.py [--n 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from bot.classify import Classifier

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FALLBACK = [
    ("US tightens AI chip export controls on China", "The Commerce Department added Chinese firms to the entity list, "
     "closing loopholes that let restricted Nvidia chips reach China through third countries."),
    ("OpenAI launches a new model with pricing plans", "The model is now available to subscribers in 40 countries."),
    ("Officials from Washington and Beijing discuss AI risk in Geneva", "Both sides said the talks were candid "
     "and agreed to meet again at an appropriate time; analysts urged the two to revive the dialogue."),
    ("China's regulator orders labels on AI-generated content", "The Cyberspace Administration of China said "
     "platforms must label synthetic text, images and video from September."),
]


def labeled_items() -> list[tuple[str, str]]:
    items = []
    for split in ("dev", "test"):
        path = DATA / f"classify-{split}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    items.append((row.get("title") or "", row.get("summary") or ""))
    return items or FALLBACK


def long_items(base: list[tuple[str, str]], chars: int) -> list[tuple[str, str]]:
    out = []
    for title, summary in base[:50]:
        body = (summary + " <p>Paragraph with <a href='x'>markup</a> &amp; more words about the day's news.</p> ") * 1000
        out.append((title, body[:chars]))
    return out


def rate(classifier: Classifier, items: list[tuple[str, str]], n: int) -> float:
    batch = (items * (n // len(items) + 1))[:n]
    for title, summary in batch[:200]:  # warm caches
        classifier.classify(title, summary)
    start = time.process_time()
    for title, summary in batch:
        classifier.classify(title, summary)
    return n / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parse workers in the poll estimate")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    start = time.perf_counter()
    classifier = Classifier.load()
    load_ms = (time.perf_counter() - start) * 1000
    base = labeled_items()
    rows = [("labeled items", base, args.n)]
    rows += [(f"long items ({chars // 1000} KB)", long_items(base, chars), max(200, args.n // 10)) for chars in (5_000, 100_000)]
    print(f"classifier {classifier.version}; theme file load + compile {load_ms:.1f} ms (once per process)")
    print(f"{'corpus':<24}{'items':>8}{'items/s':>12}{'µs/item':>10}")
    results = {}
    for name, items, n in rows:
        per_s = rate(classifier, items, n)
        results[name] = per_s
        print(f"{name:<24}{n:>8}{per_s:>12,.0f}{1e6 / per_s:>10.1f}")
    feeds, entries = 500, 50
    total = feeds * entries
    per_item = 1 / results["labeled items"]
    print()
    print(f"cold poll of {feeds} feeds x {entries} entries = {total:,} items:")
    print(f"  classification CPU {total * per_item:.2f} s total, {total * per_item / args.workers:.2f} s wall "
          f"over {args.workers} parse worker(s) (+{load_ms:.0f} ms theme file load per worker)")


if __name__ == "__main__":
    main()
