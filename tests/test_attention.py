"""The dtcart.attention contract: softmax, causal_mask, attention, attention_cost, MultiHeadAttention."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from dtcart.attention import MultiHeadAttention, attention, attention_cost, causal_mask, softmax

TOL = 1e-9


def _qkv(seed=0, shape=(2, 3, 6), d_k=8, d_v=5, T_k=None):
    rng = np.random.default_rng(seed)
    B, H, T = shape
    T_k = T if T_k is None else T_k
    return (rng.normal(size=(B, H, T, d_k)), rng.normal(size=(B, H, T_k, d_k)), rng.normal(size=(B, H, T_k, d_v)))


# softmax

def test_softmax_is_stable_for_huge_logits():
    w = softmax(np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0]]))
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(w[0], [1 / (1 + np.exp(-1)), 0.0, np.exp(-1) / (1 + np.exp(-1))], rtol=1e-12)
    np.testing.assert_allclose(w[1], 1 / 3, rtol=1e-15)


def test_softmax_matches_torch_and_any_axis():
    x = np.random.default_rng(1).normal(scale=5, size=(3, 4, 5))
    for axis in (0, 1, -1):
        ref = torch.softmax(torch.from_numpy(x), dim=axis).numpy()
        np.testing.assert_allclose(softmax(x, axis=axis), ref, atol=TOL, rtol=0)
        np.testing.assert_allclose(softmax(x, axis=axis).sum(axis=axis), 1.0, atol=1e-14)


def test_softmax_masked_entries_get_exact_zero():
    w = softmax(np.array([0.3, -np.inf, 1.2]))
    assert w[1] == 0.0 and w.sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("bad", [[np.nan, 1.0], [np.inf, 1.0], [-np.inf, -np.inf], np.zeros((2, 0)), 3.0])
def test_softmax_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        softmax(bad)


# causal_mask

def test_causal_mask():
    m = causal_mask(4)
    assert m.dtype == bool and m.shape == (4, 4)
    assert m[np.tril_indices(4)].all() and not m[np.triu_indices(4, k=1)].any()
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            causal_mask(bad)


# attention

@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_sdpa(causal):
    Q, K, V = _qkv()
    out, weights = attention(Q, K, V, causal=causal)
    tq, tk, tv = (torch.from_numpy(a) for a in (Q, K, V))
    ref = F.scaled_dot_product_attention(tq, tk, tv, is_causal=causal).numpy()
    assert out.dtype == np.float64 and out.shape == (2, 3, 6, 5) and weights.shape == (2, 3, 6, 6)
    assert np.abs(out - ref).max() < TOL


def test_attention_matches_torch_sdpa_cross_and_custom_scale():
    Q, K, V = _qkv(seed=2, T_k=9)
    tq, tk, tv = (torch.from_numpy(a) for a in (Q, K, V))
    for scale in (None, 1.0, 0.1):
        out, _ = attention(Q, K, V, scale=scale)
        ref = F.scaled_dot_product_attention(tq, tk, tv, scale=scale).numpy()
        assert np.abs(out - ref).max() < TOL


def test_attention_weights_are_explicit_softmax():
    Q, K, V = _qkv(seed=3)
    out, w = attention(Q, K, V)
    expected = softmax(Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1]))
    np.testing.assert_allclose(w, expected, atol=1e-15)
    np.testing.assert_allclose(out, w @ V, atol=1e-15)


def test_causal_weights_zero_above_diagonal_rows_sum_to_one():
    Q, K, V = _qkv(seed=4, shape=(1, 2, 12))
    _, w = attention(Q * 30, K * 30, V, causal=True)  # large scores: masking must still be exact
    assert (w[..., np.triu_indices(12, k=1)[0], np.triu_indices(12, k=1)[1]] == 0.0).all()
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-14)
    assert (w[..., 0, 0] == 1.0).all()  # the first state can only look at itself


def test_causal_output_ignores_the_future():
    Q, K, V = _qkv(seed=5, shape=(1, 1, 8))
    out, _ = attention(Q, K, V, causal=True)
    K2, V2 = K.copy(), V.copy()
    K2[..., 5:, :] += 7.0
    V2[..., 5:, :] -= 3.0
    out2, _ = attention(Q, K2, V2, causal=True)
    np.testing.assert_array_equal(out[..., :5, :], out2[..., :5, :])
    assert not np.allclose(out[..., 5:, :], out2[..., 5:, :])


def test_attention_bad_input():
    Q, K, V = _qkv()
    with pytest.raises(ValueError, match="d_k"):
        attention(Q, K[..., :4], V)
    with pytest.raises(ValueError, match="positions"):
        attention(Q, K, V[..., :3, :])
    with pytest.raises(ValueError, match="T_q == T_k"):
        attention(Q[..., :2, :], K, V, causal=True)
    with pytest.raises(ValueError, match="shape"):
        attention(np.ones(3), np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        attention(np.ones((0, 3)), np.ones((0, 3)), np.ones((0, 3)))
    for name, i in (("Q", 0), ("K", 1), ("V", 2)):
        args = [Q.copy(), K.copy(), V.copy()]
        args[i][0, 0, 0, 0] = np.nan
        with pytest.raises(ValueError, match=f"{name} must be finite"):
            attention(*args)
    K_inf = K.copy()
    K_inf[0, 0, 1, 1] = np.inf
    with pytest.raises(ValueError, match="finite"):
        attention(Q, K_inf, V)
    for scale in (0.0, -1.0, np.inf, "1", True):
        with pytest.raises(ValueError, match="scale"):
            attention(Q, K, V, scale=scale)


# attention_cost

def test_attention_cost_matches_torch_flop_counter_and_parameter_count():
    for h in (1, 2, 4, 8):
        cost = attention_cost(32, h, 10)
        mha = MultiHeadAttention(32, h)
        assert cost["params"] == sum(p.numel() for p in mha.parameters())
        with FlopCounterMode(display=False) as counter:
            mha(torch.zeros(1, 10, 32))
        assert counter.get_total_flops() == cost["flops"]
        assert cost["score_entries"] == h * 100
    with pytest.raises(ValueError):
        attention_cost(10, 3, 5)
    with pytest.raises(ValueError):
        attention_cost(8, 2, 0)


# MultiHeadAttention

def _module(d_model=12, n_heads=3, causal=True, seed=0):
    torch.manual_seed(seed)
    return MultiHeadAttention(d_model, n_heads, causal=causal).double()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n_heads", [1, 3, 12])
def test_mha_matches_torch_multihead_attention(causal, n_heads):
    ours = _module(n_heads=n_heads, causal=causal)
    theirs = ours.to_torch()
    assert torch.equal(theirs.in_proj_weight,
                       torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
    x = torch.randn(4, 9, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out, w = ours(x, return_weights=True)
    mask = torch.from_numpy(~causal_mask(9)) if causal else None
    ref, ref_w = theirs(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    assert (out - ref).abs().max().item() < TOL
    assert (w - ref_w).abs().max().item() < TOL


def test_mha_matches_torch_with_hand_packed_weights():
    """The packing written out once without to_torch: in_proj_weight = cat(W_q, W_k, W_v)."""
    ours = _module()
    theirs = torch.nn.MultiheadAttention(12, 3, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        theirs.in_proj_bias.normal_()  # torch starts the biases at zero: make them count
        theirs.out_proj.bias.normal_()
        for i, lin in enumerate((ours.q_proj, ours.k_proj, ours.v_proj)):
            lin.weight.copy_(theirs.in_proj_weight[12 * i:12 * (i + 1)])
            lin.bias.copy_(theirs.in_proj_bias[12 * i:12 * (i + 1)])
        ours.out_proj.load_state_dict(theirs.out_proj.state_dict())
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    ref, _ = theirs(x, x, x, attn_mask=torch.from_numpy(~causal_mask(5)))
    assert (ours(x) - ref).abs().max().item() < TOL


def test_mha_matches_numpy_attention_per_head():
    ours = _module()
    x = torch.randn(2, 6, 12, dtype=torch.float64)
    _, w = ours(x, return_weights=True)
    with torch.no_grad():
        q, k, v = (a.numpy() for a in ours.heads(x))
    _, w_np = attention(q, k, v, causal=True)
    assert np.abs(w.detach().numpy() - w_np).max() < TOL


def test_mha_shapes_weights_and_causality():
    ours = _module(d_model=16, n_heads=4)
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    out, w = ours(x, return_weights=True)
    assert out.shape == (3, 7, 16) and w.shape == (3, 4, 7, 7)
    assert ours(x).shape == (3, 7, 16)
    assert (w.triu(diagonal=1) == 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4, 7, dtype=torch.float64), atol=1e-14, rtol=0)
    x2 = x.clone()
    x2[:, 4:] += 5.0
    torch.testing.assert_close(ours(x2)[:, :4], ours(x)[:, :4], atol=0, rtol=0)
    _, w2 = ours(x2, return_weights=True)
    torch.testing.assert_close(w2[:, :, :4], w[:, :, :4], atol=0, rtol=0)


@pytest.mark.parametrize("causal", [False, True])
def test_forward_is_out_proj_of_the_weights_times_values(causal):
    """forward = out_proj(concat(weights(q, k) @ v))."""
    ours = _module(causal=causal)
    x = torch.randn(3, 8, 12, dtype=torch.float64)
    out, w = ours(x, return_weights=True)
    assert (ours(x) - out).abs().max().item() < TOL
    q, k, v = ours.heads(x)
    torch.testing.assert_close(ours.weights(q, k), w, atol=0, rtol=0)
    by_hand = ours.out_proj((w @ v).transpose(1, 2).reshape(3, 8, 12))
    assert (ours(x) - by_hand).abs().max().item() < TOL


def test_mha_dropout_only_in_training():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2, dropout=0.5)
    x = torch.randn(2, 5, 8)
    m.eval()
    torch.testing.assert_close(m(x), m(x), atol=0, rtol=0)
    m.train()
    assert not torch.equal(m(x), m(x))
    assert m.to_torch().training


def test_mha_bad_sizes():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    for d_model, n_heads in ((0, 1), (8, 0), (8.0, 2), (8, True)):
        with pytest.raises(ValueError, match="positive integer"):
            MultiHeadAttention(d_model, n_heads)
    for dropout in (-0.1, 1.0, "0.1"):
        with pytest.raises(ValueError, match="dropout"):
            MultiHeadAttention(8, 2, dropout=dropout)


def test_mha_backward_compatible_signature():
    m = MultiHeadAttention(8, 2, True, 0.0)
    assert m.causal and m.d_head == 4
    assert {"q_proj", "k_proj", "v_proj", "out_proj"} <= {n for n, _ in m.named_children()}
    out = m(torch.zeros(1, 3, 8), False)
    assert isinstance(out, torch.Tensor)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_mha_on_gpu_matches_cpu():
    ours = _module()
    x = torch.randn(2, 7, 12, dtype=torch.float64)
    cpu = ours(x)
    gpu = ours.cuda()(x.cuda())
    assert (gpu.cpu() - cpu).abs().max().item() < TOL
