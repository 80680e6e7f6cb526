"""BUILD stays true: every .py file has a target, deps match imports,
libraries never read absl flags (but `*_flags.py` ones, flags shared by
binaries, which only binaries and tests depend on)."""

import os

from tests import build_graph
from tests import testing

PACKAGES = ("body", "render", "synth", "runtime", "priors", "human2d",
            "pipeline", "tests", "benchmarks")


def _is_flags_module(path: str) -> bool:
  return path.endswith("_flags.py")


class BuildFilesTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = build_graph.repo_root()
    cls.targets = build_graph.read_targets(cls.root)
    cls.by_src = {}
    for target in cls.targets.values():
      for src in target.srcs:
        path = f"{target.package}/{src}" if target.package else src
        cls.by_src.setdefault(path, []).append(target)

  def test_found_the_tree(self):
    self.assertIn("//body:lbs", self.targets)
    self.assertIn("tests/test_build_files.py", self.by_src)

  def test_every_python_file_has_exactly_one_target(self):
    missing, doubled = [], []
    for path in build_graph.python_files(self.root):
      owners = self.by_src.get(path, [])
      # Bazel creates package __init__.py files itself (Bazel 4 default).
      if not owners and not path.endswith("__init__.py"):
        missing.append(path)
      elif len(owners) > 1:
        doubled.append((path, [t.label for t in owners]))
    self.assertEqual(missing, [], "add these files to a BUILD target")
    self.assertEqual(doubled, [], "files in more than one target")

  def test_test_files_are_py_tests_named_after_the_file(self):
    wrong = []
    for path, owners in self.by_src.items():
      name = os.path.basename(path)
      if name.startswith("test_") and name.endswith(".py"):
        t = owners[0]
        if t.kind != "py_test" or t.name != name[:-3]:
          wrong.append((path, t.label, t.kind))
    self.assertEqual(wrong, [])

  def test_binaries_are_py_binaries(self):
    wrong = []
    for path, owners in self.by_src.items():
      name = os.path.basename(path)
      if name.endswith("_main.py") or name == "train.py":
        if owners[0].kind != "py_binary":
          wrong.append((path, owners[0].label))
    self.assertEqual(wrong, [])

  def test_srcs_exist(self):
    absent = [p for p in self.by_src
              if not os.path.exists(os.path.join(self.root, p))]
    self.assertEqual(absent, [])

  def test_deps_cover_project_imports(self):
    """Each import of a project module is a direct dep of the importer."""
    problems = []
    for path, owners in sorted(self.by_src.items()):
      if not path.endswith(".py"):
        continue
      target = owners[0]
      deps = {build_graph.resolve(d, target.package) for d in target.deps}
      deps.add(target.label)
      for module, line in build_graph.project_imports(
          os.path.join(self.root, path), PACKAGES):
        candidates = [module + ".py", module + "/__init__.py"]
        providers = {t.label for c in candidates
                     for t in self.by_src.get(c, [])}
        if not providers:
          continue  # A package import (`from body import x`) resolved above.
        if not providers & deps:
          problems.append(f"{path}:{line} imports {module} but "
                          f"{target.label} lacks a dep on "
                          f"{sorted(providers)}")
    self.assertEqual(problems, [])

  def test_libraries_do_not_import_absl_flags(self):
    offenders = []
    for path, owners in self.by_src.items():
      if owners[0].kind == "py_library" and path.endswith(".py") and (
          not path.startswith("tests/")) and not _is_flags_module(path):
        if build_graph.imports_absl_flags(os.path.join(self.root, path)):
          offenders.append(path)
    self.assertEqual(offenders, [], "flags belong in binaries only")

  def test_flags_modules_serve_binaries_only(self):
    flags_labels = {owners[0].label for path, owners in self.by_src.items()
                    if _is_flags_module(path)}
    self.assertIn("//pipeline:weight_flags", flags_labels)
    wrong = [(t.label, dep) for t in self.targets.values()
             if t.kind == "py_library" for dep in t.deps
             if build_graph.resolve(dep, t.package) in flags_labels]
    self.assertEqual(wrong, [], "only binaries and tests use *_flags.py")

  def test_checker_catches_a_library_reading_flags(self):
    path = os.path.join(self.create_tempdir().full_path, "m.py")
    with open(path, "w") as f:
      f.write("import os\nfrom absl import flags\n")
    self.assertTrue(build_graph.imports_absl_flags(path))
    with open(path, "w") as f:
      f.write("from absl import logging\n")
    self.assertFalse(build_graph.imports_absl_flags(path))


if __name__ == "__main__":
  testing.main()
