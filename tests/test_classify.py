"""The theme classifier: themes, relevance, stance, evidence, and bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from bot.classify import Classification, Classifier, classifier_version, classify
from bot.classify.theme_file import DEFAULT_THEME_FILE, load_theme_file
from bot.errors import ConfigError
from bot.themes import THEME_IDS


def test_an_export_control_rule_is_export_controls_and_relevant() -> None:
    c = classify(
        "US tightens AI chip export controls on China",
        "The Bureau of Industry and Security added 12 Chinese firms to the entity list.",
    )
    assert c.relevant
    assert "export-controls-compute" in c.themes
    assert c.scores["export-controls-compute"] >= 0.5


def test_a_product_launch_gets_no_theme() -> None:
    c = classify("OpenAI launches a new model with pricing plans", "The model is now available to subscribers.")
    assert c == Classification((), c.scores, None, False, (), c.version)


def test_chip_earnings_that_mention_china_in_passing_are_off_topic() -> None:
    c = classify("Nvidia beats earnings expectations", "Record quarterly revenue; China sales were a small share. Shares rose 5%.")
    assert not c.relevant


def test_us_china_trade_talks_without_ai_are_off_topic() -> None:
    c = classify("US and China resume trade talks", "Negotiators discussed tariffs and soybean purchases in Geneva.")
    assert not c.relevant


def test_trade_news_beside_an_ai_export_rule_in_the_title_does_not_cancel_it() -> None:
    # The title states the main subject in a decisive phrase; the summary's tariffs, earnings and
    # TikTok weigh against relevance in general, not against the theme the title names.
    c = classify(
        "Washington adds AI chip export controls to its tariff package",
        "Shares fell on the tariffs and the rare earths dispute; the TikTok deal and soybean purchases "
        "were also in the package, and chipmakers cut earnings guidance.",
    )
    assert c.themes == ("export-controls-compute",)


def test_a_trade_deal_whose_summary_names_export_controls_stays_off_topic() -> None:
    c = classify(
        "US and China agree to a trade truce with a tariff cut and a rare-earths pause",
        "Beijing delayed its rare-earth export controls and pledged soybean purchases; "
        "Nvidia's Blackwell chips were not discussed.",
    )
    assert not c.relevant


def test_an_item_can_carry_several_themes_in_the_fixed_order() -> None:
    c = classify(
        "Revive the US-China AI dialogue",
        "Washington and Beijing should restart talks on AI risk and build trust between standards bodies such as TC260 and NIST.",
    )
    assert {"us-china-dialogue", "standards-evaluations"} <= set(c.themes)
    assert list(c.themes) == [t for t in THEME_IDS if t in c.themes]


def test_every_theme_has_a_score_between_zero_and_one() -> None:
    c = classify("Politburo study session on AI", "Xi Jinping warned of unprecedented risks from artificial intelligence.")
    assert set(c.scores) == set(THEME_IDS)
    assert all(0.0 <= s <= 1.0 for s in c.scores.values())
    assert "china-ai-governance" in c.themes


def test_an_op_ed_for_maximum_pressure_has_the_pressure_stance() -> None:
    c = classify(
        "Trump should use maximum pressure before any AI deal with China",
        "Tighten export controls and close loopholes to widen the gap before talks; Beijing cannot be trusted to keep commitments.",
    )
    assert c.relevant and c.stance == "pressure"


def test_an_op_ed_for_dialogue_has_the_engagement_stance() -> None:
    c = classify(
        "Washington and Beijing should revive their AI dialogue",
        "Shared risks such as bioweapon uplift call for cooperation; the two sides could build trust and work together.",
    )
    assert c.relevant and c.stance == "engagement"


def test_news_without_argument_is_neutral() -> None:
    c = classify("Commerce adds Chinese chipmakers to the entity list", "The rule takes effect on Friday, the department said.")
    assert c.stance == "neutral"


def test_the_evidence_shows_the_sentence_that_decided_it() -> None:
    c = classify(
        "Weekly roundup",
        "Markets were calm. Officials said the new rule closes a loophole in AI chip export controls. Weather was fine.",
    )
    assert "export-controls-compute" in c.themes
    assert any("export controls" in e for e in c.evidence)
    assert all(len(e) <= 162 and "<" not in e for e in c.evidence)


def test_the_pronoun_us_is_not_the_united_states() -> None:
    c = classify("Let us talk about AI with China", "It matters for all of us.")
    assert "us-china-dialogue" not in c.themes


def test_the_pronoun_i_is_not_ai_but_the_spelling_a_i_is() -> None:
    # Split at its dots, "A.I." would be the word "I": every first-person op-ed would be about AI.
    assert classify("Why I think Washington and Beijing must resume talks",
                    "I argue the two presidents should meet again and agree a new channel.").themes == ()
    assert "us-china-dialogue" in classify("Washington and Beijing must hold A.I. talks", "").themes


def test_the_word_most_is_not_chinas_science_ministry() -> None:
    result = classify("Getty loses most of its UK case against Stability AI",
                      "The High Court found the model weights did not store copies of the photographs.")
    assert not result.relevant


def test_los_angeles_is_not_losing_the_race() -> None:
    result = classify("Los Angeles studios sue Chinese AI video app", "The suit says the app copies their characters.")
    assert "capability-race" not in result.themes


def test_a_smuggling_scheme_is_not_a_scheming_model() -> None:
    result = classify("Prosecutors charge three in AI chip smuggling scheme",
                      "The scheme routed Nvidia GPUs to China through Malaysia.")
    assert result.themes == ("export-controls-compute",)


def test_a_series_of_articles_is_not_a_funding_round() -> None:
    title = "How Washington tracks chips"
    summary = "The third part of our {} on export enforcement follows Nvidia GPUs smuggled into China."
    assert classify(title, summary.format("series")).scores == classify(title, summary.format("run")).scores


@pytest.mark.parametrize(
    "title, summary",
    [
        ("", ""),
        ("", "AI export controls on chips tightened."),
        ("Export controls on AI chips", ""),
        ("x" * 100_000, "y " * 50_000),
        ("<h1>AI <b>export controls</b></h1>", "<script>alert(1)</script><p>Chips &amp; the entity list</p>"),
        ("🚀🔥 AI chips \x00\x07\x1b[31m", "\u200b\ufeff control \x7f characters"),
        ("美国收紧对华人工智能芯片出口管制", "美国商务部将多家中国企业列入实体清单。"),
        ("今天天气很好", "我们去公园散步吧。"),
    ],
)
def test_bad_input_never_crashes(title: str, summary: str) -> None:
    c = classify(title, summary)
    assert set(c.scores) == set(THEME_IDS)
    assert all(len(e) <= 162 for e in c.evidence)


def test_chinese_items_get_a_correct_theme_or_none() -> None:
    assert "export-controls-compute" in classify("美国收紧对华人工智能芯片出口管制", "美国商务部将多家中国企业列入实体清单。").themes
    assert classify("今天天气很好", "我们去公园散步吧。").themes == ()


def test_markup_is_never_evidence() -> None:
    c = classify("Report", "<p>The <b>Bureau of Industry and Security</b> tightened <i>AI chip</i> export controls.</p>")
    assert c.evidence and all("<" not in e and "&" not in e for e in c.evidence)


def test_a_hundred_kilobytes_of_text_is_read_only_up_to_a_limit() -> None:
    c = classify("Export controls on AI chips", "filler " * 15_000 + "bioweapon uplift " * 100)
    assert "export-controls-compute" in c.themes
    assert "cbrn-cyber-misuse" not in c.themes


def test_classification_is_deterministic_and_picklable() -> None:
    a = classify("US tightens AI chip export controls", "Entity list additions.")
    assert a == classify("US tightens AI chip export controls", "Entity list additions.")
    assert pickle.loads(pickle.dumps(a)) == a
    assert pickle.loads(pickle.dumps(classify)) is classify


def test_the_version_names_the_theme_file(tmp_path: Path) -> None:
    copy = tmp_path / "themes.yaml"
    copy.write_text(DEFAULT_THEME_FILE.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    assert Classifier.load(copy).version != classifier_version()
    assert classify("a", "b").version == classifier_version()
    assert len(classifier_version()) <= 40


def _theme_file_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEFAULT_THEME_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "themes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_an_unknown_theme_id_is_an_error_naming_the_entry(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2].update(id="chip-race"))
    with pytest.raises(ConfigError, match=r"themes\[2\] \(chip-race\): id: unknown theme id"):
        load_theme_file(path)


def test_a_missing_theme_is_an_error(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"].pop())
    with pytest.raises(ConfigError, match="missing theme.*multilateral-governance"):
        load_theme_file(path)


def test_a_malformed_weight_is_an_error_naming_the_entry_and_field(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][1]["phrases"].update({"entity list": "lots"}))
    with pytest.raises(ConfigError, match=r"themes\[1\] \(export-controls-compute\): phrases: 'entity list': must be a number"):
        load_theme_file(path)


def test_an_unknown_context_group_is_an_error(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][0].update(requires=["ai", "mars"]))
    with pytest.raises(ConfigError, match=r"themes\[0\] \(us-china-dialogue\): requires: unknown context group 'mars'"):
        load_theme_file(path)


def test_a_phrase_ending_in_a_skipped_article_is_an_error_naming_it(tmp_path: Path) -> None:
    # Matching skips "a", "an" and "the": "series a" would silently match every "series".
    path = _theme_file_with(tmp_path, lambda d: d["off_topic"].update({"series a": 1.5}))
    with pytest.raises(ConfigError, match=r"off_topic: 'series a': ends in 'a', which matching skips"):
        Classifier.load(path)
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2]["phrases"].update({"the": 1.0}))
    with pytest.raises(ConfigError, match=r"themes\[2\] \(capability-race\): phrases: 'the': has no word that matching reads"):
        Classifier.load(path)


def test_an_article_inside_a_phrase_is_skipped_on_both_sides(tmp_path: Path) -> None:
    def only_phrase(d) -> None:
        d["themes"][2].update(requires=[], rules=[], phrases={"narrow the gap": 2.0})
        d["relevance_requires"] = []
    classifier = Classifier.load(_theme_file_with(tmp_path, only_phrase))
    for title in ("Labs narrow the gap", "Labs narrow a gap", "Labs narrow gap"):
        assert classifier.classify("", title).scores["capability-race"] == 0.5, title


def test_a_file_that_is_not_yaml_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "themes.yaml"
    path.write_text("themes: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_theme_file(path)


def test_a_phrase_written_twice_in_one_theme_is_an_error_naming_it(tmp_path: Path) -> None:
    # YAML itself would keep the later weight without a word.
    text = DEFAULT_THEME_FILE.read_text(encoding="utf-8")
    path = tmp_path / "themes.yaml"
    path.write_text(text.replace("      race with China: 2.0\n", "      race with China: 2.0\n      race with China: 0.5\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: 'race with China' is written twice"):
        load_theme_file(path)


def test_the_bundled_theme_file_defines_every_theme_with_examples() -> None:
    tf = load_theme_file()
    assert tuple(t.id for t in tf.themes) == THEME_IDS
    for theme in tf.themes:
        assert theme.description and theme.phrases and theme.examples


def test_the_theme_files_own_examples_are_classified_as_their_theme() -> None:
    tf = load_theme_file()
    missed = [(t.id, ex) for t in tf.themes for ex in t.examples if t.id not in classify(ex, "").themes]
    assert len(missed) <= len([ex for t in tf.themes for ex in t.examples]) // 4, missed


def test_a_title_that_implies_the_country_race_without_naming_it_is_capability_race() -> None:
    result = classify("Washington's AI safety crowd is helping China win", "")
    assert "capability-race" in result.themes


def test_ai_help_for_bioterrorists_is_misuse_even_without_a_listed_phrase() -> None:
    result = classify("Chinese open models are a gift to would-be bioterrorists", "")
    assert "cbrn-cyber-misuse" in result.themes


def test_a_pledge_about_humans_controlling_nuclear_launch_is_arms_control() -> None:
    result = classify("Can anyone verify a pledge to keep humans in control of nuclear launch?", "")
    assert "arms-control-verification" in result.themes


def test_a_model_that_ignores_its_shutdown_command_is_loss_of_control() -> None:
    result = classify("Lab test: reasoning model bypasses shutdown instructions",
                      "Evaluators say the model edited a script so that a shutdown command would not run.")
    assert result.themes == ("loss-of-control",)


def test_a_human_rights_treaty_on_ai_is_multilateral_not_arms_control() -> None:
    result = classify("Three more states sign the Council of Europe AI treaty",
                      "The Framework Convention on AI and human rights now has sixteen signatories.")
    assert "multilateral-governance" in result.themes
    assert "arms-control-verification" not in result.themes


def test_quarterly_gpu_demand_is_market_news_not_export_controls() -> None:
    result = classify("Chipmaker tops Q3 forecasts as Blackwell GPU demand outruns supply",
                      "Data center revenue again drove the quarter.")
    assert not result.relevant


def test_who_hosts_the_worlds_ai_supercomputers_is_about_compute() -> None:
    result = classify("Most AI supercomputer capacity sits in the US, with China second",
                      "A tracker of GPU clusters puts three quarters of global performance in America.")
    assert "export-controls-compute" in result.themes


def test_crisis_controls_for_ai_between_the_two_governments_are_incident_response() -> None:
    result = classify("US and China discuss AI crisis controls before the leaders meet", "")
    assert "incident-response" in result.themes
    assert "us-china-dialogue" in result.themes


def test_a_market_share_is_not_a_shared_interest() -> None:
    result = classify("US keeps its lead over China in AI, report says",
                      "The authors argue America's share of frontier compute hides weaker positions elsewhere.")
    assert result.stance != "engagement"


def test_age_checks_for_chatbot_users_are_consumer_news_not_verification() -> None:
    result = classify("Chatbot maker adds age verification for adult content",
                      "Verified adult users will be able to turn off some filters, the company said.")
    assert not result.relevant


def test_a_safety_institute_is_a_standards_body_whatever_its_country_calls_it() -> None:
    result = classify("Canada opens its Artificial Intelligence Safety Institute", "")
    assert "standards-evaluations" in result.themes


def test_a_model_that_rewrites_its_own_code_to_run_longer_is_loss_of_control() -> None:
    result = classify("Research agent modified its own code to extend its time limit",
                      "The AI system edited its experiment script so that it would relaunch itself.")
    assert "loss-of-control" in result.themes


def test_a_capture_the_flag_benchmark_for_models_is_cyber_misuse_and_evaluation() -> None:
    result = classify("New benchmark measures the cybersecurity capabilities of language models",
                      "Researchers built 40 capture-the-flag tasks to evaluate AI agents.")
    assert {"cbrn-cyber-misuse", "standards-evaluations"} <= set(result.themes)


def test_chinas_national_security_commission_on_ai_is_not_a_meeting_with_washington() -> None:
    result = classify("China's leaders warn of AI risks",
                      "At a Central National Security Commission meeting under Xi Jinping, leaders called for "
                      "AI safety governance and early warning of risks.")
    assert "china-ai-governance" in result.themes
    assert "us-china-dialogue" not in result.themes


def test_a_chip_keynote_without_controls_or_china_is_product_news() -> None:
    result = classify("Nvidia keynote: Blackwell Ultra ships this year",
                      "The CEO also previewed the next GPU architecture and new AI software for data centers.")
    assert not result.relevant


def test_a_chief_executives_agi_forecast_is_not_a_loss_of_control_warning() -> None:
    result = classify("Tech investor expects artificial general intelligence within ten years",
                      "He said AGI would arrive within a decade and that his firm wants to be its biggest user.")
    assert "loss-of-control" not in result.themes


def test_an_op_ed_against_the_zero_sum_race_story_argues_for_engagement() -> None:
    result = classify("The AI arms race with China isn't inevitable",
                      "The author argues that the zero-sum framing could become self-fulfilling.")
    assert result.stance == "engagement"


def test_an_op_ed_that_calls_the_dialogue_a_stall_tactic_argues_for_pressure() -> None:
    result = classify("The US-China AI dialogue is a trap",
                      "The author calls the talks a stall tactic whose real aim is to weaken chip controls.")
    assert result.stance == "pressure"


def test_unesco_meetings_on_ai_are_multilateral() -> None:
    result = classify("UNESCO gathers ministers on the ethics of artificial intelligence", "")
    assert result.themes == ("multilateral-governance",)


def test_the_white_house_as_the_source_of_a_statement_is_not_us_policy() -> None:
    result = classify("Biden and Xi agree humans must control nuclear weapons decisions, White House says",
                      "The leaders said military AI should be developed with care.")
    assert "us-ai-policy" not in result.themes
    assert {"us-china-dialogue", "arms-control-verification"} <= set(result.themes)


def test_leading_the_talks_is_not_a_lead_in_the_race() -> None:
    result = classify("Envoys will lead new US-China AI talks",
                      "The two superpowers agreed that senior officials will lead a channel on AI risks.")
    assert "us-china-dialogue" in result.themes
    assert "capability-race" not in result.themes


def test_a_ranking_lead_still_is_the_race() -> None:
    result = classify("Washington says America is in the lead on AI, but China's models are catching up", "")
    assert "capability-race" in result.themes


def test_models_that_copy_themselves_to_avoid_shutdown_are_loss_of_control() -> None:
    result = classify("Lab finds open models replicated themselves to avoid shutdown", "")
    assert "loss-of-control" in result.themes


def test_talks_to_prevent_an_arms_race_with_china_are_not_the_race_itself() -> None:
    result = classify("America should open AI talks to prevent an AI arms race with China", "")
    assert "us-china-dialogue" in result.themes
    assert "capability-race" not in result.themes


def test_a_race_between_two_labs_is_not_the_country_race() -> None:
    result = classify("Google and OpenAI race to lead in AI agents",
                      "The two labs are fighting to win developers, and neither wants to fall behind.")
    assert "capability-race" not in result.themes


def test_a_concept_rule_with_an_unknown_group_is_an_error_naming_the_rule(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2].update(rules=[{"all": ["ai", "mars"], "weight": 1.0}]))
    with pytest.raises(ConfigError, match=r"themes\[2\] \(capability-race\): rules\[0\]\.all: unknown context group 'mars'"):
        load_theme_file(path)


def test_a_concept_rule_with_an_unknown_field_is_an_error(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2].update(rules=[{"all": ["ai"], "wieght": 1.0}]))
    with pytest.raises(ConfigError, match=r"themes\[2\] \(capability-race\): rules\[0\]: wieght: unknown field"):
        load_theme_file(path)


def test_a_concept_rule_needs_groups_that_must_all_occur(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2].update(rules=[{"none": ["ai"], "weight": 1.0}]))
    with pytest.raises(ConfigError, match=r"rules\[0\]: all: must list at least one context group"):
        load_theme_file(path)


def test_a_concept_rule_names_actors_and_topic_together(tmp_path: Path) -> None:
    def only_rules(d) -> None:
        d["contexts"]["planet"] = ["Mars", "Martian"]
        d["contexts"]["probe"] = ["rover", "lander"]
        d["themes"][0]["rules"] = [{"all": ["planet", "probe"], "weight": 3.0}]
        d["themes"][0]["requires"] = []
        d["relevance_requires"] = []
    classifier = Classifier.load(_theme_file_with(tmp_path, only_rules))
    assert "us-china-dialogue" in classifier.classify("A lander reaches Mars", "").themes
    assert "us-china-dialogue" not in classifier.classify("A lander reaches the Moon", "").themes


def test_a_title_only_rule_ignores_the_same_concepts_in_the_summary(tmp_path: Path) -> None:
    def title_rule(d) -> None:
        d["contexts"]["planet"] = ["Mars", "Martian"]
        d["contexts"]["probe"] = ["rover", "lander"]
        d["themes"][0]["rules"] = [{"all": ["planet", "probe"], "title": True, "weight": 3.0}]
        d["themes"][0]["requires"] = []
        d["relevance_requires"] = []
    classifier = Classifier.load(_theme_file_with(tmp_path, title_rule))
    assert "us-china-dialogue" in classifier.classify("A lander reaches Mars", "").themes
    assert "us-china-dialogue" not in classifier.classify("Space news", "A lander reaches Mars.").themes


def test_a_rule_title_flag_must_be_true_or_false(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d["themes"][2].update(rules=[{"all": ["ai"], "title": "yes"}]))
    with pytest.raises(ConfigError, match=r"themes\[2\] \(capability-race\): rules\[0\]\.title: must be true or false"):
        load_theme_file(path)


def test_a_us_preemption_debate_that_cites_china_is_us_policy_only() -> None:
    c = classify(
        "Congress weighs preemption of state AI laws",
        "Lawmakers are debating a federal moratorium on state AI rules; supporters say a patchwork "
        "of state regulations would let China win the AI race.",
    )
    assert c.themes == ("us-ai-policy",)


def test_plain_news_of_tighter_export_controls_is_neutral() -> None:
    c = classify(
        "US tightens export controls to close loopholes in AI chip sales to China",
        "New BIS rules add Chinese firms to the entity list and crack down on smuggling through third countries.",
    )
    assert c.themes == ("export-controls-compute",)
    assert c.stance == "neutral"


def test_chinese_model_releases_are_product_news_not_the_country_race() -> None:
    c = classify("Alibaba releases new Qwen models that top open-source leaderboards",
                 "The open-weight family beats rival models on coding and maths benchmarks.")
    assert not c.relevant


def test_a_theme_only_the_summary_lists_is_held_to_a_higher_share(tmp_path: Path) -> None:
    title, summary = ("US and Chinese AI experts kept talking through the freeze",
                      "Track 2 sessions covered loss-of-control risk and AI-enabled cyberattacks.")

    def themes_with(ratio: float) -> tuple[str, ...]:
        data = yaml.safe_load(DEFAULT_THEME_FILE.read_text(encoding="utf-8"))
        data["summary_only_ratio"] = ratio
        path = tmp_path / f"ratio-{ratio}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return Classifier.load(path).classify(title, summary).themes

    assert "us-china-dialogue" in themes_with(0.0) and len(themes_with(0.0)) > 1
    assert themes_with(1.0) == ("us-china-dialogue",)


def test_spellings_that_fold_to_the_same_words_count_once_at_the_highest_weight(tmp_path: Path) -> None:
    def spellings(d) -> None:
        d["themes"][4]["requires"] = []
        d["themes"][4]["rules"] = []
        d["relevance_requires"] = []
        d["themes"][4]["phrases"] = {"hacker": 0.5, "hackers": 1.0, "Hackers": 0.25}
    classifier = Classifier.load(_theme_file_with(tmp_path, spellings))
    scale = classifier.theme_file.scale
    score = classifier.classify("News", "Hackers struck again.").scores["cbrn-cyber-misuse"]
    assert score == round(1.0 / (1.0 + scale), 4)  # not 1.75: one phrase, its highest weight


def test_a_light_word_in_the_title_does_not_make_the_title_about_its_theme() -> None:
    # "frontier" leans towards the race only faintly; the title is about a US order for testing,
    # and the race named in the summary's last clause is context.
    result = classify("Trump signs executive order for voluntary testing of frontier models before release",
                      "Under the order, CAISI may test new models for up to 30 days before release; an earlier "
                      "draft stalled over fears of slowing the race with China.")
    assert {"us-ai-policy", "standards-evaluations"} <= set(result.themes)
    assert "capability-race" not in result.themes


def test_defence_chiefs_talking_about_taiwan_without_ai_are_off_topic() -> None:
    result = classify("US and Chinese defence chiefs meet after leaders' summit",
                      "The two defense chiefs discussed Taiwan and the South China Sea in their first meeting.")
    assert not result.relevant


def test_an_ai_information_sharing_center_is_incident_response() -> None:
    result = classify("Officials say an AI information sharing and analysis center is still being planned",
                      "CISA says the AI-ISAC named in the AI Action Plan has no launch date yet.")
    assert "incident-response" in result.themes


def test_another_countrys_ministry_is_not_chinas_government() -> None:
    result = classify("South Korea's science ministry enforces labelling of AI-generated content",
                      "Firms must watermark AI output under the new law, the ministry said.")
    assert "china-ai-governance" not in result.themes


def test_an_arms_race_named_as_a_fear_is_not_a_claim_about_who_leads() -> None:
    result = classify("US-China AI talks are needed as fears of an arms race grow",
                      "Officials in Washington and Beijing want a channel on military AI risks.")
    assert "us-china-dialogue" in result.themes
    assert "capability-race" not in result.themes


def test_jailbreak_testing_of_a_model_is_an_evaluation() -> None:
    result = classify("Researchers jailbreak a Chinese model with every prompt they try",
                      "Testing with HarmBench gave a 100% attack success rate against DeepSeek's reasoning model.")
    assert "standards-evaluations" in result.themes


POLITICS_WITHOUT_AI = ("GOP leaders say the White House budget bill will pass the Senate",
                      "Republicans in Congress scheduled a hearing; Democrats vowed to fight the proposal.")


def test_politics_news_without_any_ai_term_is_off_topic() -> None:
    # Every theme is about AI: Congress, the White House and a hearing are not enough.
    result = classify(*POLITICS_WITHOUT_AI)
    assert not result.relevant
    assert result.themes == () and set(result.scores.values()) == {0.0}


def test_a_border_between_two_countries_is_not_frontier_ai() -> None:
    result = classify("A library straddles the frontier between the US and Canada",
                      "The building is a symbol of cooperation between the two countries; their leaders met there.")
    assert not result.relevant


def test_a_chip_term_alone_is_enough_ai_context_for_export_controls() -> None:
    result = classify("Commerce adds Chinese chipmakers to the entity list",
                      "The rule restricts exports of semiconductor manufacturing equipment to SMIC.")
    assert result.themes == ("export-controls-compute",)


def test_a_lab_named_only_by_its_name_is_an_ai_item() -> None:
    result = classify("xAI's new safety framework is weak, a researcher says",
                      "Its misalignment trigger relies on a single benchmark score.")
    assert "standards-evaluations" in result.themes


def test_relevance_requires_names_known_context_groups(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d.update(relevance_requires=["ai|mars"]))
    with pytest.raises(ConfigError, match=r"relevance_requires: unknown context group 'mars'"):
        load_theme_file(path)
    path = _theme_file_with(tmp_path, lambda d: d.update(relevance_requires="ai"))
    with pytest.raises(ConfigError, match=r"relevance_requires: must be a list of context groups"):
        load_theme_file(path)


def test_without_relevance_requires_a_theme_needs_no_ai_term(tmp_path: Path) -> None:
    path = _theme_file_with(tmp_path, lambda d: d.pop("relevance_requires"))
    assert Classifier.load(path).classify(*POLITICS_WITHOUT_AI).scores["us-ai-policy"] > 0


def test_experts_meeting_behind_closed_doors_are_not_behind_in_the_race() -> None:
    result = classify("US and Chinese AI researchers met behind closed doors",
                      "Scientists from both countries discussed AI safety research in Geneva.")
    assert "us-china-dialogue" in result.themes
    assert "capability-race" not in result.themes


def test_rivals_setting_aside_their_rivalry_is_not_the_race() -> None:
    result = classify("Chinese AI experts share Washington's fears",
                      "Researchers argue the US and China should set aside their rivalry to manage frontier AI risks.")
    assert "capability-race" not in result.themes


def test_naming_us_officials_does_not_make_an_ai_scam_us_policy() -> None:
    result = classify("State Department looks into impostor who used AI to mimic Rubio's voice",
                      "The fake messages reached foreign ministers, a governor and a member of Congress.")
    assert "us-ai-policy" not in result.themes


def test_a_chinese_ai_statute_is_not_us_policy() -> None:
    result = classify("Tsinghua scholar proposes a national AI law for China",
                      "The legislation would move AI governance from soft law to a statute.")
    assert "china-ai-governance" in result.themes
    assert "us-ai-policy" not in result.themes


def test_aseans_ai_governance_guide_is_multilateral() -> None:
    result = classify("ASEAN ministers expand the bloc's guide on AI governance", "")
    assert result.themes == ("multilateral-governance",)


def test_autonomous_weapons_talks_under_the_weapons_convention_are_multilateral_arms_control() -> None:
    result = classify("Diplomats at the CCW Group of Governmental Experts debate lethal autonomous weapons",
                      "Dozens of states said they are ready to negotiate a treaty on human control.")
    assert {"arms-control-verification", "multilateral-governance"} <= set(result.themes)


def test_agents_that_launch_copies_of_themselves_are_loss_of_control() -> None:
    result = classify("AI agents can start working copies of themselves, lab finds", "")
    assert "loss-of-control" in result.themes


def test_a_product_battlefield_is_not_the_military() -> None:
    result = classify("Tencent joins the text-to-video battlefield with a new AI model", "")
    assert "arms-control-verification" not in result.themes
