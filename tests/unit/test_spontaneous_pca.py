"""Tests for mlpt.spontaneous.pca: PCA per layer and its correlation with language."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_spontaneous_lens import PROMPTS, TINY_SPEC, tiny_models  # noqa: F401 (a fixture)

from mlpt.spontaneous import pca


def _clusters(n_per: int = 200, dim: int = 10, gap: float = 20.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    direction /= np.linalg.norm(direction)
    a = rng.normal(size=(n_per, dim)) + gap / 2 * direction
    b = rng.normal(size=(n_per, dim)) - gap / 2 * direction
    return np.vstack([a, b]), np.array(["en"] * n_per + ["zh"] * n_per)


def test_separable_languages_correlate_near_one():
    x, langs = _clusters()
    coords, explained = pca.principal_components(x)
    assert coords.shape == (400, 2) and explained[0] > 0.5
    assert pca.correlation_ratio(coords[:, 0], langs) > 0.99


def test_shuffled_languages_correlate_near_zero():
    x, langs = _clusters()
    coords, _ = pca.principal_components(x)
    shuffled = np.random.default_rng(1).permutation(langs)
    assert pca.correlation_ratio(coords[:, 0], shuffled) < 0.15


def test_eta_is_abs_pearson_for_two_languages_and_handles_more():
    rng = np.random.default_rng(2)
    values = rng.normal(size=50)
    langs = rng.choice(["en", "sw"], size=50)
    r = np.corrcoef(values, langs == "sw")[0, 1]
    assert pca.correlation_ratio(values, langs) == pytest.approx(abs(r), abs=1e-12)
    assert pca.correlation_ratio(-values, langs) == pytest.approx(abs(r), abs=1e-12)
    assert pca.correlation_ratio([1.0, 2.0, 3.0, 1.0, 2.0, 3.0], ["a", "b", "c"] * 2) == pytest.approx(1.0)
    assert pca.correlation_ratio([1.0, 2.0, 1.0, 2.0], ["a", "a", "b", "b"]) == pytest.approx(0.0)
    assert np.isnan(pca.correlation_ratio([1.0, 1.0], ["a", "b"]))


def test_principal_components_agree_with_the_covariance():
    x, _ = _clusters(n_per=30, dim=5, gap=3.0, seed=3)
    coords, explained = pca.principal_components(x, n_components=3)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.T, bias=True)))[::-1]
    np.testing.assert_allclose(explained, eig[:3] / eig.sum(), rtol=1e-10)
    np.testing.assert_allclose(coords.var(axis=0), eig[:3], rtol=1e-10)
    again, _ = pca.principal_components(x[::-1], n_components=3)  # sign fixed by the loadings, not the row order
    np.testing.assert_allclose(again[::-1], coords, atol=1e-10)


def test_layer_pca_on_synthetic_layers():
    x, langs = _clusters(n_per=50)
    noise = np.random.default_rng(4).normal(size=x.shape)
    res = pca.layer_pca(np.stack([noise, x]), langs)
    assert res.coords.shape == (2, 100, 2) and res.explained.shape == (2, 2) and res.eta.shape == (2,)
    assert res.eta[1] > 0.99 and res.eta[0] < 0.5
    with pytest.raises(ValueError, match="layers x prompts x hidden"):
        pca.layer_pca(np.stack([x]), langs[:10])


def test_tiny_model_states_per_layer(tiny_models):  # noqa: F811
    model, tok = tiny_models["gemma"]
    states = pca.mean_pooled_states(model, tok, PROMPTS, batch_size=3)
    layers = TINY_SPEC["num_hidden_layers"] + 1
    assert states.shape == (layers, len(PROMPTS), TINY_SPEC["hidden_size"])
    # padding is excluded from the mean: a prompt pooled alone gives the same state
    alone = pca.mean_pooled_states(model, tok, PROMPTS[2:], batch_size=1)
    np.testing.assert_allclose(states[:, 2], alone[:, 0], atol=1e-5)
    with torch.no_grad():
        enc = tok(PROMPTS[2], return_tensors="pt")
        hidden = model(**enc, output_hidden_states=True).hidden_states
    np.testing.assert_allclose(states[0, 2], hidden[0][0].mean(0).numpy(), atol=1e-5)
    res = pca.layer_pca(states, ["en", "zh", "en"])
    assert res.coords.shape == (layers, 3, 2) and res.eta.shape == (layers,)
    assert ((res.eta >= 0) & (res.eta <= 1 + 1e-12)).all()
