"""`briefbot classify`, `briefbot eval` and `briefbot reclassify`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import IO

from bot.classify import Classifier, default_classifier
from bot.classify.theme_file import DEFAULT_THEME_FILE


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify",
        help="classify JSON Lines items (title, summary, optional link) into themes",
        description=(
            "Reads JSON Lines with 'title' and 'summary' (optional 'link' and 'id', kept in the output) from PATH "
            "or standard input and writes one JSON line per item with themes, scores, stance, relevant and "
            "evidence. A bad line is reported on standard error with its line number and skipped; the exit "
            "status is then 1 after every other line has been classified."
        ),
    )
    p.add_argument("path", nargs="?", default="-", metavar="PATH|-", help="JSON Lines file, or - for standard input")
    p.add_argument("--themes", metavar="FILE", help=f"theme file (default: {DEFAULT_THEME_FILE.name} bundled)")
    p.set_defaults(func=_classify)

    e = sub.add_parser("eval", help="measure the classifier on labeled items",
                       description="Per-theme precision, recall and F1, macro-F1, relevance, stance accuracy "
                                   "and the worst misclassified items.")
    e.add_argument("path", nargs="?", metavar="PATH", help="labeled JSON Lines (default: the --split file)")
    e.add_argument("--split", choices=("dev", "test", "holdout"), default="test", help="bundled labeled split: dev (tuned on), test, holdout (default: test)")
    e.add_argument("--themes", metavar="FILE", help="theme file to evaluate (default: the bundled one)")
    e.add_argument("--worst", type=int, default=10, metavar="N", help="how many misclassified items to show")
    e.add_argument("--calibrate", action="store_true",
                   help="also print the F1-maximising threshold per theme (use on the dev split only)")
    e.set_defaults(func=_eval)

    r = sub.add_parser("reclassify", help="re-run the classifier over stored items",
                       description="Re-classifies stored items whose classifier version differs from the current "
                                   "one (after the theme file or classifier changed), in batches.")
    r.add_argument("--all", action="store_true", help="re-run every item, not only those of another version")
    r.add_argument("--batch", type=int, default=500, metavar="N", help="items per transaction (default 500)")
    r.set_defaults(func=_reclassify)


def _load(path: str | None) -> Classifier:
    return Classifier.load(path) if path else default_classifier()


def _classify(args: argparse.Namespace) -> int:
    classifier = _load(args.themes)
    if args.path == "-":
        return classify_stream(classifier, sys.stdin, sys.stdout, sys.stderr)
    try:
        handle = open(args.path, encoding="utf-8", errors="replace")
    except OSError as exc:
        from bot.errors import ConfigError

        raise ConfigError(f"classify: cannot read {args.path} ({exc.strerror or exc})") from exc
    with handle:
        return classify_stream(classifier, handle, sys.stdout, sys.stderr)


def classify_stream(classifier: Classifier, lines: IO[str], out: IO[str], err: IO[str]) -> int:
    bad = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(row, dict):
                raise ValueError("expected a JSON object")
            if "title" not in row and "summary" not in row:
                raise ValueError("needs 'title' and/or 'summary'")
            title, summary = row.get("title") or "", row.get("summary") or ""
            if not isinstance(title, str) or not isinstance(summary, str):
                raise ValueError("'title' and 'summary' must be strings")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            bad += 1
            print(f"briefbot classify: line {number}: {exc}", file=err)
            continue
        c = classifier.classify(title, summary)
        result: dict = {k: row[k] for k in ("id", "link") if k in row}
        result.update(c.to_dict())
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    if bad:
        print(f"briefbot classify: {bad} bad line(s) skipped", file=err)
    return 1 if bad else 0


def _eval(args: argparse.Namespace) -> int:
    from bot.classify.evaluate import (
        calibrate,
        evaluate,
        format_report,
        load_labeled,
        split_path,
    )

    path = args.path or split_path(args.split)
    classifier = _load(args.themes)
    items = load_labeled(path)
    report = evaluate(classifier, items)
    print(format_report(report, f"classifier {classifier.version} on {path}", worst=args.worst))
    if args.calibrate:
        print("\nthreshold calibration (best threshold, F1 there, F1 now):")
        for tid, (cut, best, now) in calibrate(classifier, items).items():
            print(f"  {tid:<28}{cut:>6.2f}{best:>8.3f}{now:>8.3f}")
    return 0


def _reclassify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.classify.store import count_stale, reclassify
    from bot.runtime import open_runtime

    classifier = default_classifier()

    async def run():
        async with open_runtime() as rt:
            total = await count_stale(rt.db, classifier.version, args.all)
            with tqdm(total=total, unit="item", file=sys.stderr, disable=total == 0) as bar:
                return await reclassify(rt.db, classifier, everything=args.all, batch_size=max(1, args.batch),
                                        progress=bar.update)

    result = asyncio.run(run())
    print(f"reclassified {result.examined} item(s) with {result.version}; {result.changed} changed themes or stance")
    return 0
