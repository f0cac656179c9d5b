"""Run inside lamindb's own virtual environment (never imported by the test suite itself).

    LAMIN_SETTINGS_DIR=... python lamindb_side.py INSTANCE PHASE OUT.json

``INSTANCE`` is the slug ``lamin init`` printed (``anonymous/<name>``).
``write`` creates the realistic dataset; ``dump`` writes every registry's ``to_dataframe``
(all branches) as JSON; ``touch`` reads, writes and deletes the rows lamin_registry wrote.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import lamindb as ln

REGISTRIES = [
    "ULabel", "Record", "Feature", "JsonValue", "Project", "Transform", "Run", "Schema",
    "Reference", "User", "Branch", "Space", "Storage", "Collection", "Artifact",
]


def write() -> dict[str, Any]:
    cell_type = ln.ULabel(name="CellType", is_type=True).save()
    t_cell = ln.ULabel(name="T cell", type=cell_type).save()
    cd4 = ln.ULabel(name="CD4 T cell", type=cell_type).save()
    cd8 = ln.ULabel(name="CD8 T cell", type=cell_type).save()
    cd4.parents.add(t_cell)
    cd8.parents.add(t_cell)
    ln.ULabel(name="to trash").save().delete()
    archived = ln.ULabel(name="archived label").save()
    archived.branch_id = 0
    archived.save()
    transform = ln.Transform(key="ingest.py", kind="script").save()
    run = ln.Run(transform).save()
    project = ln.Project(name="Atlas", abbr="ATL").save()
    ln.Reference(name="A paper", doi="10.1000/xyz123").save()
    age = ln.Feature(name="age", dtype=int).save()
    score = ln.Feature(name="score", dtype=float).save()
    tissue = ln.Feature(name="tissue", dtype=str).save()
    meta = ln.Feature(name="meta", dtype=dict).save()
    label_feature = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    sample_type = ln.Record(name="Sample", is_type=True).save()
    for i, (a, s) in enumerate([(40, 0.5), (55, 1.25), (62, 37.5)]):
        record = ln.Record(name=f"sample {i}", type=sample_type).save()
        record.features.set_values(
            {"age": a, "score": s, "tissue": "blood", "meta": {"i": i, "ok": True},
             "cell_type": "T cell"}
        )
        record.projects.add(project)
    ln.Record(name="trashed sample", type=sample_type).save().delete()
    ln.models.JsonValue(feature=score, value=2.5).save()
    ln.Schema(features=[age, score], name="sample schema").save()
    annotated = ln.Record.get(name="sample 1")
    ln.models.RecordBlock(record=annotated, content="# by lamindb", kind="readme").save()
    ln.models.RecordBlock(record=annotated, content="lamindb comment", kind="comment").save()
    ln.models.Block(key="README.md", content="# instance", kind="readme").save()
    branch = ln.Branch(name="dev").save()
    ln.ULabel(name="on dev", branch=branch).save()
    _ = (run, meta, tissue, label_feature)
    return {"branch_id": branch.id}


def dump() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in REGISTRIES:
        model = getattr(ln, name, None) or getattr(ln.models, name)
        query = model.filter(branch_id=None) if hasattr(model, "branch_id") else model.filter()
        frame = query.to_dataframe(limit=None)
        frame = frame.reset_index()
        out[name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return out


def touch() -> dict[str, Any]:
    """Read, update and delete what lamin_registry wrote; write new rows next to them."""
    seen: dict[str, Any] = {}
    written = ln.ULabel.get(name="written by lamin_registry")
    seen["parents"] = sorted(p.name for p in written.parents.all())
    written.description = "updated by lamindb"
    written.save()
    record = ln.Record.get(name="lr sample")
    seen["features"] = {k: v for k, v in record.features.get_values().items()}
    ln.ULabel(name="lamindb after adoption").save()
    record2 = ln.Record(name="lamindb sample after", type=ln.Record.get(name="Sample")).save()
    record2.features.set_values({"age": 77, "score": 37.5})
    annotated = ln.Record.get(name="sample 1")
    seen["notes"] = annotated.notes  # lamin_registry's readme version
    ln.models.RecordBlock(record=annotated, content="# lamindb again", kind="readme").save()
    victim = ln.ULabel.get(name="lr victim")
    victim.delete(permanent=True)
    ln.Record.filter(name="lr trashed", branch_id=-1).one().restore()
    return seen


if __name__ == "__main__":
    instance, phase, target = sys.argv[1], sys.argv[2], sys.argv[3]
    ln.connect(instance)
    result = {"write": write, "dump": dump, "touch": touch}[phase]()
    with open(target, "w") as handle:
        json.dump(result, handle, default=str)
