r"""Evaluates Human2D: PCK / PCKh / pixel error / silhouette IoU, accuracy, F1.

    # The LSP protocol on LSP's own files (e.g. the test half im1001–im2000),
    # silhouettes scored against UPi-S1h's person masks (Table 5's setting):
    python -m human2d.evaluate --lsp=/data/lsp --lsp_split=test \
        --lsp_masks=/data/upi-s1h
    # Any TFRecords written by human2d.convert:
    python -m human2d.evaluate --records=/data/lsp_val.tfrecord

Without `--weights` the shipped weights are evaluated. Each image is cropped
from the box of its annotated joints (centre, 1.25 × the larger side),
predictions (flip test on) are mapped back to image pixels and scored there:
PCK@0.2 of the torso (left shoulder ↔ right hip) over all labelled points
and over LSP's 12 limb joints (`PCK12@0.2`, the usual LSP figure).

Where records carry a person mask (UPi-S1h's with `--lsp_masks`, UP-3D's,
COCO's, the rendered set's), the predicted 64² silhouette is warped back to
the original image (0 outside the crop) and scored there against the full
mask, as Pavlakos et al. Table 5 / Unite the People score LSP: `IoU` (mean
over images), `fg acc` (pixel accuracy over whole images, pooled), `fg F1`
(UP's: the pooled F1 of body and of background, averaged) and `body F1`
(`human2d.evaluation` defines them). Images without a mask count for the
keypoints only; the output says how many had one. Table 5's part
segmentation is not reported: Human2D predicts no body parts.
The table is printed, and one JSON line ends the output.
"""

import json
import os
import tempfile
import time

from absl import app
from absl import flags

from body import keypoints as keypoints_lib
from human2d import evaluation
from human2d import inference
from human2d import lsp
from human2d import record
from human2d import up3d

flags.DEFINE_string("weights", "", "Weights file ('' = shipped).")
flags.DEFINE_string("config", "", "Its config.json ('' = beside it).")
flags.DEFINE_list("records", [], "TFRecord files / folders to evaluate.")
flags.DEFINE_string("lsp", "", "An LSP folder (joints.mat + images/).")
flags.DEFINE_enum("lsp_kind", "lsp", list(lsp.KINDS), "lsp or lspet.")
flags.DEFINE_enum("lsp_split", "test", sorted(lsp.SPLITS), "LSP split.")
flags.DEFINE_string("lsp_masks", "", "With --lsp: a UPi-S1h folder whose "
                    "person masks (lsp/im%04d_segmentation.png, or "
                    "lsp_extended/ for lspet) become the images' silhouettes "
                    "('' = keypoints only).")
flags.DEFINE_integer("rendered", 0, "Also evaluate on this many held-out "
                     "rendered people (synth.images; PCK and silhouette IoU).")
flags.DEFINE_integer("rendered_seed", 99991, "Seed of the rendered set (not "
                     "a training seed).")
flags.DEFINE_list("backgrounds", [], "Background folders for --rendered.")
flags.DEFINE_integer("limit", 0, "At most this many images per set (0: all).")
flags.DEFINE_bool("flip_test", True, "Average with the mirrored crop.")
flags.DEFINE_integer("batch_size", 16, "Batch size.")

COLUMNS = ("PCK12@0.2", "PCK@0.2", "PCK@0.1", "PCKh@0.5", "mean px", "IoU",
           "fg acc", "fg F1", "body F1", "img/s")


def evaluate_records(net: inference.Human2D, path: str, limit: int,
                     flip_test: bool, batch_size: int):
  cfg = net.config
  data = evaluation.crops_from_records(path, cfg.keypoint_set,
                                       cfg.input_size, limit)
  t0 = time.time()
  xy, _, sil = inference.predict_in_batches(net, data["crops"], batch_size,
                                            flip_test)
  seconds = time.time() - t0
  pred = evaluation.to_image(xy, data["transforms"])
  names = keypoints_lib.get(cfg.keypoint_set).names
  row = evaluation.summarise(pred, data["keypoints"], data["labelled"],
                             names, data["head_size"])
  counts = evaluation.image_frame_counts(sil, data["masks"],
                                        data["transforms"], cfg.input_size)
  if len(counts.tp):
    row.update(evaluation.segmentation_scores(counts))
  row["img/s"] = len(xy) / seconds
  row["images"] = len(xy)
  row["with silhouette"] = len(counts.tp)
  return row


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  f = flags.FLAGS
  if not f.records and not f.lsp and not f.rendered:
    raise app.UsageError("give --records, --lsp and/or --rendered.")
  if f.lsp_masks and not f.lsp:
    raise app.UsageError("--lsp_masks needs --lsp (the LSP images).")
  net = inference.Human2D.load(f.weights or None, f.config or None)
  sets = {os.path.basename(p.rstrip("/")): p for p in f.records}
  with tempfile.TemporaryDirectory() as tmp:
    if f.lsp:
      path = os.path.join(tmp, "lsp.tfrecord")
      examples = lsp.examples(f.lsp, f.lsp_kind, f.lsp_split,
                              net.config.keypoint_set)
      if f.lsp_masks:
        examples = up3d.with_s1h_silhouettes(examples, f.lsp_masks,
                                             f.lsp_kind, keep_missing=True)
      count = record.write(examples, path)
      if not count:
        raise app.UsageError(f"no {f.lsp_split} images in {f.lsp}.")
      sets[f"{f.lsp_kind} {f.lsp_split}"] = path
    if f.rendered:
      path = os.path.join(tmp, "rendered.tfrecord")
      evaluation.write_rendered(path, f.rendered, f.rendered_seed,
                                net.config.keypoint_set, f.backgrounds)
      sets[f"rendered (seed {f.rendered_seed})"] = path
    rows = {name: evaluate_records(net, path, f.limit, f.flip_test,
                                   f.batch_size)
            for name, path in sets.items()}
  print(evaluation.format_table(rows, COLUMNS))
  for name, row in rows.items():
    print(f"{name}: {row['images']} images, {row['with silhouette']} with a "
          f"person mask (scored for IoU / fg acc / fg F1 / body F1).")
    print(f"{name} per keypoint PCK@0.2:",
          ", ".join(f"{k} {v:.0f}" for k, v in row["per keypoint"].items()))
  print(json.dumps({name: {k: v for k, v in row.items()
                           if k != "per keypoint"}
                    for name, row in rows.items()}))


if __name__ == "__main__":
  app.run(main)
