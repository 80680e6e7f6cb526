"""Tests for synth/images.py: labels agree with the pixels, determinism,
configuration errors (toy body, 64² crops)."""

import os

import cv2
import numpy as np

from body import toy
from synth import appearance
from synth import body_parts
from synth import camera_effects
from synth import images
from synth import scene
from tests import testing

_MAGENTA = (255, 0, 255)


def _config(**kwargs):
  base = dict(image_size=64, silhouette_size=16, batch_size=6,
              body_model="toy")
  base.update(kwargs)
  return images.ImageConfig(**base)


class ImagesTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()

  def _magenta_dir(self):
    """A folder with one flat magenta photo: every crop of it is magenta."""
    folder = self.create_tempdir().full_path
    cv2.imwrite(os.path.join(folder, "flat.png"),
                np.full((40, 50, 3), _MAGENTA[::-1], np.uint8))
    return folder

  def _plain(self, **kwargs):
    """Renderer whose background is flat magenta and effects are off."""
    config = _config(background_dirs=(self._magenta_dir(),),
                     photo_probability=1.0, antialias=False,
                     shadow_probability=0.0,
                     effects=camera_effects.EffectsConfig().off(), **kwargs)
    return images.ImageRenderer(config, self.assets)

  def test_shapes_and_types(self):
    renderer = images.ImageRenderer(_config(), self.assets)
    out = renderer.render(images.batch_rng(0, 0), 3)
    spec = renderer.output_signature()
    self.assertEqual(set(out), set(spec) | {"occluder"})
    for key, value in out.items():
      if key == "occluder":
        continue
      self.assertEqual(value.shape[1:], tuple(spec[key].shape), key)
      self.assertEqual(value.dtype, spec[key].dtype.as_numpy_dtype, key)
    self.assertEqual(out["keypoints"].shape, (3, 23, 2))
    self.assertGreater(out["silhouette256"].sum(), 100)

  def test_silhouette_is_the_drawn_body(self):
    out = self._plain(occluder_probability=0.0).render(
        images.batch_rng(1, 0), 6)
    background = np.all(out["image"] == _MAGENTA, axis=-1)
    np.testing.assert_array_equal(out["silhouette256"], ~background)
    # The coarse silhouette is the coverage of each cell.
    coarse = out["silhouette256"].reshape(6, 16, 4, 16, 4).mean(axis=(2, 4))
    np.testing.assert_allclose(out["silhouette"], coarse, atol=1e-6)

  def test_loose_cloth_widens_the_silhouette(self):
    # The same draws with and without cloth: the cloth only adds pixels, and
    # they are labelled (torso / upper legs) like the rest of the person.
    rng = lambda: images.batch_rng(8, 0)
    bare = self._plain(occluder_probability=0.0,
                       loose_cloth_probability=0.0).render(rng(), 4)
    dressed = self._plain(occluder_probability=0.0,
                          loose_cloth_probability=1.0).render(rng(), 4)
    a, b = bare["silhouette256"] > 0, dressed["silhouette256"] > 0
    self.assertTrue(np.all(b[a]))
    self.assertGreater(b.sum(), a.sum() + 50)
    background = np.all(dressed["image"] == _MAGENTA, axis=-1)
    np.testing.assert_array_equal(b, ~background)
    extra = dressed["parts"][b & ~a]
    self.assertTrue(np.all(np.isin(extra, [2, 7, 8])))

  def test_parts_cover_exactly_the_silhouette(self):
    out = self._plain(occluder_probability=0.5).render(
        images.batch_rng(2, 0), 6)
    np.testing.assert_array_equal(out["parts"] > 0,
                                  out["silhouette256"] > 0)
    self.assertLessEqual(out["parts"].max(), 12)
    self.assertGreater(len(np.unique(out["parts"])), 6)
    lsp = body_parts.to_lsp_6(out["parts"])
    np.testing.assert_array_equal(lsp > 0, out["silhouette256"] > 0)

  def test_visibility_agrees_with_pixels(self):
    out = self._plain(occluder_probability=1.0).render(
        images.batch_rng(3, 0), 6)
    body = out["silhouette256"].astype(np.uint8)
    px = np.clip(np.round(out["keypoints"]).astype(int), 0, 63)
    checked_visible = checked_hidden = 0
    for i in range(6):
      near_body = cv2.dilate(body[i], np.ones((5, 5), np.uint8))
      # Body or occluder at the pixel or next to it (a landmark on the
      # outline whose neighbourhood is occluded counts as hidden).
      cover = cv2.dilate(body[i] | out["occluder"][i],
                         np.ones((3, 3), np.uint8))
      for k in range(px.shape[1]):
        x, y = px[i, k]
        if not out["in_image"][i, k]:
          self.assertEqual(out["visible"][i, k], 0)
          continue
        if out["visible"][i, k]:
          # Seen: on (or within 2 px of) the drawn body, not occluded.
          self.assertEqual(near_body[y, x], 1, (i, k))
          self.assertFalse(out["occluder"][i, y, x], (i, k))
          checked_visible += 1
        else:
          # Hidden: the body in front of it, or an occluder.
          self.assertTrue(cover[y, x], (i, k))
          checked_hidden += 1
    # Occluders are drawn: no background and no person label under them.
    self.assertGreater(out["occluder"].sum(), 50)
    self.assertFalse(np.any(out["occluder"] & out["silhouette256"]))
    self.assertGreater(checked_visible, 20)
    self.assertGreater(checked_hidden, 3)

  def test_in_image(self):
    out = images.ImageRenderer(_config(), self.assets).render(
        images.batch_rng(4, 0), 6)
    kp = out["keypoints"]
    inside = np.all((kp >= -0.5) & (kp < 63.5), axis=-1)
    np.testing.assert_array_equal(out["in_image"] > 0, inside)
    self.assertTrue(np.all(out["visible"] <= out["in_image"]))

  def test_dataset_deterministic(self):
    def first(seed, n=8):
      ds = images.image_dataset(_config(batch_size=4), seed, self.assets)
      return [e for e in ds.take(n).as_numpy_iterator()]
    a, b, c = first(5), first(5), first(6)
    self.assertLen(a, 8)
    for x, y in zip(a, b):
      for key in x:
        self.assertEqual(x[key].tobytes(), y[key].tobytes(), key)
    self.assertNotEqual(a[0]["image"].tobytes(), c[0]["image"].tobytes())
    self.assertEqual(a[0]["image"].shape, (64, 64, 3))
    # Rendering on two threads gives the same examples in the same order.
    ds = images.image_dataset(_config(batch_size=4), 5, self.assets,
                              num_workers=2)
    for x, y in zip(a, ds.take(8).as_numpy_iterator()):
      for key in x:
        self.assertEqual(x[key].tobytes(), y[key].tobytes(), key)

  def test_contact_shadow_under_the_feet(self):
    image = np.full((64, 64, 3), 200, np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[10:50, 28:36] = True                  # a standing figure
    out = scene.contact_shadow(self.rng, image, mask)
    darker = out[..., 0] < 200
    self.assertTrue(darker[50, 32])             # at the feet
    self.assertFalse(darker[:40].any())         # not above them
    self.assertEqual(out.dtype, np.uint8)

  def test_garments_cover_body_regions(self):
    look = appearance.Appearance(self.assets)
    g = look.sample_garments(self.rng, 200)
    self.assertEqual(g.shape, (200, self.assets.num_vertices))
    used = np.unique(g)
    for garment in (appearance.SKIN, appearance.TOP, appearance.BOTTOM,
                    appearance.SHOES):
      self.assertIn(garment, used)
    tables = look.sample_tables(self.rng, 200)
    self.assertEqual(tables.shape, (200, appearance.NUM_GARMENTS,
                                    appearance.TABLE_WIDTH))
    skin = tables[:, appearance.SKIN, :3]
    # Skin tones span light and dark.
    self.assertGreater(skin.mean(axis=1).max() - skin.mean(axis=1).min(),
                       0.5)

  def test_wrinkles_bend_cloth_normals_only(self):
    normal = np.tile([[0.0, 0.0, -1.0]], (4, 1))
    rest = self.rng.uniform(-0.5, 0.5, (4, 3))
    garment = np.array([appearance.SKIN, appearance.HAIR, appearance.TOP,
                        appearance.BOTTOM])
    bent = appearance.wrinkled_normals(normal, rest, garment).numpy()
    np.testing.assert_allclose(bent[:2], normal[:2], atol=1e-6)
    self.assertTrue(np.all(np.sum(bent[2:] * normal[2:], -1) < 0.9999))
    np.testing.assert_allclose(np.linalg.norm(bent, axis=-1), 1, atol=1e-5)

  def test_bad_config(self):
    with self.assertRaisesRegex(ValueError, "silhouette_size"):
      _config(silhouette_size=24)
    with self.assertRaisesRegex(ValueError, "occluder_probability"):
      _config(occluder_probability=1.5)
    with self.assertRaisesRegex(ValueError, "background_dirs"):
      _config(background_dirs="/tmp")
    with self.assertRaisesRegex(ValueError, "jpeg_probability"):
      camera_effects.EffectsConfig(jpeg_probability=-1)
    with self.assertRaisesRegex(ValueError, "unknown|Unknown"):
      _config(keypoint_set="NOPE")

  def test_bad_background_folders(self):
    missing = os.path.join(self.create_tempdir().full_path, "nope")
    with self.assertRaisesRegex(ValueError, "does not exist"):
      images.ImageRenderer(_config(background_dirs=(missing,)), self.assets)
    empty = self.create_tempdir().full_path
    with self.assertRaisesRegex(ValueError, "holds no"):
      images.ImageRenderer(_config(background_dirs=(empty,)), self.assets)
    broken = self.create_tempdir().full_path
    with open(os.path.join(broken, "bad.jpg"), "wb") as f:
      f.write(b"not a jpeg")
    with self.assertRaisesRegex(ValueError, "cannot be decoded"):
      images.ImageRenderer(_config(background_dirs=(broken,)), self.assets)


if __name__ == "__main__":
  testing.main()
