"""search: tiers, scores, typos, literal characters, visibility, fields, limits.

The reference's data A (features with synonyms) and data B (labels); lamin_registry differs from
lamindb where API.md says so: tiers instead of summed weights, scores 0-100, typo tolerance,
hidden branches excluded.
"""

from __future__ import annotations

import pytest

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument

DATA_A = [
    ("T cell", "T-cell|T-lymphocyte|T lymphocyte"),
    ("B cell", "B-lymphocyte|B lymphocyte|B-cell"),
    ("PP cell", "type F enteroendocrine cell"),
    ("nodal myocyte", "P cell|myocytus nodalis|cardiac pacemaker cell"),
]
DATA_B = ["Label1", "Label2", "Label3", "label 4", "My label", "label"]
SPECIAL = ["cat[*_*]", "50%", "a_b", "back\\slash", "T cell line"]


@pytest.fixture
def features(repo: lr.Repository) -> list[lr.Feature]:
    return repo.save([lr.Feature(name=n, synonyms=s, dtype="str") for n, s in DATA_A])


@pytest.fixture
def labels(repo: lr.Repository) -> list[lr.ULabel]:
    return repo.save([lr.ULabel(name=name) for name in DATA_B + SPECIAL])


def names(result: lr.SearchResult[lr.Feature] | lr.SearchResult[lr.ULabel]) -> list[str]:
    return [record.name for record in result]


def lexical(result: lr.SearchResult[lr.ULabel]) -> list[str]:
    """The names of the exact, prefix, word-prefix and contained hits (score >= 70)."""
    return [r.name for r, s in zip(result, result.scores, strict=True) if s >= 70]


# -- data A ---------------------------------------------------------------------------------------


def test_exact_synonym_ranks_first(repo: lr.Repository, features: list[lr.Feature]) -> None:
    result = repo.search(lr.Feature, "P cell")
    assert names(result)[:2] == ["nodal myocyte", "PP cell"]
    assert result.scores[0] == 100
    assert 70 <= result.scores[1] < 80  # contained in "PP cell"
    name_only = repo.search(lr.Feature, "P cell", field="name")
    assert names(name_only)[0] == "PP cell"
    assert "nodal myocyte" not in names(name_only)


def test_reference_queries(repo: lr.Repository, features: list[lr.Feature]) -> None:
    assert set(names(repo.search(lr.Feature, "cell"))) == {"T cell", "B cell", "PP cell",
                                                           "nodal myocyte"}
    padded = repo.search(lr.Feature, "  T cell  ")
    assert names(padded)[0] == "T cell" and padded.scores[0] == 100
    lymph = repo.search(lr.Feature, "lymphocyte")
    assert names(lymph) == ["B cell", "T cell"]  # equal scores: by name
    assert lymph.scores[0] == lymph.scores[1]
    assert names(repo.search(lr.Feature, "T-")) == ["T cell"]
    upper = repo.search(lr.Feature, "B CELL")
    assert names(upper)[0] == "B cell" and upper.scores[0] == 100


def test_typos_transpositions_word_order(repo: lr.Repository, features: list[lr.Feature]) -> None:
    assert set(names(repo.search(lr.Feature, "lymphocyet"))) == {"T cell", "B cell"}
    assert names(repo.search(lr.Feature, "nodal mycyte"))[0] == "nodal myocyte"
    assert names(repo.search(lr.Feature, "myocyte nodal"))[0] == "nodal myocyte"
    assert names(repo.search(lr.Feature, "cell T"))[0] == "T cell"
    assert names(repo.search(lr.Feature, "enteroendocirne")) == ["PP cell"]
    fuzzy = repo.search(lr.Feature, "pacemakr")
    assert names(fuzzy) == ["nodal myocyte"] and fuzzy.scores[0] < 70


def test_unrelated_strings_are_not_returned(
    repo: lr.Repository, features: list[lr.Feature]
) -> None:
    assert list(repo.search(lr.Feature, "xyz")) == []
    assert all(score < 70 for score in repo.search(lr.Feature, "T.cell").scores)  # literal '.'
    assert list(repo.search(lr.Feature, "kidney")) == []
    assert list(repo.search(lr.Feature, "   ")) == []


