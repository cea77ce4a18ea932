"""Block and the Decision Transformer against independent references: torch's
own TransformerEncoderLayer, and a forward written here from torch primitives
in the layout of Chen et al. (2021)'s code."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dtcart.blocks import Block
from dtcart.model import DecisionTransformer, DTConfig


def test_pre_norm_block_is_torchs_encoder_layer():
    torch.manual_seed(0)
    d, h, T = 16, 4, 7
    ours = Block(d, h, norm="pre").double().eval()
    ref = nn.TransformerEncoderLayer(d, h, dim_feedforward=4 * d, dropout=0.0,
                                     activation="gelu", batch_first=True,
                                     norm_first=True).double().eval()
    with torch.no_grad():
        ref.self_attn.load_state_dict(ours.attn.to_torch().state_dict())
        ref.linear1.load_state_dict(ours.mlp.fc1.state_dict())
        ref.linear2.load_state_dict(ours.mlp.fc2.state_dict())
        ref.norm1.load_state_dict(ours.ln1.state_dict())
        ref.norm2.load_state_dict(ours.ln2.state_dict())
    x = torch.randn(3, T, d, dtype=torch.float64)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)  # True: hidden
    expected = ref(x, src_mask=mask, is_causal=True)
    assert (ours(x) - expected).abs().max().item() < 1e-6


def reference_forward(m: DecisionTransformer, R, s, a, t):
    """Chen et al.'s layout from primitives: embed each kind, add the timestep
    embedding, interleave (R, s, a), LayerNorm, a causal GPT-2 (pre-LN) stack,
    the final LayerNorm, read the state tokens."""
    c = m.config
    B, T, _ = s.shape
    time = F.embedding(t, m.embed_timestep.weight)
    r = F.linear(R / c.rtg_scale, m.embed_rtg.weight, m.embed_rtg.bias) + time
    st = F.linear((s - m.state_mean) / m.state_std, m.embed_state.weight,
                  m.embed_state.bias) + time
    ac = F.linear(a / c.action_scale, m.embed_action.weight,
                  m.embed_action.bias) + time
    x = torch.stack((r, st, ac), dim=1).permute(0, 2, 1, 3)  # (B, T, 3, d)
    x = x.reshape(B, 3 * T, c.d_model)
    x = F.layer_norm(x, (c.d_model,), m.embed_ln.weight, m.embed_ln.bias)
    n, dh = c.n_heads, c.d_model // c.n_heads
    causal = torch.ones(3 * T, 3 * T, dtype=torch.bool).tril()
    for blk in m.blocks:
        y = F.layer_norm(x, (c.d_model,), blk.ln1.weight, blk.ln1.bias)
        q, k, v = (F.linear(y, p.weight, p.bias).view(B, 3 * T, n, dh)
                   .transpose(1, 2) for p in (blk.attn.q_proj,
                                              blk.attn.k_proj,
                                              blk.attn.v_proj))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, 3 * T, c.d_model)
        x = x + F.linear(y, blk.attn.out_proj.weight, blk.attn.out_proj.bias)
        y = F.layer_norm(x, (c.d_model,), blk.ln2.weight, blk.ln2.bias)
        y = F.gelu(F.linear(y, blk.mlp.fc1.weight, blk.mlp.fc1.bias))
        x = x + F.linear(y, blk.mlp.fc2.weight, blk.mlp.fc2.bias)
    x = F.layer_norm(x, (c.d_model,), m.ln_f.weight, m.ln_f.bias)
    x = x.reshape(B, T, 3, c.d_model)[:, :, 1]  # the state tokens
    out = F.linear(x, m.predict_action.weight, m.predict_action.bias)
    return out * c.action_scale


def test_decision_transformer_is_chen_et_als_layout():
    torch.manual_seed(0)
    config = DTConfig(d_model=16, n_layers=2, n_heads=2, context=5,
                      max_timestep=50, state_mean=(0.1, 0.0, -0.2, 0.0),
                      state_std=(0.5, 1.0, 2.0, 1.5), rtg_scale=100.0,
                      action_scale=3.0)
    m = DecisionTransformer(config=config).double().eval()
    with torch.no_grad():  # away from the initialisation's zeros and ones
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    B, T = 3, 5
    R = torch.rand(B, T, 1, dtype=torch.float64) * 100
    s = torch.randn(B, T, 4, dtype=torch.float64)
    a = torch.randn(B, T, 1, dtype=torch.float64)
    t = torch.randint(0, 45, (B, 1)) + torch.arange(T)
    expected = reference_forward(m, R, s, a, t)
    assert (m(R, s, a, t) - expected).abs().max().item() < 1e-6
