"""The whole chain as one differentiable function, and its render loss.

    chain = EndToEnd(human2d_model, human2d_config, pose_model, shape_model,
                     assets, prior_keypoint_set="COCO_21")
    out = chain(images)                       # [B, S, S, 3] 0..255 crops
    terms = chain.render_loss(out, batch)     # batch: human2d.data examples

crop → Human2D (heatmaps + silhouette) → decoded keypoints and confidences
→ PosePrior (θ, camera) and ShapePrior (β) → body model → the mesh's
keypoints under the weak-perspective camera and its soft silhouette
(`render.soft_silhouette`, R×R). The render loss of Pavlakos et al. 2018
(Sec. 3.4), per example and averaged over the batch:

    L_Π = μ Σ_k w_k ‖Ŵ_k − W_k‖² + h · Σ_pixels (Ŝ − S)²

with Ŵ the mesh's keypoints and W the labelled ones (weights w: labelled
and inside the crop), Ŝ the rendered and S the labelled silhouette (h = 1
where the example has one, else 0: photos without masks), both in pixels of
the R×R render grid (R = the ShapePrior's 64), μ = 10.

`keypoint_loss="gmof"` replaces each keypoint's ‖Ŵ_k − W_k‖² by the
Geman–McClure penalty σ² ρ_σ(‖Ŵ_k − W_k‖) = σ² d² / (σ² + d²) (`pipeline.fit`'s
ρ, scaled by σ² so that it equals d² for d ≪ σ): a keypoint far off — in
practice one Human2D missed — pulls with a bounded gradient and costs at most
μ w_k σ², instead of dominating the loss. σ (`keypoint_sigma`) is given in
crop pixels and converted to render-grid pixels.

Keypoints with gradients: the value is Human2D's inference decode
(`human2d.heatmaps.decode`, modulated Taylor refinement), the gradient that
of a local soft-argmax (the heatmap's positive mass in a (2r+1)² window
around the raw map's maximum, `soft_argmax`) — a straight-through estimator,
so training sees exactly the keypoints inference sees. Where the blurred and
the raw maxima differ (a lone spike beside a broad mode), the gradient is
that of the raw maximum's window. The confidence is the heatmap's
maximum (as at inference) and carries its gradient too.

Human2D runs with frozen BatchNorm statistics (`training=False`: batches of
4 would give noisy ones) and the priors without dropout; gradients reach
every weight. No flip test inside the chain (it doubles the cost).

The mesh is posed over a proxy surface (`synth.proxy`, as `pipeline.fit`)
with exact keypoints (`synth.sample.reduced_body`).

Dimensions: B batch, S crop side, M heatmap side, K Human2D keypoints,
P the PosePrior's keypoints, R render side.
"""

from typing import Dict, NamedTuple

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import keypoints as keypoints_lib
from body import lbs
from human2d import config as h2d_config
from human2d import heatmaps as heatmaps_lib
from pipeline import fit as fit_lib
from priors import pose_prior as pose_prior_lib
from render import camera as camera_lib
from render import soft_silhouette
from synth import proxy as proxy_lib
from synth import sample as sample_lib


class ChainOutput(NamedTuple):
  """One pass of the chain (tensors).

  Attributes:
    heatmaps: `[B, N, M, M, K]` every stack's heatmaps (Human2D's own loss).
    silhouette_logits: `[B, N, M, M, 2]` every stack's silhouette logits.
    keypoints: `[B, K, 2]` decoded keypoints, crop pixels.
    confidence: `[B, K]`.
    silhouette: `[B, R, R]` Human2D's body probability at the priors' size.
    theta: `[B, 72]`; rotmats: `[B, 24, 3, 3]`; betas: `[B, 10]`.
    camera: `[B, 3]` weak perspective (s, t_x, t_y).
    projected: `[B, K, 2]` the mesh's keypoints, render-grid pixels.
    rendered: `[B, R, R]` the mesh's soft silhouette.
  """
  heatmaps: tf.Tensor
  silhouette_logits: tf.Tensor
  keypoints: tf.Tensor
  confidence: tf.Tensor
  silhouette: tf.Tensor
  theta: tf.Tensor
  rotmats: tf.Tensor
  betas: tf.Tensor
  camera: tf.Tensor
  projected: tf.Tensor
  rendered: tf.Tensor


