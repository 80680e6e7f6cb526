"""Rendered person crops with labels, for training Human2D.

    config = ImageConfig(background_dirs=("/data/backgrounds",))
    dataset = image_dataset(config, seed=0)          # infinite, unbatched

One example (S = image_size, K keypoints of `keypoint_set`, R = 64):

  image          uint8 [S, S, 3]  RGB
  keypoints      float32 [K, 2]   crop pixels, x right, y down, (0, 0) the
                                  centre of the top-left pixel
                                  (`render/fragments.py`)
  visible        float32 [K]      1 = seen: in the crop, not hidden by the
                                  body (z-buffer, margins of
                                  `synth.sample.SampleConfig`) nor by an
                                  occluder
  in_image       float32 [K]      1 = inside the crop (usable for heatmaps
                                  even when hidden)
  silhouette     float32 [R, R]   person coverage of each cell in [0, 1]
  silhouette256  uint8 [S, S]     0/1, the pixels drawn as this person (the
                                  body and its loose cloth, minus occluders)
  parts          uint8 [S, S]     NBF_12 ids of those pixels, 0 elsewhere
                                  (`synth/body_parts.py`; `to_lsp_6` maps
                                  them to LSP's 6)
  theta          float32 [72]     camera-frame axis-angle pose (root first)
  beta           float32 [10]     shape
  camera         float32 [3]      body translation t (m): the model's output
                                  + t is in the camera frame, projected with
                                  focal f = `camera.focal_length` and the
                                  principal point at the crop centre
                                  (`synth/framing.py`)

How a batch is made (`ImageRenderer.render`): `synth.sample.SampleGenerator`
draws pose, shape, viewpoint and framing exactly as for the other synthetic
data; the FULL mesh is posed (`body.lbs`) and rasterized once at S² with the
hard z-buffer (`render.rasterizer`); at the covered pixels only, the
vertex normals and rest-pose positions are interpolated
(`render.interpolate`), the garment of the nearest vertex picked, its
colour and solid-texture pattern evaluated (`synth/appearance.py`) and
shaded with Lambert + ambient + Blinn-Phong under a random light
(`render/shading.py`); then, per image in NumPy/OpenCV, a background
(`synth/scene.py`) goes behind it, the edges are anti-aliased, an occluder
may go in front, and camera effects are applied (`synth/camera_effects.py`).

Determinism: batch i of `image_dataset(config, seed)` is a pure function of
`SeedSequence([seed, i])` and the config (the batch size is part of it).
"""

import dataclasses
import itertools
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import keypoints as keypoints_lib
from body import lbs
from render import interpolate
from render import rasterizer
from render import shading
from synth import appearance as appearance_lib
from synth import body_parts
from synth import camera_effects
from synth import loose_cloth
from synth import sample as sample_lib
from synth import scene


