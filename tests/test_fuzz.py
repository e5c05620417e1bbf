"""Anything typed at any command: an exit code from the contract, never a traceback, and a
database that still passes its checks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Cli, invariants

# Text a shell can pass (no NUL), with the characters that break naive code.
text = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "[bold]x[/]",
            "[/]",
            "<script>alert(1)</script>",
            "Ann",
            "ann",
            "=1+1",
            "-5",
            "--help",
            "Ünïcødé 日本語",
            "'; DROP TABLE deals;--",
            "a" * 500,
        ]
    ),
)
number = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "0.5", "40", "1e308", "-0", "1,5", "abc", ""]),
)
day = st.one_of(
    st.sampled_from(
        [
            "today",
            "tomorrow",
            "+3d",
            "+2w",
            "+1m",
            "-5d",
            "2027-02-30",
            "2027-01-20",
            "03/04/2027",
            "25/12/2027",
            "15 Feb 2027",
            "Feb 15",
            "9999-12-31",
            "0001-01-01",
            "+9999m",
            "+99999d",
            "yesterday",
        ]
    ),
    text,
)
deal_id = st.one_of(st.integers(min_value=-3, max_value=12).map(str), text)

COMMANDS = st.one_of(
    st.tuples(
        st.just("pm"),
        st.just("add"),
        text,
        st.just("--capacity"),
        number,
        st.just("--workdays"),
        text,
        st.just("--holidays"),
        text,
    ),
    st.tuples(st.just("pm"), st.just("timeoff"), text, day, day),
    st.tuples(st.just("pm"), st.just("update"), text, st.just("--capacity"), number),
    st.tuples(st.just("pm"), st.just("remove"), text),
    st.tuples(
        st.just("deal"),
        st.just("add"),
        text,
        st.just("--client"),
        text,
        st.just("--hours"),
        number,
        st.just("--promised"),
        day,
        st.just("--pm"),
        text,
        st.just("--stage"),
        text,
        st.just("--probability"),
        number,
    ),
    st.tuples(st.just("deal"), st.just("log"), deal_id, number, st.just("--on"), day),
    st.tuples(
        st.just("deal"),
        st.just("update"),
        deal_id,
        st.just("--promised"),
        day,
        st.just("--title"),
        text,
        st.just("--pm"),
        text,
    ),
    st.tuples(st.just("deal"), st.sampled_from(["sign", "lose", "show"]), deal_id),
    st.tuples(st.just("deal"), st.just("deliver"), deal_id, st.just("--actual-hours"), number),
    st.tuples(st.just("deal"), st.just("list"), st.just("--stage"), text),
    st.tuples(
        st.just("estimate"),
        st.just("add"),
        deal_id,
        number,
        st.just("--low"),
        number,
        st.just("--high"),
        number,
    ),
    st.tuples(
        st.just("term"),
        st.just("add"),
        deal_id,
        text,
        st.just("--due"),
        day,
        st.just("--kind"),
        text,
        st.just("--amount"),
        number,
    ),
    st.tuples(st.just("term"), st.sampled_from(["met", "missed", "waive"]), deal_id),
    st.tuples(st.just("term"), st.just("ack"), deal_id, st.just("--by"), text),
    st.tuples(st.just("term"), st.just("list"), st.just("--due-within"), number),
    st.tuples(st.just("update"), st.just("add"), deal_id, text, st.just("--signal"), text),
    st.tuples(st.just("update"), st.just("list"), st.just("--since"), day),
    st.tuples(
        st.just("check-date"),
        st.just("--hours"),
        number,
        st.just("--by"),
        day,
        st.just("--pm"),
        text,
    ),
    st.tuples(st.just("check-date"), deal_id, st.just("--by"), day),
    st.tuples(st.just("check-date"), st.just("--kind"), text, st.just("--low"), number),
    st.tuples(st.just("weekly-report"), st.just("--weeks"), number, st.just("--format"), text),
    st.tuples(st.just("config"), st.just("set"), text, text),
    st.tuples(st.just("export"), text, st.just("--format"), text),
    st.tuples(st.just("--today"), day, st.just("deal"), st.just("list")),
    # Corrections.
    st.tuples(st.just("worklog"), st.just("list"), st.just("--pm"), text, st.just("--since"), day),
    st.tuples(
        st.just("worklog"),
        st.just("update"),
        deal_id,
        st.just("--hours"),
        number,
        st.just("--on"),
        day,
        st.just("--note"),
        text,
    ),
    st.tuples(st.just("worklog"), st.just("remove"), deal_id),
    st.tuples(st.just("pm"), st.just("timeoff"), text, day, day, st.just("--remove")),
    st.tuples(
        st.just("term"),
        st.just("update"),
        deal_id,
        st.just("--text"),
        text,
        st.just("--due"),
        day,
        st.just("--amount"),
        number,
    ),
    st.tuples(st.just("term"), st.just("reopen"), deal_id),
    st.tuples(st.just("update"), st.just("remove"), deal_id),
    st.tuples(st.just("deal"), st.just("remove"), deal_id),
    st.tuples(st.just("pm"), st.sampled_from(["list", "show"]), st.just("--all")),
    st.lists(text, max_size=4).map(tuple),
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    cli("pm", "add", "Ann", "--capacity", "40", "--holidays", "US")
    cli(
        "deal",
        "add",
        "Seed",
        "--client",
        "C",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "40",
        "--promised",
        "+3w",
    )
    cli("term", "add", "1", "Pay", "--due", "+2w", "--kind", "payment")
    return cli


@settings(
    max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(args=COMMANDS)
def test_any_input_gets_a_contract_exit_code_and_no_traceback(shared: Cli, args) -> None:
    run = shared(*args, ok=False)
    assert run.code in (0, 2, 3, 4), (args, run.code, run.err)
    assert "Traceback" not in run.out + run.err, (args, run.err)
    assert "internal error" not in run.err, (args, run.err)
    if run.code == 2:
        assert run.err.startswith("pmsync: ") and run.err.count("\n") == 1, (args, run.err)
    invariants(shared.db)


# Text with the characters a terminal acts on: C0 and C1 controls, escapes, bidi overrides.
nasty = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=1, max_codepoint=0x1F),
        st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
        st.sampled_from(["\u202e", "\u2028", "[", "m", "A", " ", "é"]),
    ),
    min_size=1,
    max_size=12,
).filter(lambda t: t.strip())


def _no_controls(text: str, where: str) -> None:
    import unicodedata

    bad = {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf")}
    assert not bad, (where, sorted(map(repr, bad)), text)


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(title=nasty, client=nasty, term=nasty, update=nasty)
def test_control_characters_in_any_text_field_reach_no_view_raw(
    shared: Cli, title: str, client: str, term: str, update: str
) -> None:
    added = shared(
        "deal", "add", f"T{title}", "--client", f"C{client}", "--stage", "signed", "--pm",
        "Ann", "--hours", "8", "--promised", "+2w", "--seller", client, "--json",
    )  # fmt: skip
    deal = str(added.json()["id"])
    shared("term", "add", deal, f"X{term}", "--due", "+1w")
    shared("update", "add", deal, f"U{update}", "--signal", "risk", "--by", title)
    views = {
        "deal add": shared("deal", "add", f"T{title}", "--client", "c").out,
        "deal list": shared("deal", "list").out,
        "deal show": shared("deal", "show", deal).out,
        "term list": shared("term", "list", "--deal", deal).out,
        "update list": shared("update", "list", "--deal", deal).out,
        "calendar": shared("calendar").out,
    }
    for fmt in ("text", "markdown", "html", "json"):
        views[f"weekly-report {fmt}"] = shared("weekly-report", "--format", fmt).out
    for where, out in views.items():
        _no_controls(out, where)
