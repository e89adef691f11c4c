"""errors: how a message shows what came from a file."""

from __future__ import annotations

from assaypipe.errors import MAX_MESSAGE, InputError, bounded, excerpt, shortened, visible


def test_a_long_message_keeps_its_start_and_its_end() -> None:
    message = "start " + "x" * 10 * MAX_MESSAGE + " end"
    cut = bounded(message)
    assert len(cut) <= MAX_MESSAGE
    assert cut.startswith("start ") and cut.endswith(" end")
    assert bounded("short") == "short"


def test_values_and_names_are_cut_short() -> None:
    assert excerpt("abc") == "'abc'"
    assert len(excerpt("y" * 1000, most=20)) == 20
    assert shortened("IL-6") == "IL-6"
    assert shortened("z" * 100, most=10) == "zzzzzzz..."


def test_control_characters_are_written_as_escapes_but_line_breaks_stay() -> None:
    assert visible("a\x1b[31mb") == "a\\x1b[31mb"
    assert visible("one\ntwo") == "one\ntwo"


def test_input_error_names_the_file_and_where_in_it() -> None:
    error = InputError("plate7.csv", "expected a well", where="line 53")
    assert isinstance(error, Exception)
    assert str(error) == "plate7.csv: line 53: expected a well"
    assert str(InputError("plate7.csv", "empty")) == "plate7.csv: empty"
