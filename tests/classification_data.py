"""Datasets for the responder classification's tests: features and groups as
:func:`assaypipe.classify.classify_profile` takes them.

- ``demo``: the demo study's features (log2 change of six analytes, 18 subjects), as
  the workflow computes them from the first run of each kit (seed 20261121, the
  simulator's three-plate default), stored in tests/data/demo_classification.tsv.
- ``simulated 1 null`` and ``simulated 2``: studies simulated with seeds 1 and 2, their
  true concentrations (the simulator's truth tables): the change of CCL2 and TGF-β2
  only (no responder effect: a null, p-values far from the smallest), and all six.
- ``breast cancer weak`` and ``breast cancer``: 24 tumours (12 malignant as the
  positive class) of scikit-learn's Wisconsin breast cancer data, with three weak
  features (p about 0.8) and four moderate ones (p about 0.01).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from assaypipe.classify import NEGATIVE, POSITIVE, profile_features
from assaypipe.simulate import simulate_study

DATA = Path(__file__).parent / "data"
DATASETS = ("demo", "simulated 1 null", "simulated 2", "breast cancer weak", "breast cancer")


def demo() -> tuple[pd.DataFrame, pd.Series]:
    table = pd.read_csv(DATA / "demo_classification.tsv", sep="\t", index_col="subject_id")
    return table.drop(columns="group"), table["group"]


def simulated(seed: int, analytes: list[str] | None) -> tuple[pd.DataFrame, pd.Series]:
    with tempfile.TemporaryDirectory() as folder:
        simulate_study(Path(folder), seed=seed)
        truth = pd.read_csv(Path(folder) / "truth" / "truth_samples.tsv", sep="\t")
        subjects = pd.read_csv(Path(folder) / "truth" / "truth_subjects.tsv", sep="\t")
    samples = truth.rename(columns={"true_conc": "concentration"}).assign(
        censor=None, lloq=0.0, uloq=np.inf
    )
    groups = pd.Series(
        np.where(subjects["responder"], NEGATIVE, POSITIVE), index=subjects["subject_id"]
    )
    return profile_features(samples, analytes=analytes), groups


def breast_cancer(columns: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    target = data.target.to_numpy()  # 0 malignant, 1 benign
    rng = np.random.default_rng(7)
    rows = np.r_[
        rng.choice(np.flatnonzero(target == 0), 12, replace=False),
        rng.choice(np.flatnonzero(target == 1), 12, replace=False),
    ]
    names = [f"T{i:02d}" for i in range(len(rows))]
    features = pd.DataFrame(data.data.iloc[rows][columns].to_numpy(), index=names, columns=columns)
    groups = pd.Series(np.where(target[rows] == 0, POSITIVE, NEGATIVE), index=names)
    return features, groups


def dataset(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features (subjects x features) and groups (subject -> responder status)."""
    if name == "demo":
        return demo()
    if name == "simulated 1 null":
        return simulated(1, ["CCL2", "TGFB2"])
    if name == "simulated 2":
        return simulated(2, None)
    if name == "breast cancer weak":
        return breast_cancer(["mean fractal dimension", "texture error", "smoothness error"])
    if name == "breast cancer":
        return breast_cancer(
            ["symmetry error", "mean symmetry", "fractal dimension error", "concavity error"]
        )
    raise KeyError(name)
