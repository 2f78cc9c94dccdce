"""Rendering replies as Discord embeds: limits respected, feed text inert."""

from __future__ import annotations

import pytest

from bot.adapters import discord_render as r
from bot.reply import Citation, Entry, Reply, Section

HOSTILE = ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "<@123456789012345678>", "@&456", "</brief:1>"]


def all_text(messages: list[r.MessagePayload]) -> str:
    return str([embed.to_dict() for message in messages for embed in message.embeds])


def assert_within_limits(messages: list[r.MessagePayload]) -> None:
    for message in messages:
        assert 1 <= len(message.embeds) <= r.MAX_EMBEDS
        assert message.total_chars() <= r.MAX_TOTAL_CHARS
        for embed in message.embeds:
            assert len(embed.title or "") <= r.MAX_TITLE
            assert len(embed.description or "") <= r.MAX_DESCRIPTION
            assert len(embed.fields) <= r.MAX_FIELDS
            assert len(embed.footer.text or "") <= r.MAX_FOOTER
            for field in embed.fields:
                assert 0 < len(field.name) <= r.MAX_FIELD_NAME
                assert 0 < len(field.value) <= r.MAX_FIELD_VALUE


@pytest.mark.parametrize("mention", HOSTILE)
def test_mentions_in_feed_text_are_neutralised_everywhere(mention):
    reply = Reply(
        title=f"title {mention}", footer=f"footer {mention}",
        sections=(Section(heading=f"h {mention}", text=f"text {mention}", entries=(Entry(
            title=f"entry {mention}", text=f"body {mention}", meta=f"meta {mention}", badges=(mention,),
            citation=Citation(label=f"label {mention}", title=f"cite {mention}", url="https://example.org/c"),
            sources=((f"outlet {mention}", "https://example.org/s"),),
        ),)),),
    )
    assert mention not in all_text(r.render_reply(reply))


def test_neutralise_keeps_text_readable():
    assert r.neutralise("@everyone").replace("\u200b", "") == "@everyone"
    assert r.neutralise("<@123>").replace("\u200b", "") == "<@123>"


def test_markdown_in_feed_text_is_escaped():
    assert r.neutralise("**bold** _it_ `code` ~~s~~ ||spoiler||") == r"\*\*bold\*\* \_it\_ \`code\` \~\~s\~\~ \|\|spoiler\|\|"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "not a url", ""])
def test_only_http_links_become_links(url):
    assert r.safe_url(url) is None


def test_a_url_cannot_break_out_of_its_markdown_link():
    assert r.link("x", "https://example.org/a) [evil](https://evil.example") == \
        "[x](https://example.org/a%29%20[evil]%28https://evil.example)"


def test_500_entries_split_into_messages_and_trim_with_and_n_more():
    entries = tuple(Entry(title=f"Item {i}", text="word " * 40, url=f"https://example.org/{i}") for i in range(500))
    messages = r.render_reply(Reply(title="Latest", sections=(Section(entries=entries),)), max_messages=3)
    assert len(messages) == 3
    assert_within_limits(messages)
    shown = sum(len(embed.fields) for message in messages for embed in message.embeds)
    footer = messages[-1].embeds[-1].footer.text
    assert footer == f"…and {500 - shown} more"


def test_10kb_texts_are_trimmed_within_field_and_description_limits():
    big = "y" * 10_000
    reply = Reply(title=big, footer=big, sections=(
        Section(heading=big, text=big, entries=(Entry(title=big, text=big, meta=big, url="https://example.org"),) * 30, more=7),
        Section(heading="second", text=big),
    ))
    messages = r.render_reply(reply)
    assert_within_limits(messages)
    assert any(embed.fields for message in messages for embed in message.embeds)
    assert "more" in messages[-1].embeds[-1].footer.text


def test_entry_keeps_its_link_and_source_when_the_body_is_cut():
    name, value = r.entry_field(Entry(title="T", text="z" * 5000, url="https://example.org/a",
                                      citation=Citation(label="TIME, 2025", title="Source", url="https://example.org/s")))
    assert len(value) <= r.MAX_FIELD_VALUE
    assert "[link](https://example.org/a)" in value and "[Source](https://example.org/s) (TIME, 2025)" in value


def test_section_more_is_shown_as_and_n_more():
    messages = r.render_reply(Reply(title="Latest", sections=(Section(entries=(Entry(title="a"),), more=12),)))
    assert messages[-1].embeds[-1].footer.text == "…and 12 more"


def test_one_message_at_most_when_asked():
    entries = tuple(Entry(title=f"Item {i}", text="w" * 900) for i in range(100))
    messages = r.render_reply(Reply(title="Digest", sections=(Section(entries=entries),)), max_messages=1)
    assert len(messages) == 1
    assert_within_limits(messages)


def test_reply_kind_sets_the_colour():
    assert r.render_reply(Reply(title="oops", kind="error"))[0].embeds[0].colour == r.COLOURS["error"]