def test_scores_and_dataframe(repo: lr.Repository, features: list[lr.Feature]) -> None:
    result = repo.search(lr.Feature, "cell")
    assert all(0 <= score <= 100 for score in result.scores)
    assert result.scores == sorted(result.scores, reverse=True)
    frame = result.to_dataframe()
    assert frame["score"].tolist() == result.scores
    assert frame.index.name == "id"
    assert frame["name"].tolist() == names(result)
    assert list(frame.columns[:2]) == ["uid", "name"]
    assert result[0] is next(iter(result))
    assert names(result[1:3]) == names(result)[1:3]
    assert result[1:3].scores == result.scores[1:3]
    assert repo.search(lr.Feature, "zzzz").to_dataframe().empty


# -- data B and literal characters ----------------------------------------------------------------


def test_tiers_on_labels(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    result = repo.search(lr.ULabel, "label")
    assert lexical(result) == ["label", "Label1", "Label2", "Label3", "label 4", "My label"]
    scores = dict(zip(names(result), result.scores, strict=True))
    assert scores["label"] == 100
    assert 90 <= scores["label 4"] < 100  # prefix
    assert 80 <= scores["My label"] < 90  # word-prefix
    assert scores["Label1"] == scores["Label2"] == scores["Label3"]
    again = repo.search(lr.ULabel, "label")
    assert names(again) == names(result) and again.scores == result.scores


def test_every_character_is_literal(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    assert names(repo.search(lr.ULabel, "cat[")) == ["cat[*_*]"]
    assert names(repo.search(lr.ULabel, "*_*")) == ["cat[*_*]"]
    assert names(repo.search(lr.ULabel, "cat[*_*]")) == ["cat[*_*]"]
    assert names(repo.search(lr.ULabel, "%")) == ["50%"]
    assert set(names(repo.search(lr.ULabel, "_"))) == {"cat[*_*]", "a_b"}
    assert names(repo.search(lr.ULabel, "\\")) == ["back\\slash"]
    assert names(repo.search(lr.ULabel, "k\\s")) == ["back\\slash"]
    assert list(repo.search(lr.ULabel, "a%b")) == []
    assert list(repo.search(lr.ULabel, "'; DROP TABLE lamindb_ulabel; --")) == []
    assert repo.filter(lr.ULabel).count() == len(DATA_B + SPECIAL)


def test_misspelled_labels(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    assert names(repo.search(lr.ULabel, "Lbael1"))[0] == "Label1"
    assert names(repo.search(lr.ULabel, "lable"))[0] == "label"
    assert names(repo.search(lr.ULabel, "backslahs")) == ["back\\slash"]


def test_typo_that_destroys_a_whole_word_among_many_lookalikes(repo: lr.Repository) -> None:
    """'dciin' keeps no trigram of 'dicin': only 'vilir' is left, which 300 shorter rows share."""
    repo.save([lr.ULabel(name=f"vilir {a}{b}") for a in "abcdefghijkl" for b in "mnopqrstuvwxyz"])
    repo.save([lr.ULabel(name=f"vilir {a}{b}") for a in "mnopqrst" for b in "abcdefghijklm"])
    repo.save(lr.ULabel(name="dicin vilir"))
    assert repo.filter(lr.ULabel, name__startswith="vilir").count() > 200
    result = repo.search(lr.ULabel, "dciin vilir")
    assert names(result)[0] == "dicin vilir"
    assert 56 <= result.scores[0] < 70  # the fuzzy tier


def test_case_sensitive(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    result = repo.search(lr.ULabel, "label", case_sensitive=True)
    assert lexical(result) == ["label", "label 4", "My label"]
    assert result.scores[0] == 100
    upper = repo.search(lr.ULabel, "LABEL1", case_sensitive=True)
    assert all(score < 70 for score in upper.scores)
    assert names(repo.search(lr.ULabel, "LABEL1"))[0] == "Label1"
    assert repo.search(lr.ULabel, "LABEL1").scores[0] == 100


def test_limit(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    assert names(repo.search(lr.ULabel, "label", limit=2)) == ["label", "Label1"]
    assert len(repo.search(lr.ULabel, "l", limit=None)) == len(
        [n for n in DATA_B + SPECIAL if "l" in n.lower()]
    )
    assert list(repo.search(lr.ULabel, "label", limit=0)) == []
    with pytest.raises(InvalidArgument):
        repo.search(lr.ULabel, "label", limit=-1)


# -- rows, fields, arguments ----------------------------------------------------------------------


def test_hidden_branches_never_appear(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    by_name = {label.name: label for label in labels}
    repo.delete(by_name["Label2"])
    repo.archive(by_name["Label3"])
    repo.save(lr.ULabel(name="Label9", branch_id=3))
    assert "Label2" not in names(repo.search(lr.ULabel, "label"))
    assert "Label3" not in names(repo.search(lr.ULabel, "Label3"))
    assert "Label9" not in names(repo.search(lr.ULabel, "Label9"))
    everything = repo.filter(lr.ULabel, branch_id=None)
    assert set(names(everything.search("Label"))) & {"Label2", "Label3", "Label9"} == set()
    assert "Label2" not in names(repo.search(lr.ULabel, "Lable2"))


def test_query_search_searches_only_the_query(
    repo: lr.Repository, labels: list[lr.ULabel]
) -> None:
    mine = repo.filter(lr.ULabel, name__startswith="My")
    assert names(mine.search("label")) == ["My label"]
    assert names(mine.search("lable")) == ["My label"]
    assert names(lr.ULabel.search("label 4")) == ["label 4"]


def test_index_stays_in_sync(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    label = labels[0]
    label.name = "renamed entirely"
    repo.save(label)
    assert names(repo.search(lr.ULabel, "renamed entirely")) == ["renamed entirely"]
    assert "renamed entirely" not in names(repo.search(lr.ULabel, "Label1"))
    repo.delete(label, permanent=True)
    assert list(repo.search(lr.ULabel, "renamed entirely")) == []


def test_fields(repo: lr.Repository, features: list[lr.Feature]) -> None:
    features[2].description = "pancreatic polypeptide producing"
    repo.save(features[2])
    assert list(repo.search(lr.Feature, "pancreatic")) == []
    assert names(repo.search(lr.Feature, "pancreatic", field="description")) == ["PP cell"]
    assert names(repo.search(lr.Feature, "pancreatik", field="description")) == ["PP cell"]
    assert names(repo.search(lr.Feature, "pancreatic", field="all")) == ["PP cell"]
    both = repo.search(lr.Feature, "pancreatic", field=["name", "description"])
    assert names(both) == ["PP cell"]
    assert names(repo.search(lr.Feature, "PP cell", field=lr.Feature.name))[0] == "PP cell"
    with pytest.raises(InvalidArgument, match="Cannot search Feature by 'array_rank'"):
        repo.search(lr.Feature, "x", field="array_rank")
    with pytest.raises(InvalidArgument, match="Cannot search for None value"):
        repo.search(lr.Feature, None)  # type: ignore[arg-type]


def test_registry_without_search_index(repo: lr.Repository) -> None:
    transforms = repo.save([lr.Transform(key=key) for key in
                            ["preprocess counts", "cluster cells", "annotate clusters"]])
    assert [t.key for t in repo.search(lr.Transform, "cluster")] == [
        "cluster cells", "annotate clusters"
    ]
    assert [t.key for t in repo.search(lr.Transform, "prepocess counts")] == ["preprocess counts"]
    assert transforms[0].key == "preprocess counts"


def test_synonym_only_registry_field_and_unicode(repo: lr.Repository) -> None:
    repo.save(lr.Feature(name="Äpfel Menge", synonyms="apple count", dtype="int"))
    assert names(repo.search(lr.Feature, "äpfel menge"))[0] == "Äpfel Menge"
    assert repo.search(lr.Feature, "äpfel menge").scores[0] == 100
    assert names(repo.search(lr.Feature, "apple"))[0] == "Äpfel Menge"
