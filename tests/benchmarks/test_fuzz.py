"""A fast seeded slice of the fuzz benchmark (benchmarks/fuzz_cases.py):
every family's cases, judged by their oracles, must come out ok or as a
named error. The long run is `python -m benchmarks.fuzz`."""

import collections

from benchmarks import fuzz_cases
from tests import testing

_SLICE = 4 * len(fuzz_cases.FAMILIES)


class FuzzSliceTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.context = fuzz_cases.make_context()

  def test_seeded_slice_has_no_bad_verdicts(self):
    verdicts = [fuzz_cases.run_case(self.context, testing.SEED, i)
                for i in range(_SLICE)]
    bad = [v for v in verdicts if v.verdict in fuzz_cases.BAD]
    self.assertEmpty(bad, "\n".join(map(str, bad)))
    per_family = collections.Counter(v.family for v in verdicts)
    self.assertEqual(set(per_family), set(fuzz_cases.FAMILIES))

  def test_oracles_catch_bad_results(self):
    # The judge itself: a NaN output, an unnamed error and a swallowed bad
    # input are each reported.
    nan = fuzz_cases._judge(  # pylint: disable=protected-access
        "x", lambda: float("nan"), (), valid=True,
        check=lambda out: None if out == out else ("silent_nan", "nan"))
    self.assertEqual(nan.verdict, "silent_nan")
    def unnamed():
      raise ValueError("bad value")
    self.assertEqual(fuzz_cases._judge(  # pylint: disable=protected-access
        "x", unnamed, (ValueError,), tokens=["theta"]).verdict,
                     "unclear_error")
    self.assertEqual(fuzz_cases._judge(  # pylint: disable=protected-access
        "x", lambda: 1, (ValueError,), valid=False,
        check=lambda out: ("wrong_result", "taken")).verdict, "wrong_result")

  def test_cases_are_a_function_of_seed_and_index(self):
    a = fuzz_cases.run_case(self.context, 5, 3)
    b = fuzz_cases.run_case(self.context, 5, 3)
    self.assertEqual(a, b)


if __name__ == "__main__":
  testing.main()
