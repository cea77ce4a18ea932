"""Checks at the boundary (issue 23): argument checks stay a small share of
dtcart's code lines (exercises aside: their checks grade the reader)."""

from pathlib import Path

from source_lines import check_lines

DTCART = Path(__file__).resolve().parent.parent / "dtcart"
# issue 23 asks for at most 12% (it was 22% before, 17.7% before the checks2 pass); a
# ratchet until then
MAX_SHARE = 0.141


def test_argument_checks_are_a_small_share_of_the_code():
    counts = [check_lines(p.read_text()) for p in sorted(DTCART.rglob("*.py"))
              if "exercises" not in p.parts and p.stem != "exercises"]
    checks, code = map(sum, zip(*counts))
    assert checks / code <= MAX_SHARE, (
        f"{checks} of {code} code lines ({checks / code:.1%}) check arguments")
