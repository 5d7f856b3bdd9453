import pytest

from accounts.exports import neutralise


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("+1+1", "'+1+1"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("+14155550123", "+14155550123"),
        ("jane@example.com", "jane@example.com"),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(cell, shown):
    assert neutralise(cell) == shown
