"""Training: the schedule and tiny overfit runs."""

import dataclasses
import os

from body import lbs
from body import toy
from priors import config as config_lib
from priors import data
from priors import losses
from priors import pose_prior
from priors import shape_prior
from priors import training
from synth import corruption
from tests import testing

_TINY_DATA = data.DataConfig(noise=corruption.CLEAN, clean_fraction=1.0)


def _arrays(n=32, seed=0):
  return data.generate_arrays(toy.make_assets(), n, seed, chunk=n)


class ScheduleTest(testing.TestCase):

  def test_paper_schedule_is_default(self):
    cfg = config_lib.TrainConfig(prior="pose", model_dir="/x",
                                 num_steps=100)
    early = training.loss_weights(cfg, 10)
    late = training.loss_weights(cfg, 60)
    self.assertEqual(early["vertex"], 0.0)
    self.assertGreater(early["parameter"], 0.0)
    self.assertGreater(late["vertex"], 0.0)
    self.assertEqual(late["render"], 0.0)
    shape = training.loss_weights(
        config_lib.TrainConfig(prior="shape", model_dir="/x", num_steps=100),
        60)
    self.assertEqual(shape["camera"], 0.0)
    self.assertEqual(shape["reprojection"], 0.0)

  def test_render_phase(self):
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir="/x", num_steps=100,
        loss=config_lib.LossConfig(render_start=0.9))
    self.assertEqual(training.loss_weights(cfg, 89)["render"], 0.0)
    self.assertGreater(training.loss_weights(cfg, 90)["render"], 0.0)


  def test_steps_to_next_event(self):
    cfg = config_lib.TrainConfig(prior="pose", model_dir="/x", num_steps=100,
                                 log_every=30, checkpoint_every=40,
                                 image_every=0)
    # Events: logs at 30, 60, 90; checkpoints at 40, 80; the vertex phase
    # at 50; the end at 100.
    steps, current = [], 0
    while current < 100:
      current += training._steps_to_next_event(cfg, current, 100)
      steps.append(current)
    self.assertEqual(steps, [30, 40, 50, 60, 80, 90, 100])