@dataclasses.dataclass(frozen=True)
class ImageConfig:
  """The distribution of rendered images.

  Attributes:
    keypoint_set: a set of `body.keypoints`; Human2D predicts COCO_21_LSP.
    image_size: crop side S.
    silhouette_size: side R of the coverage silhouette (divides S).
    background_dirs: folders of .jpg/.png photos; random crops of them are
      mixed with procedural backgrounds.
    photo_probability: chance of a photo background when folders are given.
    occluder_probability: chance of an occluder in front of the body.
    loose_cloth_probability: chance of a skirt / coat-tail surface
      (`synth/loose_cloth.py`); a third of them take the top's colours.
    antialias: blend the body's outline with the background.
    match_brightness_probability: chance of scaling the body's brightness
      half-way towards the background's (people lit like their scene).
    effects: the camera effects.
    batch_size: images rendered per call (part of the output's definition).
    num_betas: shape coefficients.
    sample: the pose/shape/view/framing distribution; None for the default
      with this keypoint set and image size.
    body_model: "" bundled, "toy" the test body, or a path (used when no
      body is passed).
  """
  keypoint_set: str = "COCO_21_LSP"
  image_size: int = 256
  silhouette_size: int = 64
  background_dirs: Tuple[str, ...] = ()
  photo_probability: float = 0.6
  occluder_probability: float = 0.25
  loose_cloth_probability: float = 0.2
  antialias: bool = True
  match_brightness_probability: float = 0.7
  shadow_probability: float = 0.5
  effects: camera_effects.EffectsConfig = camera_effects.EffectsConfig()
  batch_size: int = 16
  num_betas: int = 10
  sample: Optional[sample_lib.SampleConfig] = None
  body_model: str = ""

  def __post_init__(self):
    keypoints_lib.get(self.keypoint_set)
    if self.image_size < 16:
      raise ValueError(f"image_size must be ≥ 16, got {self.image_size}.")
    if (self.silhouette_size <= 0 or
        self.image_size % self.silhouette_size):
      raise ValueError(
          f"silhouette_size must divide image_size = {self.image_size}, got "
          f"{self.silhouette_size}.")
    if isinstance(self.background_dirs, str):
      raise ValueError("background_dirs must be a tuple of folders, got the "
                       f"string {self.background_dirs!r}.")
    for name in ("photo_probability", "occluder_probability",
                 "loose_cloth_probability", "match_brightness_probability",
                 "shadow_probability"):
      if not 0 <= getattr(self, name) <= 1:
        raise ValueError(f"{name} must be in [0, 1], got "
                         f"{getattr(self, name)}.")
    if self.batch_size <= 0:
      raise ValueError(f"batch_size must be positive, got {self.batch_size}.")
    if self.sample is not None and (
        self.sample.keypoint_set != self.keypoint_set or
        self.sample.camera.image_size != self.image_size):
      raise ValueError("sample.keypoint_set and sample.camera.image_size must "
                       "match keypoint_set and image_size.")

  def sample_config(self) -> sample_lib.SampleConfig:
    if self.sample is not None:
      return self.sample
    base = sample_lib.SampleConfig()
    return dataclasses.replace(
        base, keypoint_set=self.keypoint_set,
        shape=dataclasses.replace(base.shape, num_betas=self.num_betas),
        camera=dataclasses.replace(base.camera, image_size=self.image_size))


def sample_light(rng: np.random.Generator, n: int) -> shading.Light:
  """Random directional + ambient light, mostly from above and the front."""
  direction = np.stack([rng.normal(0, 0.7, n), rng.normal(-0.6, 0.5, n),
                        -rng.uniform(0.1, 1.2, n)], -1)
  direction /= np.linalg.norm(direction, axis=1, keepdims=True)
  tint = rng.normal(0, 0.06, (n, 3)) + np.array([0.04, 0.0, -0.04]) * (
      rng.normal(0, 1, (n, 1)))
  strength = rng.uniform(0.5, 1.3, (n, 1))
  ambient = rng.uniform(0.2, 0.6, (n, 1)) * (1 + rng.normal(0, 0.05, (n, 3)))
  return shading.Light(
      direction=tf.constant(direction, tf.float32),
      color=tf.constant(np.clip(strength * (1 + tint), 0, 2), tf.float32),
      ambient=tf.constant(np.clip(ambient, 0, 2), tf.float32),
      specular=tf.constant(rng.uniform(0.0, 0.25, n), tf.float32),
      shininess=tf.constant(rng.uniform(5, 40, n), tf.float32))


