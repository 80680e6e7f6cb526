"""Reads the repository's BUILD files into a plain graph, for tests.

BUILD files are Starlark, a Python dialect; the subset this repository uses
(`package`, `py_library`, `py_test`, `py_binary`, `filegroup`,
`exports_files`, `load`, `glob`) is evaluated with stand-in functions that
record each target's name, kind, srcs and deps.
"""

import ast
import dataclasses
import os
from typing import Dict, List, Tuple

SKIP_DIRS = {".venv", ".git", "third_party", "__pycache__", "out",
             ".pytest_cache", "build", "dist"}   # build, dist: `pip wheel .`


@dataclasses.dataclass
class Target:
  package: str          # "body" or "" for the root
  name: str
  kind: str             # py_library | py_test | py_binary | filegroup
  srcs: List[str]
  deps: List[str]

  @property
  def label(self) -> str:
    return f"//{self.package}:{self.name}"


def repo_root() -> str:
  """The workspace root, under pytest or inside Bazel's runfiles.

  Runfiles are symlinks to the source files, so the real path of this file
  leads back to the source tree.
  """
  here = os.path.dirname(os.path.realpath(__file__))
  return os.path.dirname(here)


def _walk(root):
  for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames
                         if d not in SKIP_DIRS and not d.startswith("bazel-")
                         and not d.startswith("."))
    yield dirpath, filenames


def read_targets(root: str) -> Dict[str, Target]:
  """All targets of all BUILD files under root, keyed by label."""
  targets = {}
  for dirpath, filenames in _walk(root):
    if "BUILD" not in filenames:
      continue
    package = os.path.relpath(dirpath, root).replace(os.sep, "/")
    package = "" if package == "." else package

    def rule(kind, package=package):
      def record(name, srcs=(), deps=(), **unused):
        targets[f"//{package}:{name}"] = Target(package, name, kind,
                                                list(srcs), list(deps))
      return record

    env = {k: rule(k) for k in ("py_library", "py_test", "py_binary",
                                "filegroup")}
    env.update(package=lambda **kw: None, exports_files=lambda *a, **k: None,
               load=lambda *a, **k: None, glob=lambda *a, **k: [])
    with open(os.path.join(dirpath, "BUILD")) as f:
      exec(compile(f.read(), os.path.join(dirpath, "BUILD"), "exec"), env)  # pylint: disable=exec-used
  return targets


def python_files(root: str) -> List[str]:
  """Repository-relative paths of all .py files that BUILD must cover."""
  out = []
  for dirpath, filenames in _walk(root):
    for name in filenames:
      if name.endswith(".py"):
        out.append(os.path.relpath(os.path.join(dirpath, name), root))
  return sorted(p.replace(os.sep, "/") for p in out)


def resolve(label: str, package: str) -> str:
  """':x' or '//a/b:x' or '//a/b' → canonical '//a/b:x'."""
  if label.startswith(":"):
    return f"//{package}{label}"
  if ":" not in label:
    return f"{label}:{label.rsplit('/', 1)[-1]}"
  return label


def project_imports(path: str, packages) -> List[Tuple[str, int]]:
  """(module path like 'body/lbs.py' or 'body/__init__.py', line) imported.

  Only imports of the repository's own top-level packages are returned.
  """
  with open(path) as f:
    tree = ast.parse(f.read(), filename=path)
  found = []
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
      top = node.module.split(".")[0]
      if top not in packages:
        continue
      for alias in node.names:
        found.append((node.module.replace(".", "/") + "/" + alias.name,
                      node.lineno))
    elif isinstance(node, ast.Import):
      for alias in node.names:
        if alias.name.split(".")[0] in packages:
          found.append((alias.name.replace(".", "/"), node.lineno))
  return found


def imports_absl_flags(path: str) -> bool:
  """Whether the file imports absl.flags in any form."""
  with open(path) as f:
    tree = ast.parse(f.read(), filename=path)
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module == "absl":
      if any(a.name == "flags" for a in node.names):
        return True
    if isinstance(node, ast.ImportFrom) and node.module and (
        node.module.startswith("absl.flags")):
      return True
    if isinstance(node, ast.Import) and any(
        a.name.startswith("absl.flags") for a in node.names):
      return True
  return False
