"""`briefbot poll --once` and `briefbot sources` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.feedserver import item, rss

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def publisher(tmp_path):
    """A feed server in its own process, since the CLI runs its own event loop."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "feed.xml").write_text(rss(item("Hotline talks", "http://example.org/h")), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(tmp_path / "site")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
    port = int(line.split(" port ")[1].split()[0])
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "BRIEFBOT_PARSE_WORKERS": "1"}
    env.pop("BRIEFBOT_FEEDS", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_poll_once_prints_a_summary_and_exits_0_even_when_a_feed_fails(tmp_path, publisher):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - {{name: Good, url: '{publisher}/feed.xml', kind: news}}\n"
        f"  - {{name: Missing, url: '{publisher}/missing.xml', kind: think-tank}}\n", encoding="utf-8")
    first = run(tmp_path, "poll", "--once", "--feeds", str(feeds))
    assert first.returncode == 0, first.stderr
    assert "1 ok, 0 not modified, 1 failed; 1 new items" in first.stdout
    assert "Missing" in first.stdout and "HTTP 404" in first.stdout
    second = run(tmp_path, "poll", "--once", "--feeds", str(feeds))
    assert "0 new items" in second.stdout

    table = run(tmp_path, "sources", "--feeds", str(feeds))
    assert table.returncode == 0 and "Good" in table.stdout and "HTTP 404 File not found" in table.stdout
    rows = json.loads(run(tmp_path, "sources", "--json", "--feeds", str(feeds)).stdout)
    by_name = {row["name"]: row for row in rows}
    assert by_name["Good"]["items"] == 1 and by_name["Good"]["last_status"] == "not_modified"
    assert by_name["Missing"]["last_status"] == "error" and by_name["Missing"]["last_error"].startswith("HTTP 404")
    assert {"name", "url", "items", "last_status", "last_error", "kind", "last_warning", "last_polled_at",
            "next_poll_at"} <= set(by_name["Good"])
    assert by_name["Good"]["next_poll_at"].endswith("Z")


def test_a_bad_feeds_file_is_one_clear_line_and_exit_2(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: X, url: 'ftp://nope', kind: news}\n", encoding="utf-8")
    result = run(tmp_path, "poll", "--once", "--feeds", str(feeds))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "must be an http:// or https:// URL" in result.stderr
    missing = run(tmp_path, "poll", "--once", "--feeds", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "feeds file not found" in missing.stderr


def test_sources_lists_configured_feeds_never_polled(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: Later, url: 'http://127.0.0.1:9/x', kind: news}\n", encoding="utf-8")
    result = run(tmp_path, "sources", "--feeds", str(feeds))
    assert result.returncode == 0 and "never polled" in result.stdout


def test_a_database_that_cannot_be_reached_is_one_clear_line_and_exit_2(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql://briefbot:secret@127.0.0.1:1/briefbot"}
    refused = subprocess.run([sys.executable, "-m", "bot", "sources"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "database postgresql+asyncpg://briefbot:***@127.0.0.1:1/briefbot: cannot connect" in refused.stderr
    assert "secret" not in refused.stderr
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    missing = subprocess.run([sys.executable, "-m", "bot", "sources"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "cannot connect (unable to open database file)" in missing.stderr