class ImageRenderer:
  """Renders batches of labelled images for one body model and config."""

  def __init__(self, config: ImageConfig,
               assets: Optional[assets_lib.BodyAssets] = None):
    if assets is None:
      from synth import generation  # pylint: disable=g-import-not-at-top
      assets = generation.load_body(config.body_model)
    self.config = config
    self.assets = assets
    self.bank = (scene.PhotoBank(config.background_dirs)
                 if config.background_dirs else None)
    self.generator = sample_lib.SampleGenerator(assets,
                                                config.sample_config())
    self.keypoint_set = self.generator.keypoint_set
    self.appearance = appearance_lib.Appearance(assets)
    # The body's faces, then the loose cloth's (vertices V, V + 1, ...).
    self._cloth = loose_cloth.topology(assets)
    num_v = assets.num_vertices
    self._faces = tf.constant(np.concatenate(
        [assets.faces, self._cloth.faces + num_v]), tf.int32)
    # Per face (and a padding entry for "no face", index -1).
    self._face_nbf = np.concatenate([body_parts.face_nbf_parts(assets),
                                     self._cloth.face_nbf, [0]])
    self._face_joint = np.concatenate([sample_lib.face_parts(assets),
                                       self._cloth.face_joint, [0]])
    self._rest = tf.constant(np.concatenate(
        [assets.v_template, self._cloth.rest])[None], tf.float32)
    self._face_points = appearance_lib.face_points(assets)
    self._raster = rasterizer.RasterSettings(
        (config.image_size, config.image_size), cull_backfaces=True)
    num_betas = config.sample_config().shape.num_betas
    faces = self._faces

    @tf.function(input_signature=[
        tf.TensorSpec([None, num_betas], tf.float32),
        tf.TensorSpec([None, 3 * assets.num_joints], tf.float32),
        tf.TensorSpec([None, 3], tf.float32)])
    def pose(betas, theta, transl):
      out = lbs.forward_axis_angle(assets, betas, theta, transl)
      return out.vertices, out.joints
    self._pose = pose
    self._shade = tf.function(self._shade_fn, reduce_retracing=True)

  def _shade_fn(self, vertices, face_ids, bary, garments, tables, light):
    """sRGB uint8 `[B, H, W, 3]` of the body (0 on the background)."""
    mask = face_ids >= 0
    where = tf.cast(tf.where(mask), tf.int32)                    # [N, 3]
    batch_ids = where[:, 0]
    face = tf.gather_nd(face_ids, where)
    w = tf.gather_nd(bary, where)
    normals = shading.vertex_normals(vertices, self._faces)
    normal = interpolate.interpolate_at(batch_ids, face, w, self._faces,
                                        normals)
    rest = interpolate.interpolate_at(tf.zeros_like(batch_ids), face, w,
                                      self._faces, self._rest)
    # The garment of the nearest corner: sharp garment borders.
    corner = tf.gather(tf.gather(self._faces, face),
                       tf.argmax(w, axis=-1, output_type=tf.int32),
                       batch_dims=1)
    garment = tf.gather_nd(garments, tf.stack([batch_ids, corner], -1))
    normal = appearance_lib.wrinkled_normals(normal, rest, garment)
    albedo = appearance_lib.albedo_at(garment, rest, batch_ids, tables,
                                        self._face_points)
    rgb = shading.linear_to_srgb(shading.shade(albedo, normal, light,
                                               batch_ids=batch_ids))
    rgb = tf.cast(rgb * 255.0 + 0.5, tf.uint8)
    return tf.scatter_nd(where, rgb, tf.concat(
        [tf.shape(face_ids), [3]], 0))

  def _add_cloth(self, rng, vertices, joints, garments):
    """Appends the loose-cloth vertices (collapsed where there is none) and
    their garment ids."""
    n = len(vertices)
    enabled = rng.random(n) < self.config.loose_cloth_probability
    length = rng.uniform(0.35, 1.5, n)
    flare = rng.uniform(0.05, 0.9, n)
    coat = rng.random(n) < 1 / 3
    knees = joints[:, list(loose_cloth.KNEES)]
    cloth = loose_cloth.build(vertices[:, self._cloth.ring_ids], knees,
                              length, flare, enabled)
    ids = np.where(coat, appearance_lib.TOP, appearance_lib.BOTTOM)
    cloth_garments = np.repeat(ids[:, None], cloth.shape[1], axis=1)
    return (np.concatenate([vertices, cloth], axis=1),
            np.concatenate([garments, cloth_garments.astype(np.uint8)], 1))

  def _visibility(self, face_ids, depth, kp2d, kp3d):
    """`[B, K]` in_image and self-occlusion hidden flags (full z-buffer)."""
    size = self.config.image_size
    cfg = self.generator.config
    in_image = np.all((kp2d >= -0.5) & (kp2d < size - 0.5), -1) & (
        kp3d[..., 2] > 0)
    px = np.clip(np.round(kp2d).astype(np.int64), 0, size - 1)
    b = np.arange(len(kp2d))[:, None]
    face = face_ids[b, px[..., 1], px[..., 0]]
    z = depth[b, px[..., 1], px[..., 0]]
    part = self._face_joint[face]                                # -1 -> pad
    own = self.generator._own  # pylint: disable=protected-access
    owned = own[np.arange(own.shape[0])[None], part]
    margin = np.where(owned, cfg.owned_margin,
                      self.generator._margin)  # pylint: disable=protected-access
    hidden = (face >= 0) & (z < kp3d[..., 2] - margin)
    return in_image, hidden, px

  def render(self, rng: np.random.Generator, n: int) -> Dict[str, np.ndarray]:
    """`n` labelled images: a dict of NumPy arrays with a batch axis, keys
    as the module docstring plus `occluder` (uint8 `[n, S, S]`, 1 where an
    occluder is drawn)."""
    return self.render_samples(rng, self.generator.generate(rng, n))

  def render_samples(self, rng: np.random.Generator,
                     batch: sample_lib.SampleBatch) -> Dict[str, np.ndarray]:
    """Images of given bodies and cameras (`self.generator.render`), with
    appearance, light and scene drawn from `rng`: the same `rng` state and
    batch size give the same person in the same scene (a video's frames)."""
    cfg = self.config
    size = cfg.image_size
    n = len(batch)
    garments = self.appearance.sample_garments(rng, n)
    tables = self.appearance.sample_tables(rng, n)
    light = sample_light(rng, n)
    vertices, joints = self._pose(tf.constant(batch.betas),
                                  tf.constant(batch.theta),
                                  tf.constant(batch.transl))
    vertices, garments = self._add_cloth(rng, vertices.numpy(),
                                         joints.numpy(), garments)
    vertices = tf.constant(vertices, tf.float32)
    cam = self.generator.config.camera
    z = vertices[..., 2:]
    screen = tf.concat([
        cam.focal_length * vertices[..., :2] / tf.maximum(z, 1e-6) +
        cam.principal_point, z], -1)
    frags = rasterizer.rasterize(screen, self._faces, self._raster)
    body = self._shade(vertices, frags.face_ids, frags.bary,
                       tf.constant(garments.astype(np.int32)),
                       tf.constant(tables), light).numpy()
    face_ids = frags.face_ids.numpy()
    depth = frags.depth.numpy()
    mask = face_ids >= 0
    in_image, hidden, px = self._visibility(face_ids, depth,
                                            batch.keypoints2d,
                                            batch.keypoints3d)
    images = np.empty((n, size, size, 3), np.uint8)
    person = mask.copy()
    occluded = np.zeros_like(mask)
    for i in range(n):
      bg = scene.background(rng, size, self.bank, cfg.photo_probability)
      if rng.random() < cfg.shadow_probability:
        bg = scene.contact_shadow(rng, bg, mask[i])
      person_rgb = body[i]
      if rng.random() < cfg.match_brightness_probability and mask[i].any():
        person_rgb = _match_brightness(person_rgb, mask[i], bg)
      img = np.where(mask[i, ..., None], person_rgb, bg)
      if cfg.antialias:
        img = _antialias(img, mask[i])
      if rng.random() < cfg.occluder_probability:
        k = rng.integers(len(px[i]))
        occ, colour = scene.occluder(rng, size, px[i, k], self.bank)
        img = np.where(occ[..., None], colour, img)
        person[i] &= ~occ
        occluded[i] = occ
        # Hidden by the occluder: it covers the keypoint's pixel, or every
        # person pixel around it (a landmark on the outline).
        near = cv2.dilate(person[i].astype(np.uint8), np.ones((3, 3),
                                                              np.uint8))
        hidden[i] |= (occ[px[i, :, 1], px[i, :, 0]] |
                      ~near[px[i, :, 1], px[i, :, 0]].astype(bool))
      images[i] = camera_effects.apply(rng, img, cfg.effects)
    parts = np.where(person, self._face_nbf[face_ids], 0).astype(np.uint8)
    r = cfg.silhouette_size
    coarse = person.reshape(n, r, size // r, r, size // r).mean(
        axis=(2, 4)).astype(np.float32)
    return {
        "image": images,
        "keypoints": batch.keypoints2d.astype(np.float32),
        "visible": (in_image & ~hidden).astype(np.float32),
        "in_image": in_image.astype(np.float32),
        "silhouette": coarse,
        "silhouette256": person.astype(np.uint8),
        "parts": parts,
        "theta": batch.theta.astype(np.float32),
        "beta": batch.betas.astype(np.float32),
        "camera": batch.transl.astype(np.float32),
        "occluder": occluded.astype(np.uint8),
    }

  def output_signature(self) -> Dict[str, tf.TensorSpec]:
    """The `tf.TensorSpec`s of one example (no batch axis)."""
    s, r = self.config.image_size, self.config.silhouette_size
    k = self.keypoint_set.size
    return {
        "image": tf.TensorSpec([s, s, 3], tf.uint8),
        "keypoints": tf.TensorSpec([k, 2], tf.float32),
        "visible": tf.TensorSpec([k], tf.float32),
        "in_image": tf.TensorSpec([k], tf.float32),
        "silhouette": tf.TensorSpec([r, r], tf.float32),
        "silhouette256": tf.TensorSpec([s, s], tf.uint8),
        "parts": tf.TensorSpec([s, s], tf.uint8),
        "theta": tf.TensorSpec([3 * self.assets.num_joints], tf.float32),
        "beta": tf.TensorSpec([self.generator.config.shape.num_betas],
                              tf.float32),
        "camera": tf.TensorSpec([3], tf.float32),
    }


