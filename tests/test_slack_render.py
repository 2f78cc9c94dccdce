"""Rendering replies as Slack messages: escaping, links, and Slack's size limits."""

from __future__ import annotations

import json
import re

import pytest

from bot.adapters.slack_render import (
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_MESSAGES,
    MAX_SECTION_CHARS,
    SHARE_ACTION_ID,
    escape,
    link,
    render_reply,
    safe_url,
)
from bot.reply import Citation, Entry, Reply, Section

HOSTILE = ["<!channel>", "<@U123>", "<https://evil.example|click>", "&lt;!here&gt;", "@everyone", "@here", "<!subteam^S1>"]


def all_texts(messages) -> list[str]:
    """Every string Slack would parse for markup: top-level text and every text in every block."""
    texts: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return texts


def hostile_reply(text: str) -> Reply:
    return Reply(
        title=text,
        sections=(
            Section(
                heading=text,
                text=text,
                entries=(
                    Entry(
                        title=text,
                        url="https://example.org/x",
                        text=text,
                        meta=text,
                        badges=(text,),
                        citation=Citation(label=text, title=text, url="https://example.org/c"),
                        sources=((text, "https://example.org/s"),),
                    ),
                ),
            ),
        ),
        footer=text,
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_feed_text_never_becomes_a_mention_or_a_link(hostile):
    messages = render_reply(hostile_reply(hostile))
    for text in all_texts(messages):
        assert "<!" not in text
        assert "<@" not in text
        assert "<https://evil" not in text
        assert "&lt;!here&gt;" not in text.replace("&amp;lt;!here&amp;gt;", "")
        assert not re.search(r"@(everyone|here|channel)\b", text)
        # The only links are the ones built from validated URLs.
        for target in re.findall(r"<([^>|]*)\|", text):
            assert target.startswith("https://example.org/")


def test_escaping_keeps_the_text_readable():
    assert escape("AI & export <controls>") == "AI &amp; export &lt;controls&gt;"
    assert escape("ping @here now") == "ping @\u200bhere now"


def test_links_only_from_http_urls_and_labels_lose_the_pipe():
    assert link("https://example.org/a?x=1&y=2", "A | B <c>") == "<https://example.org/a?x=1&amp;y=2|A ¦ B &lt;c&gt;>"
    assert link("javascript:alert(1)", "x") == "x"
    assert link("https://evil.example|click", "x") == "x"
    assert link("https://ok.example/<!channel>", "x") == "x"
    assert link(None, "plain") == "plain"
    assert safe_url("ftp://example.org/file") is None


def test_short_reply_is_one_message_with_header_and_fallback_text():
    reply = Reply(title="Fact: hotline", sections=(Section(entries=(Entry(title="Hotline agreed", url="https://example.org/h"),)),))
    [message] = render_reply(reply)
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Fact: hotline", "emoji": False}}
    assert "<https://example.org/h|Hotline agreed>" in message["blocks"][1]["text"]["text"]
    assert message["text"].startswith("Fact: hotline")


def test_share_button_only_for_private_shareable_replies():
    reply = Reply(title="t", shareable=True)
    [message] = render_reply(reply, share_value="/brief fact hotline")
    button = message["blocks"][-1]["elements"][0]
    assert button["action_id"] == SHARE_ACTION_ID and button["value"] == "/brief fact hotline"
    [public] = render_reply(Reply(title="t", shareable=True, private=False), share_value="/brief fact x")
    assert all(b["type"] != "actions" for b in public["blocks"])


def test_shared_reply_is_attributed_to_the_sharer_and_never_to_fake_ids():
    [message] = render_reply(Reply(title="t", private=False), shared_by="U2ABC")
    assert message["blocks"][1]["elements"][0]["text"] == "Shared by <@U2ABC>"
    [fake] = render_reply(Reply(title="t", private=False), shared_by="<!channel>")
    assert "<" not in fake["blocks"][1]["elements"][0]["text"]


def test_500_entries_with_10kb_texts_are_split_within_every_limit_and_the_rest_counted():
    entries = tuple(Entry(title=f"Item {i}", text="y&" * 5_000, url=f"https://example.org/{i}") for i in range(500))
    reply = Reply(title="T" * 400, sections=(Section(heading="Items", entries=entries, more=7),), footer="f" * 5000, shareable=True)
    messages = render_reply(reply, share_value="/brief latest")
    assert 1 < len(messages) <= MAX_MESSAGES
    shown = 0
    for message in messages:
        assert len(message["blocks"]) <= MAX_BLOCKS
        assert len(json.dumps(message)) < 40_000
        assert sum(len(t) for t in all_texts(message)) <= 16_000
        for block in message["blocks"]:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= MAX_HEADER_CHARS
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
                shown += block["text"]["text"].startswith("*<https://example.org/")
            if block["type"] == "context":
                assert all(len(el["text"]) <= 3000 for el in block["elements"])
    last_texts = [b["elements"][0]["text"] for b in messages[-1]["blocks"] if b["type"] == "context"]
    assert f"…and {500 - shown + 7} more" in last_texts
    assert messages[-1]["blocks"][-1]["type"] == "actions"  # the share button survives the trimming


def test_long_section_text_is_spread_over_blocks_not_cut():
    reply = Reply(title="t", sections=(Section(text="word " * 2000),))
    [message] = render_reply(reply)
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 4
    assert sum(len(b["text"]["text"]) for b in sections) == len("word " * 2000)


def test_entities_are_never_cut_in_half():
    reply = Reply(title="&" * 400, sections=(Section(entries=(Entry(title="t", text="&" * 9000),)),))
    for text in all_texts(render_reply(reply)):
        assert not re.search(r"&(a|am|amp)?…", text)
