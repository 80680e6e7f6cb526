"""Tests of pipeline/tracking.py: box centres → track ids across frames."""

import numpy as np

from pipeline import tracking
from tests import testing


class TrackingTest(testing.TestCase):

  def test_ids_follow_people_not_list_order(self):
    # Two people walking right; the detector lists them in varying order.
    a = lambda t: [100.0 + 5 * t, 200.0]
    b = lambda t: [400.0 + 5 * t, 210.0]
    centres = [np.array([a(0), b(0)]), np.array([b(1), a(1)]),
               np.array([a(2), b(2)]), np.array([b(3), a(3)])]
    sizes = [np.array([150.0, 150.0])] * 4
    ids = tracking.assign_tracks(centres, sizes)
    self.assertEqual([i.tolist() for i in ids],
                     [[0, 1], [1, 0], [0, 1], [1, 0]])

  def test_new_person_and_gaps(self):
    centres = [np.array([[100.0, 100.0]]), np.zeros((0, 2)),
               np.array([[105.0, 100.0], [600.0, 100.0]]),
               np.array([[600.0, 105.0]])]
    sizes = [np.array([100.0]), np.zeros(0), np.array([100.0, 100.0]),
             np.array([100.0])]
    ids = tracking.assign_tracks(centres, sizes, max_gap=1)
    self.assertEqual([i.tolist() for i in ids], [[0], [], [0, 1], [1]])
    # A gap longer than max_gap starts a new track.
    ids = tracking.assign_tracks([centres[0], np.zeros((0, 2)),
                                  np.zeros((0, 2)), centres[0]],
                                 [sizes[0], np.zeros(0), np.zeros(0),
                                  sizes[0]], max_gap=1)
    self.assertEqual([i.tolist() for i in ids], [[0], [], [], [1]])

  def test_bad_inputs_are_named(self):
    with self.assertRaisesRegex(ValueError, "one entry per frame"):
      tracking.assign_tracks([np.zeros((1, 2))], [])
    with self.assertRaisesRegex(ValueError, "frame 0"):
      tracking.assign_tracks([np.zeros((1, 2))], [np.array([0.0])])
    with self.assertRaisesRegex(ValueError, "max_distance"):
      tracking.assign_tracks([], [], max_distance=0)


if __name__ == "__main__":
  testing.main()
