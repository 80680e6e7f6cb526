"""Tests for body/assets.py: validation with clear errors."""

import dataclasses

import numpy as np

from body import assets as assets_lib
from body import toy
from tests import testing


def _fields(**overrides):
  base = toy.make_assets()
  fields = {f.name: getattr(base, f.name)
            for f in dataclasses.fields(assets_lib.BodyAssets)}
  fields.update(overrides)
  return fields


class AssetsTest(testing.TestCase):

  def test_valid_model_is_immutable(self):
    assets = toy.make_assets()
    self.assertEqual((assets.num_vertices, assets.num_joints,
                      assets.num_betas), (224, 24, 10))
    with self.assertRaises(ValueError):
      assets.v_template[0, 0] = 1.0
    with self.assertRaises(dataclasses.FrozenInstanceError):
      assets.name = "other"

  @testing.named_parameters(
      ("template", dict(v_template=np.zeros((224, 2))), "v_template"),
      ("shapedirs", dict(shapedirs=np.zeros((223, 3, 10))), "shapedirs"),
      ("posedirs", dict(posedirs=np.zeros((224, 3, 200))), "posedirs"),
      ("regressor", dict(j_regressor=np.zeros((23, 224))), "j_regressor"),
      ("weights_shape", dict(weights=np.zeros((224, 23))), "weights"),
      ("faces_shape", dict(faces=np.zeros((5, 4), np.int32)), "faces"),
  )
  def test_rejects_bad_shapes(self, overrides, name):
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, name):
      assets_lib.BodyAssets(**_fields(**overrides))

  def test_rejects_bad_values(self):
    base = toy.make_assets()
    weights = np.array(base.weights)
    weights[7] *= 2
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError,
                                "vertex 7 sums to 2"):
      assets_lib.BodyAssets(**_fields(weights=weights))
    parents = np.array(base.parents)
    parents[5] = 9
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError,
                                "joint 5 has parent 9"):
      assets_lib.BodyAssets(**_fields(parents=parents))
    faces = np.array(base.faces)
    faces[0, 0] = 224
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, "outside"):
      assets_lib.BodyAssets(**_fields(faces=faces))
    template = np.array(base.v_template)
    template[3, 1] = np.nan
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, "NaN"):
      assets_lib.BodyAssets(**_fields(v_template=template))
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, "landmark"):
      assets_lib.BodyAssets(**_fields(landmarks={"nose": 10**6}))

  @testing.parameters(np.int64, np.uint64)
  def test_faces_checked_before_the_int32_cast(self, dtype):
    # Issue 19, defect 2: 2^32 + 5 used to wrap to the valid index 5.
    faces = np.array(toy.make_assets().faces).astype(dtype)
    faces[3, 1] = 2**32 + 5
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, "4294967301"):
      assets_lib.BodyAssets(**_fields(faces=faces))

  def test_faces_must_be_integers(self):
    faces = np.array(toy.make_assets().faces).astype(np.float64) + 0.5
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, "float64"):
      assets_lib.BodyAssets(**_fields(faces=faces))

  def test_kintree_round_trip(self):
    parents = toy.make_assets().parents
    table = assets_lib.kintree_from_parents(parents)
    self.assertEqual(table[0, 0], 4294967295)
    self.assertAllEqual(assets_lib.parents_from_kintree(table), parents)
    table[0, 3] = 99
    with self.assertRaisesRegex(assets_lib.InvalidAssetsError, r"\(3, 99\)"):
      assets_lib.parents_from_kintree(table)


if __name__ == "__main__":
  testing.main()
