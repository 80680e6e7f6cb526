"""pyproject.toml: the wheel holds the library and its data, and what a Beam
worker imports loads from the installed wheel alone."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from tests import build_graph
from tests import testing

_LIBRARY = ("body", "render", "synth", "runtime", "priors", "human2d",
            "pipeline")


class PackagingTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = build_graph.repo_root()
    cls.work = tempfile.mkdtemp(prefix="body3d-wheel-")
    # A copy of the tree: building in place would leave build/ behind.
    source = os.path.join(cls.work, "src")
    os.makedirs(source)
    for name in ("pyproject.toml", "README.md") + _LIBRARY + ("tests",):
      # tests/ goes along to check that the wheel leaves it out.
      path = os.path.join(root, name)
      if os.path.isdir(path):
        shutil.copytree(path, os.path.join(source, name),
                        ignore=shutil.ignore_patterns("__pycache__"))
      elif os.path.exists(path):
        shutil.copy(path, source)
    dist = os.path.join(cls.work, "dist")
    # --no-build-isolation: setuptools from this environment, no download.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps",
         "--no-build-isolation", "--quiet", "-w", dist, source],
        check=True, capture_output=True, timeout=300)
    (cls.wheel,) = glob.glob(os.path.join(dist, "body3d-*.whl"))
    with zipfile.ZipFile(cls.wheel) as z:
      cls.names = set(z.namelist())
      cls.installed = os.path.join(cls.work, "site")
      z.extractall(cls.installed)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.work, ignore_errors=True)
    super().tearDownClass()

  def test_wheel_holds_the_library_and_its_data(self):
    for name in ("synth/beam_pipeline.py", "synth/generation.py",
                 "runtime/checkpoints.py", "priors/training.py",
                 "body/data/open_body.npz",
                 "priors/weights/pose_prior.weights.h5",
                 "priors/weights/pose_prior.config.json"):
      self.assertIn(name, self.names)
    self.assertFalse([n for n in self.names if n.startswith("tests/")])

  def test_beam_pipeline_imports_from_the_installed_wheel(self):
    # Away from the source tree, with only the unpacked wheel on the path
    # (what `pip install` gives a Dataflow worker).
    code = ("import synth.beam_pipeline, synth.generation, body.bundled; "
            "print(synth.beam_pipeline.__file__); "
            "print(body.bundled.load_model().num_vertices)")
    env = dict(os.environ, PYTHONPATH=self.installed,
               TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", code], cwd=self.work,
                         env=env, capture_output=True, text=True,
                         timeout=300)
    self.assertEqual(out.returncode, 0, out.stderr[-3000:])
    path, vertices = out.stdout.split()
    self.assertTrue(path.startswith(self.installed), path)
    self.assertGreater(int(vertices), 0)


if __name__ == "__main__":
  testing.main()
