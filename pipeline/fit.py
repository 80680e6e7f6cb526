"""Test-time fit: refines the priors' prediction against the 2D evidence.

The "SMPLify boost" of Pavlakos et al. 2018 (Sec. 4): starting from the
feed-forward θ, β and camera, a few optimiser steps minimise, per example,

    E = w_kp  · Σ_k c_k · ρ_σk(‖ŵ_k − w_k‖)       keypoints, pixels of the crop
      + w_sil · mean_pixels (Ŝ − S)²                soft silhouette vs observed
      + w_anc · Σ_i ρ_σa(θ_i − θ_init,i)            anchor to the prediction
      + w_lim · Σ_j excess_j(θ)²                    joint limits (radians)
      + w_sh  · ‖β − β_ref‖²                        β_ref = β_init or 0

with ρ_σ(x) = x² / (σ² + x²) the Geman–McClure penalty scaled to [0, 1):
quadratic for residuals below σ, flat for outliers (a swapped or wild
keypoint pulls at most w_kp · c_k). Ŝ is `render.soft_silhouette` of the
body under the weak-perspective camera, on the observed silhouette's grid;
the limits are `pipeline.joint_limit_penalty` (`synth.joint_limits`'
table). Parameters: axis-angle θ `[B, 72]`, β `[B, S]` and the weak
perspective camera (log s, t_x, t_y); the optimiser is Adam, written out so
that the whole loop is one `tf.while_loop` inside one `tf.function`.

Adam's ε is large on purpose (`FitConfig.adam_epsilon`, in units of the
per-example gradient): Adam divides by the gradient's own scale, so with the
usual 1e-8 a gradient of rounding noise moves every parameter by about the
learning rate, and near a stiff optimum (the camera, the root) such a kick
grows into a jitter of that size. With ε = 10, gradients below ~10 take
plain gradient steps (rate / ε), larger ones Adam's normalised steps: on the
toy body a prediction that explains the evidence moves by ~1e-7, where ε =
1e-3 moved it by 0.06 rad, and the fit still reduces the objective 8–13×.
The rate decays to 0 along a half cosine.

Posing and rendering use `synth.sample.reduced_body` over a coarse proxy of
the surface (`synth.proxy`, `proxy_cell`), with exact joints and keypoints:
a 64² silhouette does not need the full mesh. The result is posed with the
full mesh once at the end.

Dimensions: B batch, K keypoints, S shape components, R×R silhouette.
"""

import dataclasses
from typing import Dict, NamedTuple, Optional

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import bundled
from body import keypoints as keypoints_lib
from body import lbs
from body import rotation
from pipeline import joint_limit_penalty
from render import camera as camera_lib
from render import soft_silhouette
from synth import proxy as proxy_lib
from synth import sample as sample_lib

TERMS = ("keypoints", "silhouette", "anchor", "limits", "shape")
SHAPE_PRIORS = ("init", "zero")


