/* dtcart live: the cart-pole running in the reader's browser, no kernel.
 *
 * One source for everything the page computes, each part a mirror of the
 * Python it is tested against in Chromium (tests/test_live.py):
 *   step            dtcart.physics.step (semi-implicit Euler)
 *   Episode         dtcart.control.EpisodeBatch's rules, for one cart, and
 *                   evaluate.rollout_dt's return-to-go bookkeeping
 *   Heuristic       dtcart.control.heuristic, u = K theta
 *   DTPolicy        dtcart.model.DecisionTransformer's forward pass
 * and the element itself (mount): canvas, trace, controls, readout.
 * dtcart.live.cartpole(...) inlines this file and the configuration (and a
 * model's float32 weights, base64) into one HTML output.
 */
(function (root) {
  "use strict";
  if (root.dtcartLive) return;  // several elements on a page share one copy

  // ---------------------------------------------------------------- physics
  // state = [theta, theta_dot, x, x_dot]; p = CartPoleParams as a dict
  function step(s, force, p) {
    const sin = Math.sin(s[0]), cos = Math.cos(s[0]);
    const invMass = 1.0 / (p.cart_mass + p.pole_mass);
    const ml = p.pole_mass * p.half_length;
    const temp = (force + ml * s[1] * s[1] * sin) * invMass;
    const thetaAcc = (p.gravity * sin - cos * temp) / (
      p.half_length * 4.0 / 3.0
      - p.half_length * p.pole_mass * invMass * cos * cos);
    const xAcc = temp - ml * invMass * thetaAcc * cos;
    const thetaDot = s[1] + p.dt * thetaAcc;  // velocities first ...
    const xDot = s[3] + p.dt * xAcc;
    // ... then positions, with the new velocities
    return [s[0] + p.dt * thetaDot, thetaDot, s[2] + p.dt * xDot, xDot];
  }

  // ------------------------------------------------ one episode, the rules
  // rules = {theta_limit, x_limit, max_steps}; target: the first
  // return-to-go (only the Decision Transformer reads it)
  class Episode {
    constructor(start, params, rules, target) {
      this.params = params;
      this.rules = rules;
      this.states = [start.slice()];
      this.actions = [];
      this.rtg = [target];  // rtg[t]: the return-to-go before step t
      this.t = 0;
      this.outcome = "running";  // "fell", "left the track", "500 steps"
    }

    get state() { return this.states[this.t]; }
    get done() { return this.outcome !== "running"; }

    // the return-to-go the model reads from now on (evaluate.rollout_dt's
    // retarget: applied before this step's action; later steps decrement
    // from it)
    retarget(value) { this.rtg[this.t] = value; }

    // one step: the policy's force, plus the world's push (not recorded as
    // the action), under the task's rules; returns the force applied
    advance(policy, push) {
      if (this.done) throw new Error("the episode has ended");
      const force = policy.act(this);
      const after = step(this.state, force + (push || 0), this.params);
      this.states.push(after);
      this.actions.push(force);
      this.t += 1;
      this.rtg.push(this.rtg[this.t - 1] - 1);  // R_{t+1} = R_t - r_t
      const r = this.rules;
      if (Math.abs(after[0]) > r.theta_limit) this.outcome = "fell";
      else if (Math.abs(after[2]) > r.x_limit) this.outcome = "left the track";
      else if (this.t >= r.max_steps) this.outcome = r.max_steps + " steps";
      return force;
    }
  }

  // --------------------------------------------------------- the heuristic
  class Heuristic {
    constructor(gain) { this.gain = gain; }
    act(episode) { return this.gain * episode.state[0]; }  // u = K theta
  }

  // ------------------------------------------- the Decision Transformer
  // erf to about 1e-7: Numerical Recipes' erfc (Press et al., 2nd ed.,
  // section 6.2), fractional error below 1.2e-7 everywhere
  function erf(x) {
    const z = Math.abs(x), t = 1.0 / (1.0 + 0.5 * z);
    const c = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 +
      t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
      t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1.0 - c : c - 1.0;
  }

  function gelu(x) { return 0.5 * x * (1.0 + erf(x / Math.SQRT2)); }

  function decodeFloat32(b64) {
    const bytes = Uint8Array.from(atob(b64), ch => ch.charCodeAt(0));
    return new Float32Array(bytes.buffer);
  }

  // y (n_out) = W x + b, W stored (n_out, n_in) as torch's nn.Linear
  function linear(y, W, b, x, nIn, nOut, xOff, yOff) {
    for (let o = 0; o < nOut; o++) {
      let sum = b[o];
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) sum += W[row + i] * x[xOff + i];
      y[yOff + o] = sum;
    }
  }

  // torch's LayerNorm over one token of width d (biased variance)
  function layerNorm(y, x, w, b, d, off, eps) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[off + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const v = x[off + i] - mean;
      variance += v * v;
    }
    const inv = 1.0 / Math.sqrt(variance / d + eps);
    for (let i = 0; i < d; i++) y[off + i] = (x[off + i] - mean) * inv * w[i] + b[i];
  }

  class DecisionTransformer {
    // spec: {config, eps, weights: base64 float32, layout: {name: [offset, size]}}
    constructor(spec) {
      const flat = decodeFloat32(spec.weights);
      const w = {};
      for (const [name, [off, size]] of Object.entries(spec.layout)) {
        w[name] = Float64Array.from(flat.subarray(off, off + size));
      }
      this.w = w;
      this.blocks = [];  // each block's weights, by their torch names
      for (let b = 0; b < spec.config.n_layers; b++) {
        const block = {}, prefix = "blocks." + b + ".";
        for (const name of Object.keys(w)) {
          if (name.startsWith(prefix)) block[name.slice(prefix.length)] = w[name];
        }
        this.blocks.push(block);
      }
      this.c = spec.config;
      this.eps = spec.eps;
      const d = this.c.d_model, n = 3 * this.c.context;
      this.hidden = this.blocks[0]["mlp.fc1.bias"].length;
      // work space for up to 3C tokens
      this.h = new Float64Array(n * d);
      this.x = new Float64Array(n * d);
      this.q = new Float64Array(n * d);
      this.k = new Float64Array(n * d);
      this.v = new Float64Array(n * d);
      this.a = new Float64Array(n * d);
      this.m = new Float64Array(this.hidden);
      this.scores = new Float64Array(n);
      this.tmp = new Float64Array(d);
      this.one = new Float64Array(4);
    }

    // the force [N] a_t for the window: rtg (k), states (k x 4), actions
    // (k; the last one, a_t, is a placeholder the model never sees) and
    // timesteps (k), k <= C: evaluate.context_window's inputs, which it
    // hands over as float32 (hence Math.fround)
    force(rtg, states, actions, timesteps) {
      const c = this.c, w = this.w, d = c.d_model, k = states.length;
      // tokens R_1, s_1, a_1, ..., R_k, s_k: (k, 3, d) -> (3k, d); the
      // last a_k is dropped, the causal mask hides it from s_k anyway
      const n = 3 * k - 1, h = this.h, one = this.one;
      for (let j = 0; j < k; j++) {
        const time = timesteps[j] * d, base = 3 * j * d;
        one[0] = Math.fround(rtg[j]) / c.rtg_scale;
        linear(h, w["embed_rtg.weight"], w["embed_rtg.bias"], one, 1, d, 0, base);
        for (let i = 0; i < 4; i++) {
          one[i] = (Math.fround(states[j][i]) - w.state_mean[i]) / w.state_std[i];
        }
        linear(h, w["embed_state.weight"], w["embed_state.bias"], one,
          c.state_dim, d, 0, base + d);
        if (j < k - 1) {
          one[0] = Math.fround(actions[j]) / c.action_scale;
          linear(h, w["embed_action.weight"], w["embed_action.bias"], one, 1, d,
            0, base + 2 * d);
        }
        for (let kind = 0; kind < 3 && base + kind * d < n * d; kind++) {
          for (let i = 0; i < d; i++) {
            h[base + kind * d + i] += w["embed_timestep.weight"][time + i];
          }
        }
      }
      for (let t = 0; t < n; t++) {
        layerNorm(h, h, w["embed_ln.weight"], w["embed_ln.bias"], d, t * d, this.eps);
      }
      for (let b = 0; b < c.n_layers; b++) {
        // the last block: only the last token (s_k) is read
        const first = b === c.n_layers - 1 ? n - 1 : 0;
        this.block(this.blocks[b], n, first);
      }
      const last = (n - 1) * d;
      layerNorm(this.x, h, w["ln_f.weight"], w["ln_f.bias"], d, last, this.eps);
      linear(this.tmp, w["predict_action.weight"], w["predict_action.bias"],
        this.x, d, 1, last, 0);
      return this.tmp[0] * c.action_scale;
    }

    // one pre-LN block on tokens 0..n-1, in place on this.h, outputs for
    // the queries first..n-1: h = h + attn(ln1(h)); h = h + mlp(ln2(h))
    block(w, n, first) {
      const d = this.c.d_model, h = this.h, x = this.x;
      const heads = this.c.n_heads, dh = d / heads, scale = 1 / Math.sqrt(dh);
      for (let t = 0; t < n; t++) {
        layerNorm(x, h, w["ln1.weight"], w["ln1.bias"], d, t * d, this.eps);
        linear(this.k, w["attn.k_proj.weight"], w["attn.k_proj.bias"],
          x, d, d, t * d, t * d);
        linear(this.v, w["attn.v_proj.weight"], w["attn.v_proj.bias"],
          x, d, d, t * d, t * d);
      }
      const q = this.q, kk = this.k, v = this.v, a = this.a, s = this.scores;
      for (let t = first; t < n; t++) {
        linear(q, w["attn.q_proj.weight"], w["attn.q_proj.bias"],
          x, d, d, t * d, t * d);
        for (let hd = 0; hd < heads; hd++) {
          const o = hd * dh;
          let max = -Infinity;
          for (let u = 0; u <= t; u++) {  // causal: keys 0..t
            let dot = 0;
            for (let i = 0; i < dh; i++) dot += q[t * d + o + i] * kk[u * d + o + i];
            s[u] = dot * scale;
            if (s[u] > max) max = s[u];
          }
          let total = 0;
          for (let u = 0; u <= t; u++) {
            s[u] = Math.exp(s[u] - max);
            total += s[u];
          }
          for (let i = 0; i < dh; i++) {
            let sum = 0;
            for (let u = 0; u <= t; u++) sum += s[u] * v[u * d + o + i];
            a[t * d + o + i] = sum / total;
          }
        }
        linear(this.tmp, w["attn.out_proj.weight"], w["attn.out_proj.bias"],
          a, d, d, t * d, 0);
        for (let i = 0; i < d; i++) h[t * d + i] += this.tmp[i];
        layerNorm(x, h, w["ln2.weight"], w["ln2.bias"], d, t * d, this.eps);
        linear(this.m, w["mlp.fc1.weight"], w["mlp.fc1.bias"],
          x, d, this.hidden, t * d, 0);
        for (let i = 0; i < this.hidden; i++) this.m[i] = gelu(this.m[i]);
        linear(this.tmp, w["mlp.fc2.weight"], w["mlp.fc2.bias"],
          this.m, this.hidden, d, 0, 0);
        for (let i = 0; i < d; i++) h[t * d + i] += this.tmp[i];
      }
    }
  }

  // the model as a policy: evaluate.context_window's window of the last C
  // steps up to t, a zero placeholder for a_t
  class DTPolicy {
    constructor(model) { this.model = model; }
    act(e) {
      const C = this.model.c.context, t = e.t, lo = Math.max(0, t + 1 - C);
      const timesteps = [], actions = [];
      for (let j = lo; j <= t; j++) {
        timesteps.push(j);
        actions.push(j < t ? e.actions[j] : 0);
      }
      return this.model.force(e.rtg.slice(lo, t + 1), e.states.slice(lo, t + 1),
        actions, timesteps);
    }
  }

  // ------------------------------------------------------------ the element
  const STYLE = `
.dtcart-live{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;
 color:#222;border:1px solid #ccc;border-radius:6px;padding:8px;
 max-width:760px;background:#fff;margin:0.5em 0}
.dtcart-live .dl-row{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.dtcart-live canvas{border:1px solid #e3e3e3;border-radius:4px;
 max-width:100%;cursor:crosshair}
.dtcart-live button{font:inherit;padding:3px 12px;border:1px solid #888;
 border-radius:4px;background:#f4f4f4;color:#222;cursor:pointer;min-width:5em}
.dtcart-live button:focus-visible,.dtcart-live input:focus-visible{
 outline:2px solid #1f77b4;outline-offset:2px}
.dtcart-live .dl-dial{position:relative;flex:1 1 260px;min-width:220px}
.dtcart-live .dl-dial input{width:100%;margin:0}
.dtcart-live .dl-mark{position:absolute;top:30px;transform:translateX(-50%);
 font-size:12px;color:#b22;white-space:nowrap;pointer-events:none}
.dtcart-live .dl-mark::before{content:"";position:absolute;left:50%;
 top:-12px;height:10px;border-left:2px solid #b22}
.dtcart-live .dl-dialrow{margin-bottom:18px}
.dtcart-live .dtcart-live-readout{font-variant-numeric:tabular-nums;
 margin-top:4px;min-height:1.4em}
.dtcart-live .dl-outcome{font-weight:600}`;

  // drawing sizes [CSS px]; the scene draws SCENE.scale px per metre
  const SCENE = {width: 380, height: 200, scale: 70};
  const TRACE = {width: 240, height: 200};
  const COLORS = {running: "#1f77b4", fell: "#d62728",
    "left the track": "#ff7f0e"};

  function el(tag, attrs, parent) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function setupCanvas(canvas, width, height) {
    const ratio = root.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  function fmt(v, digits) { return (v >= 0 ? "+" : "\u2212") + Math.abs(v).toFixed(digits); }

  function randomStart(half) {
    return [0, 1, 2, 3].map(() => (2 * Math.random() - 1) * half);
  }

  class Live {
    // cfg: {params, rules, start, start_range, shove: {force, steps},
    //       gain: {value, min, max, step, critical} | model: {...}, target}
    constructor(box, cfg) {
      this.box = box;
      this.cfg = cfg;
      this.isDT = !!cfg.model;
      this.policy = this.isDT
        ? new DTPolicy(new DecisionTransformer(cfg.model))
        : new Heuristic(cfg.gain.value);
      this.target = this.isDT ? cfg.target : 0;
      this.playing = false;
      this.pushes = [];  // pending shoves [N], one per step
      this.build();
      this.reset(cfg.start);
    }

    build() {
      const box = this.box, cfg = this.cfg;
      if (!document.getElementById("dtcart-live-style")) {
        el("style", {id: "dtcart-live-style", text: STYLE}, document.head);
      }
      const row = el("div", {class: "dl-row"}, box);
      this.scene = el("canvas", {role: "img", tabindex: "-1",
        "aria-label": "the cart-pole; click beside the cart to push it"}, row);
      this.trace = el("canvas", {role: "img",
        "aria-label": "pole angle and force over the last 5 seconds"}, row);
      this.sctx = setupCanvas(this.scene, SCENE.width, SCENE.height);
      this.tctx = setupCanvas(this.trace, TRACE.width, TRACE.height);
      const controls = el("div", {class: "dl-row"}, box);
      this.playButton = el("button", {type: "button", "aria-label": "play",
        "aria-pressed": "false", text: "\u25B6 Play"}, controls);
      const resetButton = el("button", {type: "button", "aria-label": "reset",
        text: "\u21BA Reset"}, controls);
      const shoveButton = el("button", {type: "button", "aria-label": "shove",
        title: "push the cart toward +x for 0.1 s", text: "Shove \u2192"}, controls);
      const dial = el("div", {class: "dl-dial"}, controls);
      const spec = this.isDT
        ? {min: 0, max: cfg.model.max_target, step: 10, value: cfg.target}
        : cfg.gain;
      el("span", {"aria-hidden": "true",
        text: this.isDT ? "target return [steps]" : "gain K [N/rad]"}, dial);
      el("br", {}, dial);
      this.input = el("input", {type: "range",
        "aria-label": this.isDT ? "target return" : "gain K",
        min: spec.min, max: spec.max, step: spec.step, value: spec.value}, dial);
      if (!this.isDT) {
        dial.classList.add("dl-dialrow");
        const mark = el("span", {class: "dl-mark",
          text: "K* = " + cfg.gain.critical.toFixed(1)}, dial);
        const place = () => {
          // where the thumb's centre sits at K*: the track minus a thumb
          const frac = (cfg.gain.critical - spec.min) / (spec.max - spec.min);
          const width = this.input.offsetWidth || 260, thumb = 16;
          mark.style.left = (thumb / 2 + frac * (width - thumb)) + "px";
        };
        place();
        if (root.ResizeObserver) new ResizeObserver(place).observe(this.input);
      }
      this.readout = el("div", {class: "dtcart-live-readout"}, box);
      this.playButton.addEventListener("click", () => this.toggle());
      resetButton.addEventListener("click", () => this.reset());
      shoveButton.addEventListener("click", () => this.shove(1));
      this.scene.addEventListener("click", event => {
        // a click left of the cart pushes it right, and the other way round
        const rect = this.scene.getBoundingClientRect();
        const clicked = (event.clientX - rect.left) * SCENE.width / rect.width;
        this.shove(clicked < this.toPixels(this.episode.state[2]) ? 1 : -1);
      });
      this.input.addEventListener("input", () => this.dialMoved());
    }

    dialMoved() {
      const value = Number(this.input.value);
      if (this.isDT) {
        this.target = value;
        if (!this.episode.done) this.episode.retarget(value);
      } else {
        this.policy.gain = value;  // the controller changes at once
      }
      this.draw();
    }

    reset(start) {
      const s = start || randomStart(this.cfg.start_range);
      this.episode = new Episode(s, this.cfg.params, this.cfg.rules, this.target);
      this.pushes = [];
      this.felt = [0];  // push felt at each step, for the drawing
      this.draw();
    }

    shove(direction) {
      const sh = this.cfg.shove;
      this.pushes = [];
      for (let i = 0; i < sh.steps; i++) this.pushes.push(direction * sh.force);
      if (!this.playing) this.play();
    }

    toggle() { if (this.playing) this.pause(); else this.play(); }

    play() {
      if (this.episode.done) this.reset();
      this.playing = true;
      this.playButton.textContent = "\u275A\u275A Pause";
      this.playButton.setAttribute("aria-pressed", "true");
      this.clock = null;
      const frame = now => {
        if (!this.playing) return;
        if (this.clock === null) this.clock = {wall: now, steps: 0};
        // real time: as many 20 ms steps as the wall clock has advanced
        const due = Math.floor((now - this.clock.wall) / (1000 * this.cfg.params.dt));
        let n = Math.min(due - this.clock.steps, 5);  // a stalled tab skips
        if (due - this.clock.steps > 5) this.clock = {wall: now, steps: 0};
        else this.clock.steps = due;
        while (n-- > 0 && !this.episode.done) this.advance();
        this.draw();
        if (this.episode.done) this.pause();
        else root.requestAnimationFrame(frame);
      };
      root.requestAnimationFrame(frame);
    }

    pause() {
      this.playing = false;
      this.playButton.textContent = "\u25B6 Play";
      this.playButton.setAttribute("aria-pressed", "false");
    }

    advance() {
      const push = this.pushes.length ? this.pushes.shift() : 0;
      this.episode.advance(this.policy, push);
      this.felt.push(push);
    }

    toPixels(x) { return SCENE.width / 2 + x * SCENE.scale; }

    draw() {
      this.drawScene();
      this.drawTrace();
      this.writeReadout();
    }

    drawScene() {
      const ctx = this.sctx, e = this.episode, s = e.state;
      const W = SCENE.width, H = SCENE.height, ground = 140;
      const px = SCENE.scale, lim = this.cfg.rules.x_limit;
      ctx.clearRect(0, 0, W, H);
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, W, H);
      ctx.strokeStyle = "#555";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(this.toPixels(-lim), ground + 14);
      ctx.lineTo(this.toPixels(lim), ground + 14);
      ctx.stroke();
      ctx.font = "11px system-ui,sans-serif";
      ctx.fillStyle = "#555";
      ctx.textAlign = "center";
      for (const side of [-1, 1]) {  // the track's ends: the episode's limit
        const edge = this.toPixels(side * lim);
        ctx.strokeStyle = "#d62728";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(edge, ground - 120);
        ctx.lineTo(edge, ground + 20);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillText((side * lim).toFixed(1) + " m", edge, ground + 34);
      }
      ctx.fillText("0", this.toPixels(0), ground + 34);
      const cx = this.toPixels(s[2]), color = COLORS[e.outcome] || "#2ca02c";
      ctx.fillStyle = "#444";
      ctx.fillRect(cx - 28, ground - 8, 56, 20);
      const len = 2 * this.cfg.params.half_length * px;
      ctx.strokeStyle = color;
      ctx.lineWidth = 6;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(cx, ground - 8);
      ctx.lineTo(cx + len * Math.sin(s[0]), ground - 8 - len * Math.cos(s[0]));
      ctx.stroke();
      ctx.lineCap = "butt";
      // the force on the cart: the policy's (blue) and a shove (orange)
      const u = e.actions.length ? e.actions[e.t - 1] : 0;
      const push = this.felt[this.felt.length - 1];
      this.arrow(ctx, cx, ground + 2, u, "#1f77b4");
      if (push) this.arrow(ctx, cx, ground - 14, push, "#ff7f0e");
      ctx.fillStyle = "#222";
      ctx.textAlign = "left";
      ctx.font = "12px system-ui,sans-serif";
      ctx.fillText("t = " + (e.t * this.cfg.params.dt).toFixed(2) + " s", 8, 18);
      if (e.done) {
        ctx.fillStyle = COLORS[e.outcome] || "#2ca02c";
        ctx.font = "bold 15px system-ui,sans-serif";
        ctx.textAlign = "center";
        ctx.fillText("episode over: " + e.outcome + " (return " + e.t + ")",
          W / 2, 46);
      }
    }

    arrow(ctx, x, y, force, color) {
      const len = Math.max(-120, Math.min(120, 4 * force));
      if (Math.abs(len) < 1) return;
      const start = x + Math.sign(len) * 30;
      ctx.strokeStyle = ctx.fillStyle = color;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(start, y);
      ctx.lineTo(start + len, y);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(start + len + Math.sign(len) * 6, y);
      ctx.lineTo(start + len, y - 5);
      ctx.lineTo(start + len, y + 5);
      ctx.fill();
    }

    drawTrace() {
      const ctx = this.tctx, e = this.episode, W = TRACE.width, H = TRACE.height;
      const span = Math.round(5 / this.cfg.params.dt), t0 = Math.max(0, e.t - span);
      ctx.clearRect(0, 0, W, H);
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, W, H);
      const left = 44, right = W - 8, deg = 180 / Math.PI;
      const limit = this.cfg.rules.theta_limit * deg;
      const panels = [
        {top: 16, bottom: 90, label: "θ [deg]", range: limit * 1.25, lines: [limit, -limit],
         value: j => e.states[j][0] * deg, from: t0, to: e.t},
        {top: 116, bottom: 184, label: "force [N]", lines: [0],
         range: Math.max(5, ...e.actions.slice(t0).map(Math.abs)) * 1.1,
         value: j => e.actions[j], from: t0, to: e.t - 1}];
      ctx.font = "11px system-ui,sans-serif";
      for (const p of panels) {
        const mid = (p.top + p.bottom) / 2, half = (p.bottom - p.top) / 2;
        const y = v => mid - Math.max(-1, Math.min(1, v / p.range)) * half;
        const xOf = j => left + (j - t0) / span * (right - left);
        ctx.strokeStyle = "#bbb";
        ctx.lineWidth = 1;
        ctx.strokeRect(left, p.top, right - left, p.bottom - p.top);
        ctx.setLineDash([3, 3]);
        ctx.strokeStyle = p.lines.length > 1 ? "#d62728" : "#999";
        for (const v of p.lines) {
          ctx.beginPath();
          ctx.moveTo(left, y(v));
          ctx.lineTo(right, y(v));
          ctx.stroke();
        }
        ctx.setLineDash([]);
        ctx.fillStyle = "#222";
        ctx.textAlign = "left";
        ctx.fillText(p.label, left, p.top - 4);
        ctx.textAlign = "right";
        ctx.fillText(Math.round(p.range).toString(), left - 3, p.top + 9);
        ctx.fillText((-Math.round(p.range)).toString(), left - 3, p.bottom);
        ctx.strokeStyle = "#1f77b4";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        for (let j = p.from; j <= p.to; j++) {
          if (j === p.from) ctx.moveTo(xOf(j), y(p.value(j)));
          else ctx.lineTo(xOf(j), y(p.value(j)));
        }
        ctx.stroke();
      }
      ctx.fillStyle = "#555";
      ctx.textAlign = "center";
      ctx.fillText("last 5 s", (left + right) / 2, H - 3);
    }

    writeReadout() {
      const e = this.episode, s = e.state, u = e.t ? e.actions[e.t - 1] : 0;
      const parts = ["t = " + (e.t * this.cfg.params.dt).toFixed(2) + " s (step " + e.t + ")"];
      if (this.isDT) {
        parts.push("R\u0302_t = " + e.rtg[e.t].toFixed(0));
      } else {
        const K = this.policy.gain, Kstar = this.cfg.gain.critical;
        parts.push("K = " + K.toFixed(1) + " N/rad, K \u2212 K* = " + fmt(K - Kstar, 1));
      }
      parts.push("θ = " + fmt(s[0] * 180 / Math.PI, 1) + "°",
        "x = " + fmt(s[2], 2) + " m", "force = " + fmt(u, 1) + " N");
      this.readout.textContent = parts.join(" · ") + " · ";
      el("span", {class: "dl-outcome", text: e.outcome}, this.readout)
        .style.color = COLORS[e.outcome] || "#2ca02c";
    }
  }

  // build the element in `box` (the <div> dtcart.live emits), once
  function mount(box, cfg) {
    if (!box || box.dtcartLive) return box && box.dtcartLive;
    box.textContent = "";  // the note shown where scripts do not run
    box.dtcartLive = new Live(box, cfg);
    return box.dtcartLive;
  }

  root.dtcartLive = {step, Episode, Heuristic, DecisionTransformer, DTPolicy,
    erf, gelu, mount, Live};
})(typeof window !== "undefined" ? window : globalThis);