def soft_argmax(heatmaps, radius: int = 2):
  """Local soft-argmax: `[B, M, M, K]` → `[B, K, 2]` heatmap pixels (x, y).

  The maximum's pixel (no gradient) plus the mean offset in the
  (2·radius+1)² window around it, weighted by the heatmap's positive part
  (a Gaussian peak's centre, differentiable in the window's values).
  """
  heatmaps = tf.convert_to_tensor(heatmaps, tf.float32)
  if heatmaps.shape.rank != 4 or heatmaps.shape[1] != heatmaps.shape[2]:
    raise ValueError(f"heatmaps must be [B, M, M, K], got {heatmaps.shape}.")
  if radius < 1:
    raise ValueError(f"radius must be ≥ 1, got {radius}.")
  m = heatmaps.shape[1]
  maps = tf.transpose(heatmaps, [0, 3, 1, 2])                 # [B, K, M, M]
  flat = tf.reshape(maps, [tf.shape(maps)[0], tf.shape(maps)[1], m * m])
  index = tf.argmax(flat, axis=-1, output_type=tf.int32)
  y, x = index // m, index % m
  offsets = tf.range(-radius, radius + 1)
  dy, dx = tf.meshgrid(offsets, offsets, indexing="ij")
  dy, dx = tf.reshape(dy, [-1]), tf.reshape(dx, [-1])         # [W]
  yy = y[..., None] + dy
  xx = x[..., None] + dx
  inside = (yy >= 0) & (yy < m) & (xx >= 0) & (xx < m)
  values = tf.gather(flat, tf.clip_by_value(yy, 0, m - 1) * m +
                     tf.clip_by_value(xx, 0, m - 1), batch_dims=2)
  weight = tf.where(inside, tf.nn.relu(values), 0.0) + 1e-6 * tf.cast(
      (dx == 0) & (dy == 0), tf.float32)
  weight /= tf.reduce_sum(weight, axis=-1, keepdims=True)
  ox = tf.reduce_sum(weight * tf.cast(dx, tf.float32), -1)
  oy = tf.reduce_sum(weight * tf.cast(dy, tf.float32), -1)
  return tf.stack([tf.cast(x, tf.float32) + ox,
                   tf.cast(y, tf.float32) + oy], axis=-1)


def decode_with_gradients(heatmaps) -> heatmaps_lib.Keypoints2D:
  """Inference's decode (`heatmaps.decode`) in value, `soft_argmax`'s
  gradient (crop pixels)."""
  exact = heatmaps_lib.decode(heatmaps)
  soft = heatmaps_lib.to_crop(soft_argmax(heatmaps))
  xy = tf.stop_gradient(exact.xy) + soft - tf.stop_gradient(soft)
  return heatmaps_lib.Keypoints2D(xy, tf.reduce_max(heatmaps, axis=[1, 2]))


KEYPOINT_LOSSES = ("squared", "gmof")