class LossComputerTest(testing.TestCase):

  def test_vertex_stride_matches_the_full_body_on_the_subset(self):
    assets = toy.make_assets()
    arrays = _arrays(8, seed=3)
    batch = data.to_batch({k: v for k, v in arrays.items()},
                          corruption.CLEAN, 1.0, [0, 0])
    weights = {"parameter": 1.0, "camera": 1.0, "vertex": 1.0, "joint": 1.0,
               "reprojection": 1.0}
    model = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=32))
    terms = {}
    for stride in (1, 3):
      cfg = config_lib.TrainConfig(
          prior="pose", model_dir="/x",
          loss=config_lib.LossConfig(vertex_stride=stride))
      computer = training.LossComputer(cfg, assets)
      _, terms[stride], pred = computer(model, batch, weights,
                                        training=False)
    self.assertLess(computer.num_loss_vertices, assets.num_vertices // 2)
    for t in ("parameter", "camera", "joint", "reprojection"):
      self.assertAllClose(terms[3][t], terms[1][t], rtol=1e-4, msg=t)
    # The strided vertex loss is the full mean over every third vertex.
    full = training.LossComputer(config_lib.TrainConfig(
        prior="pose", model_dir="/x"), assets)
    gt = lbs.forward(assets, batch["betas"], batch["rotmats"]).vertices
    posed = lbs.forward(assets, batch["betas"], pred.rotmats).vertices
    subset = slice(0, None, 3)
    self.assertAllClose(terms[3]["vertex"],
                        losses.vertex_loss(posed[:, subset], gt[:, subset]),
                        rtol=1e-4)
    self.assertIsNone(full.num_loss_vertices)


class OverfitTest(testing.TestCase):

  def test_render_phase_trains_with_jit_compile_asked(self):
    # The render loss cannot be XLA-compiled: such runs train without it.
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir=self.create_tempdir().full_path,
        body_model="toy", data=_TINY_DATA,
        pose_model=pose_prior.PosePriorConfig(hidden_units=16, dropout=0.0),
        loss=config_lib.LossConfig(vertex_start=0.5, render_start=0.5),
        batch_size=4, num_steps=4, log_every=4, checkpoint_every=100,
        image_every=0, jit_compile=True)
    result = training.train(cfg, arrays=_arrays(8))
    self.assertEqual(result.final_step, 4)
    self.assertGreater(result.last_losses["render"], 0.0)

  def test_pose_prior_overfits_a_tiny_set(self):
    arrays = _arrays()
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir=self.create_tempdir().full_path,
        body_model="toy", data=_TINY_DATA,
        pose_model=pose_prior.PosePriorConfig(hidden_units=128, dropout=0.0),
        batch_size=32, num_steps=250, learning_rate=3e-3,
        checkpoint_every=1000, log_every=50, image_every=0)
    result = training.train(cfg, arrays=arrays)
    # At the start the rotation loss is ~0.6 per joint (random views); the
    # second half of the default schedule adds the vertex loss.
    self.assertLess(result.last_losses["parameter"], 0.02)
    self.assertGreater(result.last_losses["vertex"], 0.0)
    self.assertLess(result.last_losses["vertex"], 1e-4)     # < 1 cm RMS
    self.assertTrue(os.path.isfile(result.weights_path))
    self.assertEqual(result.weights_path, training.weights_path(cfg))

  def test_shape_prior_overfits_a_tiny_set(self):
    arrays = _arrays(16)
    cfg = config_lib.TrainConfig(
        prior="shape", model_dir=self.create_tempdir().full_path,
        body_model="toy", data=_TINY_DATA,
        shape_model=shape_prior.ShapePriorConfig(
            conv_channels=(8, 8, 16, 16, 16), hidden_units=64, dropout=0.0),
        batch_size=16, num_steps=150, learning_rate=3e-3,
        checkpoint_every=1000, log_every=50, image_every=0)
    result = training.train(cfg, arrays=arrays)
    self.assertLess(result.last_losses["parameter"], 0.02)   # β ~ N(0, 1)

  def test_init_weights_of_a_shallower_pose_prior_are_deepened(self):
    folder = self.create_tempdir().full_path
    small = pose_prior.PosePriorConfig(hidden_units=16, num_units=1)
    shallow = pose_prior.PosePrior(small)
    shallow.rotation_head.kernel.assign(self.rng.normal(
        0, 0.3, shallow.rotation_head.kernel.shape).astype("float32"))
    path = os.path.join(folder, "shallow.weights.h5")
    shallow.save_weights(path)
    config_lib.write_json(config_lib.TrainConfig(
        prior="pose", model_dir=folder, pose_model=small),
        os.path.join(folder, "shallow.config.json"))
    deeper_config = config_lib.TrainConfig(
        prior="pose", model_dir="/x", init_weights=path,
        pose_model=pose_prior.PosePriorConfig(hidden_units=16, num_units=2))
    model = training.build_model(deeper_config)
    training.initialise(model, deeper_config)
    kp = self.rng.uniform(-0.5, 0.5, (4, 17, 2)).astype("float32")
    conf = self.rng.uniform(0.5, 1.0, (4, 17)).astype("float32")
    self.assertAllEqual(model.unit0.linear1.kernel, shallow.unit0.linear1.kernel)
    self.assertAllClose(model(kp, conf, training=False).rotmats,
                        shallow(kp, conf, training=False).rotmats, atol=0.1)
    # Dropout holds no weights: a deeper prior with dropout deepens too.
    dropped = dataclasses.replace(deeper_config, pose_model=dataclasses.replace(
        deeper_config.pose_model, dropout=0.2))
    model_d = training.build_model(dropped)
    training.initialise(model_d, dropped)
    self.assertAllEqual(model_d.unit0.linear1.kernel,
                        shallow.unit0.linear1.kernel)
    # The same weights cannot go into a prior of another width.
    wider = config_lib.TrainConfig(
        prior="pose", model_dir="/x", init_weights=path,
        pose_model=pose_prior.PosePriorConfig(hidden_units=32, num_units=2))
    with self.assertRaisesRegex(ValueError,
                                r"differs in num_units \(and dropout\) alone"):
      training.initialise(training.build_model(wider), wider)
    # Weights deeper than asked name the flag instead of Keras's shape error.
    shallower = dataclasses.replace(
        deeper_config, pose_model=pose_prior.PosePriorConfig(
            hidden_units=16, num_units=0))
    with self.assertRaisesRegex(ValueError, "--num_units=1"):
      training.initialise(training.build_model(shallower), shallower)
    # Equal depth loads as before.
    same = dataclasses.replace(deeper_config, pose_model=small)
    model = training.build_model(same)
    training.initialise(model, same)
    self.assertAllEqual(model.rotation_head.kernel,
                        shallow.rotation_head.kernel)

  def test_non_finite_loss_stops_without_exporting(self):
    # Issue 19, defect 3: --learning_rate=nan (now refused by the config)
    # trained and exported NaN weights with exit 0; a loss that turns NaN
    # for another reason must also stop the run.
    arrays = _arrays(8)
    arrays["theta"][:] = float("nan")
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir=self.create_tempdir().full_path,
        body_model="toy", data=_TINY_DATA,
        pose_model=pose_prior.PosePriorConfig(hidden_units=16, dropout=0.0),
        batch_size=4, num_steps=4, log_every=2, checkpoint_every=100,
        image_every=0)
    with self.assertRaisesRegex(FloatingPointError,
                                "loss is nan at step 2.*learning_rate"):
      training.train(cfg, arrays=arrays)
    self.assertFalse(os.path.exists(training.weights_path(cfg)))
    with self.assertRaisesRegex(ValueError, "learning_rate must be finite"):
      config_lib.TrainConfig(prior="pose", model_dir="/x",
                             learning_rate=float("nan"))


if __name__ == "__main__":
  testing.main()