@dataclasses.dataclass(frozen=True)
class FitConfig:
  """How to fit. Weights of 0 switch a term off.

  Attributes:
    steps: optimiser steps; 0 turns the fit off (the prediction is returned).
    learning_rate: Adam's first step size (radians for θ, log-scale for s,
      metres for t, units of β); it decays to 0 along a half cosine, so the
      last steps settle instead of jittering around the optimum by ~lr.
    camera_rate: the camera's learning rate relative to `learning_rate`
      (the camera moves every keypoint: its directions are the stiffest).
    adam_epsilon: Adam's ε (see the module docstring).
    keypoint_weight, keypoint_sigma: w_kp and the Geman–McClure scale σ_k,
      pixels of the crop. The defaults of σ_k and w_sil were picked on
      `benchmarks.fit`'s 256 examples (σ_k 10 → 20 and w_sil 20 → 60:
      PA-MPJPE 45.3 → 44.4 mm, PVE 83.4 → 82.1 mm), i.e. on the set the
      figures are reported on; no separate validation set was used.
    silhouette_weight, silhouette_blur: w_sil and the soft rasterizer's σ
      (pixels² of the R×R grid). 0.1 (a one-pixel ramp) fitted better and
      3.5× faster than 0.5 in `benchmarks.fit` (64 examples: PA-MPJPE 41.5
      vs 42.0 mm, 0.31 vs 1.07 s per image).
    anchor_weight, anchor_sigma: w_anc and σ_a (radians).
    limit_weight, hinge_tolerance: w_lim and the knees' and elbows' allowed
      off-axis rotation (radians).
    shape_weight, shape_prior: w_sh and β_ref: "init" (the prediction) or
      "zero" (the mean shape).
    keypoint_set: the keypoints' set (`body.keypoints`).
    crop_size: side S of the crop the keypoints are in, pixels.
    proxy_cell: the proxy surface's cell (metres) for the silhouette; 0 =
      the full mesh.
    jit_compile: compile the loop with XLA when there is no silhouette
      (the soft rasterizer's sizes depend on the data, so a fit with one
      always runs without). In `benchmarks.fit` (keypoints only, batch 16,
      40 steps) XLA took 0.007 s per image and the plain loop 0.007 to
      0.068 s over three runs on the shared 2 cores: never slower, up to
      3–5× faster; it compiles once per batch size.
    render_jit_compile: run the soft rasterizer's kernels with XLA (faster
      per step, but each new problem size compiles for seconds).
  """
  steps: int = 40
  learning_rate: float = 0.02
  camera_rate: float = 0.25
  adam_epsilon: float = 10.0
  keypoint_weight: float = 1.0
  keypoint_sigma: float = 20.0
  silhouette_weight: float = 60.0
  silhouette_blur: float = 0.1
  anchor_weight: float = 0.05
  anchor_sigma: float = 0.5
  limit_weight: float = 10.0
  hinge_tolerance: float = 0.3
  shape_weight: float = 0.05
  shape_prior: str = "init"
  keypoint_set: str = "COCO_21"
  crop_size: int = 256
  proxy_cell: float = 0.03
  jit_compile: bool = True
  render_jit_compile: bool = True

  def __post_init__(self):
    if self.steps < 0:
      raise ValueError(f"steps must be ≥ 0; got {self.steps}.")
    for name in ("learning_rate", "camera_rate", "adam_epsilon", "keypoint_sigma",
                 "silhouette_blur", "anchor_sigma"):
      if not getattr(self, name) > 0:
        raise ValueError(f"{name} must be positive; got "
                         f"{getattr(self, name)}.")
    for name in ("keypoint_weight", "silhouette_weight", "anchor_weight",
                 "limit_weight", "shape_weight", "hinge_tolerance",
                 "proxy_cell"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be ≥ 0; got {getattr(self, name)}.")
    if self.shape_prior not in SHAPE_PRIORS:
      raise ValueError(f"shape_prior must be one of {SHAPE_PRIORS}; got "
                       f"{self.shape_prior!r}.")
    keypoints_lib.get(self.keypoint_set)     # Raises on an unknown name.
    if self.crop_size <= 0:
      raise ValueError(f"crop_size must be positive; got {self.crop_size}.")


class FitResult(NamedTuple):
  """The fitted body (the fields of `priors.inference.PriorsOutput`, so a
  fit can replace a prediction) and the objective along the way.

  Attributes:
    theta: `[B, 72]`; rotmats: `[B, 24, 3, 3]`; betas: `[B, S]`.
    camera: `[B, 3]` weak perspective (s, t_x, t_y).
    vertices: `[B, V, 3]`, joints: `[B, 24, 3]` (full mesh, no translation).
    losses: `[steps + 1, B]` the objective E after 0, 1, …, steps updates
      (`[0, B]` when steps = 0).
    terms: per term of `TERMS`, `[steps + 1, B]` its weighted value.
  """
  theta: tf.Tensor
  rotmats: tf.Tensor
  betas: tf.Tensor
  camera: tf.Tensor
  vertices: tf.Tensor
  joints: tf.Tensor
  losses: tf.Tensor
  terms: Dict[str, tf.Tensor]


class _Evidence(NamedTuple):
  keypoints: tf.Tensor     # [B, K, 2] pixels, non-finite → weight 0
  confidence: tf.Tensor    # [B, K]
  silhouette: Optional[tf.Tensor]  # [B, R, R] or None
  theta: tf.Tensor         # [B, 72] initial
  betas: tf.Tensor         # [B, S] initial


def geman_mcclure(squared, sigma: float):
  """ρ_σ = x² / (σ² + x²) from x², in [0, 1)."""
  return squared / (sigma * sigma + squared)


class Fitter:
  """Fits batches for one body model and `FitConfig` (keeps the compiled
  loop, so build it once and call it many times)."""

  def __init__(self, config: FitConfig = FitConfig(),
               assets: Optional[assets_lib.BodyAssets] = None):
    self.config = config
    self.assets = assets or bundled.load()
    kset = keypoints_lib.get(config.keypoint_set)
    self.num_keypoints = kset.size
    proxy = proxy_lib.make_proxy(self.assets, config.proxy_cell)
    reduced = sample_lib.reduced_body(
        self.assets, proxy.vertex_ids,
        keypoints_lib.regressor(self.assets, kset))
    self._body = reduced.assets
    self._num_surface = len(proxy.vertex_ids)
    self._keypoint_regressor = tf.constant(
        reduced.keypoint_regressor.astype(np.float32))
    self._faces = tf.constant(proxy.faces.astype(np.int32))
    self._loop = tf.function(self._run, reduce_retracing=True)
    self._loop_xla = tf.function(self._run, reduce_retracing=True,
                                 jit_compile=True)

  # ---------------------------------------------------------------- objective
  def _terms(self, theta, betas, camera, evidence: _Evidence
             ) -> Dict[str, tf.Tensor]:
    """Each weighted term of E, `[B]`. camera = (log s, t_x, t_y)."""
    c = self.config
    zero = tf.zeros_like(theta[:, 0])
    terms = {t: zero for t in TERMS}
    body = lbs.forward(self._body, betas, rotation.axis_angle_to_matrix(
        tf.reshape(theta, [-1, 24, 3])))
    scale = tf.exp(camera[:, 0])
    if c.keypoint_weight > 0:
      kp3d = tf.einsum("kr,brc->bkc", self._keypoint_regressor,
                       body.vertices)
      cam = camera_lib.WeakPerspectiveCamera(scale, camera[:, 1:],
                                             c.crop_size)
      residual = cam.project(kp3d) - evidence.keypoints
      finite = tf.reduce_all(tf.math.is_finite(residual), -1) & (
          tf.math.is_finite(evidence.confidence))
      squared = tf.reduce_sum(tf.square(tf.where(
          finite[..., None], residual, tf.zeros_like(residual))), -1)
      weight = tf.where(finite, evidence.confidence,
                        tf.zeros_like(evidence.confidence))
      terms["keypoints"] = c.keypoint_weight * tf.reduce_sum(
          weight * geman_mcclure(squared, c.keypoint_sigma), -1)
    if c.silhouette_weight > 0 and evidence.silhouette is not None:
      size = evidence.silhouette.shape[-1]
      cam = camera_lib.WeakPerspectiveCamera(scale, camera[:, 1:], size)
      screen = cam.transform_points_screen(
          body.vertices[:, :self._num_surface])
      rendered = soft_silhouette.soft_silhouette(
          screen, self._faces, soft_silhouette.SoftSilhouetteSettings(
              image_size=(size, size), sigma=c.silhouette_blur, z_near=None,
              jit_compile=c.render_jit_compile))
      terms["silhouette"] = c.silhouette_weight * tf.reduce_mean(
          tf.square(rendered - evidence.silhouette), axis=[1, 2])
    if c.anchor_weight > 0:
      terms["anchor"] = c.anchor_weight * tf.reduce_sum(geman_mcclure(
          tf.square(theta - evidence.theta), c.anchor_sigma), -1)
    if c.limit_weight > 0:
      terms["limits"] = c.limit_weight * joint_limit_penalty.penalty(
          theta, c.hinge_tolerance)
    if c.shape_weight > 0:
      reference = evidence.betas if c.shape_prior == "init" else 0.0
      terms["shape"] = c.shape_weight * tf.reduce_sum(
          tf.square(betas - reference), -1)
    return terms

  # --------------------------------------------------------------------- loop
  def _run(self, theta, betas, camera, evidence: _Evidence):
    """The optimisation loop: returns the final (θ, β, camera) and the
    `[steps + 1, B, len(TERMS)]` terms."""
    c = self.config
    beta1, beta2 = 0.9, 0.999
    params = (theta, betas, camera)

    def terms_of(p):
      values = self._terms(*p, evidence)
      return tf.stack([values[t] for t in TERMS], axis=-1)   # [B, T]

    def step(i, p, m, v, history):
      with tf.GradientTape() as tape:
        tape.watch(p)
        terms = terms_of(p)
        total = tf.reduce_sum(terms)
      grads = tape.gradient(total, p,
                            unconnected_gradients="zero")
      t = tf.cast(i + 1, theta.dtype)
      rate = c.learning_rate * 0.5 * (1.0 + tf.cos(np.pi * (t - 1.0) /
                                                   c.steps))
      new_p, new_m, new_v = [], [], []
      scales = (1.0, 1.0, c.camera_rate)
      for x, g, m_x, v_x, scale in zip(p, grads, m, v, scales):
        m_x = beta1 * m_x + (1.0 - beta1) * g
        v_x = beta2 * v_x + (1.0 - beta2) * tf.square(g)
        m_hat = m_x / (1.0 - beta1**t)
        v_hat = v_x / (1.0 - beta2**t)
        new_p.append(x - scale * rate * m_hat /
                     (tf.sqrt(v_hat) + c.adam_epsilon))
        new_m.append(m_x)
        new_v.append(v_x)
      return (i + 1, tuple(new_p), tuple(new_m), tuple(new_v),
              history.write(i, terms))

    zeros = tuple(tf.zeros_like(x) for x in params)
    history = tf.TensorArray(theta.dtype, size=c.steps + 1)
    _, params, _, _, history = tf.while_loop(
        lambda i, *_: i < c.steps, step,
        (tf.constant(0), params, zeros, zeros, history),
        maximum_iterations=c.steps)
    history = history.write(c.steps, terms_of(params))
    return params, history.stack()

  # --------------------------------------------------------------------- API
  def __call__(self, prior_output, keypoints_px, confidence,
               silhouette=None) -> FitResult:
    """Fits a batch.

    Args:
      prior_output: a `priors.inference.PriorsOutput` (or anything with
        theta `[B, 72]`, betas `[B, S]` and camera `[B, 3]`), the start and
        the anchor.
      keypoints_px: `[B, K, 2]` keypoints in pixels of the crop (non-finite
        ones are ignored).
      confidence: `[B, K]` weights in [0, 1] (0 = missing).
      silhouette: `[B, R, R]` in [0, 1], or None for no silhouette term.

    Returns:
      A FitResult.

    Raises:
      ValueError: on shapes that do not fit.
    """
    c = self.config
    theta = tf.cast(tf.convert_to_tensor(prior_output.theta), tf.float32)
    betas = tf.cast(tf.convert_to_tensor(prior_output.betas), tf.float32)
    camera = tf.cast(tf.convert_to_tensor(prior_output.camera), tf.float32)
    keypoints_px = tf.cast(tf.convert_to_tensor(keypoints_px), tf.float32)
    confidence = tf.cast(tf.convert_to_tensor(confidence), tf.float32)
    batch = theta.shape[0]
    _check(theta, [batch, 72], "prior_output.theta")
    _check(betas, [batch, None], "prior_output.betas")
    _check(camera, [batch, 3], "prior_output.camera")
    _check(keypoints_px, [batch, self.num_keypoints, 2], "keypoints_px",
           f" ({c.keypoint_set} keypoints)")
    _check(confidence, [batch, self.num_keypoints], "confidence")
    if silhouette is not None:
      silhouette = tf.cast(tf.convert_to_tensor(silhouette), tf.float32)
      _check(silhouette, [batch, None, None], "silhouette")
      if silhouette.shape[1] != silhouette.shape[2]:
        raise ValueError(f"silhouette must be square [B, R, R]; got "
                         f"{silhouette.shape}.")
    if c.steps == 0:
      history = tf.zeros([0, tf.shape(theta)[0], len(TERMS)])
      params = (theta, betas, camera)
    else:
      if not bool(tf.reduce_all(camera[:, 0] > 0)):
        raise ValueError("prior_output.camera's scale (column 0) must be "
                         "positive.")
      evidence = _Evidence(keypoints_px, confidence, silhouette, theta, betas)
      start = tf.concat([tf.math.log(camera[:, :1]), camera[:, 1:]], -1)
      loop = self._loop_xla if (c.jit_compile and silhouette is None) else (
          self._loop)
      params, history = loop(theta, betas, start, evidence)
      params = (params[0], params[1],
                tf.concat([tf.exp(params[2][:, :1]), params[2][:, 1:]], -1))
    theta, betas, camera = params
    rotmats = rotation.axis_angle_to_matrix(tf.reshape(theta, [-1, 24, 3]))
    body = lbs.forward(self.assets, betas, rotmats)
    return FitResult(theta=theta, rotmats=rotmats, betas=betas, camera=camera,
                     vertices=body.vertices, joints=body.joints,
                     losses=tf.reduce_sum(history, -1),
                     terms={t: history[..., i] for i, t in enumerate(TERMS)})


def _check(tensor, shape, name: str, note: str = ""):
  if tensor.shape.rank != len(shape) or any(
      want is not None and have is not None and want != have
      for want, have in zip(shape, tensor.shape)):
    raise ValueError(f"{name} must have shape "
                     f"{['B' if s is None else s for s in shape]}{note}; got "
                     f"{tensor.shape}.")


def fit(prior_output, keypoints_px, confidence, silhouette=None,
        config: FitConfig = FitConfig(),
        assets: Optional[assets_lib.BodyAssets] = None) -> FitResult:
  """One-off `Fitter(config, assets)(...)` (builds the Fitter each call;
  keep a Fitter to fit many batches)."""
  return Fitter(config, assets)(prior_output, keypoints_px, confidence,
                                silhouette)