class EndToEnd:
  """Human2D, both priors and the body model as one differentiable chain."""

  def __init__(self, human2d_model, human2d_config: h2d_config.ModelConfig,
               pose_model: pose_prior_lib.PosePrior, shape_model,
               assets: assets_lib.BodyAssets,
               prior_keypoint_set: str = "COCO_21",
               keypoint_weight: float = 10.0, silhouette_blur: float = 0.1,
               proxy_cell: float = 0.03, render_jit_compile: bool = True,
               keypoint_loss: str = "squared", keypoint_sigma: float = 20.0):
    if keypoint_loss not in KEYPOINT_LOSSES:
      raise ValueError(f"keypoint_loss must be one of {KEYPOINT_LOSSES}, got "
                       f"{keypoint_loss!r}.")
    if not 0 < keypoint_sigma < float("inf"):
      raise ValueError(f"keypoint_sigma must be positive and finite (crop "
                       f"pixels), got {keypoint_sigma}.")
    self.keypoint_loss = keypoint_loss
    self.keypoint_sigma = keypoint_sigma
    self.human2d = human2d_model
    self.human2d_config = human2d_config
    self.pose_model = pose_model
    self.shape_model = shape_model
    self.assets = assets
    self.keypoint_weight = keypoint_weight
    kset = keypoints_lib.get(human2d_config.keypoint_set)
    prior_set = keypoints_lib.get(prior_keypoint_set)
    if prior_set.size != pose_model.config.num_keypoints:
      raise ValueError(f"prior_keypoint_set {prior_set.name} has "
                       f"{prior_set.size} points; the PosePrior reads "
                       f"{pose_model.config.num_keypoints}.")
    missing = [n for n in prior_set.names if n not in kset.names]
    if missing:
      raise ValueError(f"Human2D predicts {kset.name}, which lacks the "
                       f"PosePrior's {prior_set.name} points {missing}.")
    self._prior_index = tf.constant(
        [kset.names.index(n) for n in prior_set.names], tf.int32)
    self.render_size = shape_model.config.silhouette_size
    proxy = proxy_lib.make_proxy(assets, proxy_cell)
    reduced = sample_lib.reduced_body(
        assets, proxy.vertex_ids, keypoints_lib.regressor(assets, kset))
    self._body = reduced.assets
    self._num_surface = len(proxy.vertex_ids)
    self._regressor = tf.constant(reduced.keypoint_regressor, tf.float32)
    self._faces = tf.constant(proxy.faces, tf.int32)
    self._settings = soft_silhouette.SoftSilhouetteSettings(
        image_size=(self.render_size, self.render_size),
        sigma=silhouette_blur, z_near=None, jit_compile=render_jit_compile)

  @property
  def human2d_variables(self):
    return self.human2d.trainable_variables

  @property
  def prior_variables(self):
    return (self.pose_model.trainable_variables +
            self.shape_model.trainable_variables)

  def __call__(self, images) -> ChainOutput:
    """Runs the chain on crops `[B, S, S, 3]` (0..255)."""
    s = self.human2d_config.input_size
    images = tf.cast(images, tf.float32)
    if images.shape.rank != 4 or tuple(images.shape[1:]) != (s, s, 3):
      raise ValueError(f"images must be [B, {s}, {s}, 3], got "
                       f"{images.shape}.")
    hms, sils = self.human2d(images, training=False)
    decoded = decode_with_gradients(hms[:, -1])
    r = self.render_size
    body_prob = tf.nn.softmax(sils[:, -1], axis=-1)[..., 1]
    silhouette = tf.image.resize(body_prob[..., None], [r, r])[..., 0]
    xy = tf.gather(decoded.xy, self._prior_index, axis=1)
    conf = tf.clip_by_value(
        tf.gather(decoded.confidence, self._prior_index, axis=1), 0.0, 1.0)
    pose = self.pose_model(pose_prior_lib.normalize_keypoints(xy, s), conf,
                           training=False)
    betas = self.shape_model(silhouette, training=False)
    body = lbs.forward(self._body, betas, pose.rotmats)
    keypoints3d = tf.einsum("kv,bvc->bkc", self._regressor, body.vertices)
    cam = camera_lib.WeakPerspectiveCamera(pose.camera[:, 0],
                                           pose.camera[:, 1:], r)
    projected = cam.project(keypoints3d)
    rendered = soft_silhouette.soft_silhouette(
        cam.transform_points_screen(body.vertices[:, :self._num_surface]),
        self._faces, self._settings)
    return ChainOutput(
        heatmaps=hms, silhouette_logits=sils, keypoints=decoded.xy,
        confidence=decoded.confidence, silhouette=silhouette,
        theta=pose.theta, rotmats=pose.rotmats, betas=betas,
        camera=pose.camera, projected=projected, rendered=rendered)

  def render_loss(self, out: ChainOutput, batch: Dict[str, tf.Tensor]
                  ) -> Dict[str, tf.Tensor]:
    """The render loss's terms (module doc), batch means.

    Args:
      out: `__call__`'s output.
      batch: `keypoints` `[B, K, 2]` crop pixels, `weights` `[B, K]`,
        `silhouette` `[B, M, M]` coverage, `has_silhouette` `[B]`
        (`human2d.data`'s examples).

    Returns:
      {"keypoints": μ Σ_k w ‖Ŵ − W‖² (or its Geman–McClure form),
      "silhouette": Σ (Ŝ − S)², "render": their sum}.
    """
    r, s = self.render_size, self.human2d_config.input_size
    target = tf.cast(batch["keypoints"], tf.float32)
    weights = tf.cast(batch["weights"], tf.float32)
    if target.shape[1:] != out.projected.shape[1:]:
      raise ValueError(f"batch keypoints must be [B, "
                       f"{out.projected.shape[1]}, 2], got {target.shape}.")
    # Crop pixels → render-grid pixels (same normalised coordinates).
    target = pose_prior_lib.denormalize_keypoints(
        pose_prior_lib.normalize_keypoints(target, s), r)
    target = tf.where(weights[..., None] > 0, target, 0.0)
    squared = tf.reduce_sum(tf.square(out.projected - target), -1)
    if self.keypoint_loss == "gmof":
      sigma = self.keypoint_sigma * r / s      # crop → render-grid pixels
      squared = sigma * sigma * fit_lib.geman_mcclure(squared, sigma)
    keypoints = self.keypoint_weight * tf.reduce_mean(
        tf.reduce_sum(weights * squared, -1))
    coverage = tf.cast(batch["silhouette"], tf.float32)[..., None]
    coverage = tf.image.resize(coverage, [r, r], "area")[..., 0]
    has = tf.cast(batch["has_silhouette"], tf.float32)
    silhouette = tf.reduce_mean(has * tf.reduce_sum(
        tf.square(out.rendered - coverage), axis=[1, 2]))
    return {"keypoints": keypoints, "silhouette": silhouette,
            "render": keypoints + silhouette}


def check_finite(terms: Dict[str, float], step: int) -> None:
  """Raises FloatingPointError naming the step when a loss is not finite."""
  if not all(np.isfinite(v) for v in terms.values()):
    raise FloatingPointError(
        f"loss is {terms} at step {step}; nothing was exported. Lower the "
        f"learning rate or check the data.")
