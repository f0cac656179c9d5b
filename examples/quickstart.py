"""A tour of lamin_registry on the embedded SQLite default.

Run from the repository root:  python examples/quickstart.py  [database URL]
Without an argument it uses a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import lamin_registry as lr


def main(url: str) -> None:
    inst = lr.connect(url, user="alice")  # creates the schema and the built-in rows
    print(f"connected: {inst}")

    with inst.session() as repo:  # commits at the end of the block
        cell_type = repo.save(lr.ULabel(name="CellType", is_type=True))
        labels = repo.save(
            [lr.ULabel(name=name, type=cell_type) for name in ["T cell", "B cell", "NK cell"]]
        )
        print(f"saved {len(labels)} labels of type {cell_type.name!r}: {[x.uid for x in labels]}")

        again = repo.save(lr.ULabel(name="T cell", type=cell_type))
        print(f"saving 'T cell' again returns the stored record: {again.uid == labels[0].uid}")

        bulk = repo.save([lr.ULabel(name=f"sample {i}") for i in range(1000)])
        print(f"bulk-saved {len(bulk)} labels, ids {bulk[0].id}..{bulk[-1].id}")

        query = repo.filter(lr.ULabel, type__name="CellType", name__endswith="cell")
        print(f"labels of type CellType ending in 'cell': {query.to_list('name')}")
        either = repo.filter(lr.ULabel, lr.Q(name="T cell") | lr.Q(name__startswith="B"))
        print(f"Q(name='T cell') | Q(name__startswith='B'): {sorted(either.to_list('name'))}")

        by_prefix = repo.get(lr.ULabel, labels[1].uid[:6])
        print(f"get by uid prefix {labels[1].uid[:6]!r}: {by_prefix.name}")

        temperature = repo.save(lr.Feature(name="temperature", dtype="float"))
        value, existed = repo.get_or_create_feature_value(temperature, 37.5)
        print(f"feature value 37.5 hash={value.hash} existed={existed}")

    # lamindb style: inside a session block the records' own methods work
    with inst.session():
        label = lr.ULabel.get(name="NK cell")
        label.delete()  # soft delete: moved to the trash branch
        visible = lr.ULabel.filter(name__endswith="cell").count()
        trashed = lr.ULabel.filter(branch_id=-1).to_list("name")
        print(f"after deleting 'NK cell': {visible} visible, in trash: {trashed}")
        label.restore()
        print(f"restored: {lr.ULabel.filter(name__endswith='cell').count()} visible")

        frame = lr.ULabel.filter(name__endswith="cell").to_dataframe(include=["created_by__handle"])
        print("to_dataframe(include=['created_by__handle']):")
        print(frame.to_string())

    # features: annotate records, query by values, describe
    with inst.session() as repo:
        repo.save(lr.Feature(name="cell_type", dtype=lr.ULabel))
        sample = repo.save(
            lr.Record(name="sample 1", features={"temperature": 37.5, "cell_type": "T cell"})
        )
        print(f"sample 1 features: {sample.features.get_values()}")
        hot = repo.filter(lr.Record, temperature__gt=37, cell_type="T cell").to_list("name")
        print(f"records with temperature > 37 and cell_type 'T cell': {hot}")
        print(sample.describe(return_str=True))
    inst.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as directory:
            main(f"sqlite:///{Path(directory) / 'quickstart.db'}")