def _match_brightness(body: np.ndarray, mask: np.ndarray,
                      background: np.ndarray) -> np.ndarray:
  """The body scaled half-way (geometrically) towards the background's mean
  brightness, by at most ×0.7 … ×1.4: lit like its scene."""
  ratio = (background.mean() + 10.0) / (body[mask].mean() + 10.0)
  gain = float(np.clip(np.sqrt(ratio), 0.7, 1.4))
  return np.clip(body.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _antialias(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
  """Blends a 1-pixel band around the outline with its 3×3 mean."""
  m = mask.astype(np.uint8)
  kernel = np.ones((3, 3), np.uint8)
  band = (cv2.dilate(m, kernel) != cv2.erode(m, kernel))
  soft = cv2.blur(img, (3, 3))
  mixed = ((img.astype(np.uint16) + soft) // 2).astype(np.uint8)
  return np.where(band[..., None], mixed, img)


def batch_rng(seed: int, index: int) -> np.random.Generator:
  """The random stream of batch `index` of the dataset with `seed`."""
  return np.random.default_rng(np.random.SeedSequence([seed, index]))


def image_dataset(config: ImageConfig, seed: int,
                  body: Optional[assets_lib.BodyAssets] = None,
                  num_workers: int = 1) -> tf.data.Dataset:
  """An infinite, deterministic dataset of unbatched labelled images.

  Args:
    config: the distribution.
    seed: batch i is drawn from `batch_rng(seed, i)`.
    body: the body model (default: `config.body_model`).
    num_workers: batches rendered concurrently (threads sharing one
      renderer; TF, NumPy and OpenCV release the GIL). Batch i goes to
      worker i mod num_workers and the workers' outputs are interleaved
      back in batch order, so the examples and their order do not depend
      on it.

  Returns:
    A `tf.data.Dataset` of dicts (see the module docstring).
  """
  if seed < 0:
    raise ValueError(f"seed must be ≥ 0, got {seed}.")
  if num_workers < 1:
    raise ValueError(f"num_workers must be ≥ 1, got {num_workers}.")
  renderer = ImageRenderer(config, body)
  signature = renderer.output_signature()
  batched = {k: tf.TensorSpec([None] + v.shape.as_list(), v.dtype)
             for k, v in signature.items()}

  def batches(first):
    for i in itertools.count(int(first), num_workers):
      out = renderer.render(batch_rng(seed, i), config.batch_size)
      yield {k: out[k] for k in signature}

  def worker(first):
    return tf.data.Dataset.from_generator(
        batches, args=(first,), output_signature=batched).unbatch()

  if num_workers == 1:
    return worker(0)
  return tf.data.Dataset.range(num_workers).interleave(
      worker, cycle_length=num_workers, block_length=config.batch_size,
      num_parallel_calls=num_workers, deterministic=True)
