#!/usr/bin/env bash
# Refresh the JavaScript the rendered book serves itself (book/_static/vendor/), so pages read offline:
#   MathJax 3 (equations) and the ipywidgets HTML manager (sliders with no kernel).
# Run once when bumping a version; the result is committed, so building the book needs no npm and no network.
# Needs npm (talks to the npm registry).
set -euo pipefail
MATHJAX=3.2.2          # Sphinx 7's default mathjax_path is MathJax 3 (es5 build)
HTML_MANAGER=1.0.15    # @jupyter-widgets/html-manager for ipywidgets 8.1 (widget protocol 2.0.0)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/book/_static/vendor"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "mathjax@$MATHJAX" "@jupyter-widgets/html-manager@$HTML_MANAGER" >/dev/null)
mkdir -p "$TMP/mj" "$TMP/hm"
tar xzf "$TMP/mathjax-$MATHJAX.tgz" -C "$TMP/mj"
tar xzf "$TMP/jupyter-widgets-html-manager-$HTML_MANAGER.tgz" -C "$TMP/hm"
rm -rf "$DEST/mathjax" "$DEST/html-manager"
# MathJax: the combined TeX+MathML -> CommonHTML component, its fonts, and the TeX extensions it may autoload.
MJ="$DEST/mathjax"; mkdir -p "$MJ/output/chtml/fonts" "$MJ/input/tex"
cp "$TMP/mj/package/es5/tex-mml-chtml.js" "$MJ/"
cp -r "$TMP/mj/package/es5/output/chtml/fonts/woff-v2" "$MJ/output/chtml/fonts/"
cp -r "$TMP/mj/package/es5/input/tex/extensions" "$MJ/input/tex/"
cp "$TMP/mj/package/LICENSE" "$MJ/LICENSE"
echo "mathjax $MATHJAX (npm), es5 build; Apache-2.0, see LICENSE" > "$MJ/VERSION"
# HTML manager: the standalone (non-AMD, no require.js) embed bundle and the web fonts its CSS points to.
HM="$DEST/html-manager"; mkdir -p "$HM"
cp "$TMP/hm/package/dist/embed.js" "$TMP/hm/package/dist/embed.js.LICENSE.txt" "$HM/"
cp "$TMP/hm/package/dist/"*.woff2 "$TMP/hm/package/dist/"*.woff "$HM/"
sed -i '/^\/\/# sourceMappingURL=/d' "$HM/embed.js"
# The npm package ships no licence file; it is ipywidgets' (same repository, BSD-3-Clause).
cat > "$HM/LICENSE" <<'LICENSE'
Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
LICENSE
echo "@jupyter-widgets/html-manager $HTML_MANAGER (npm), dist/embed.js; BSD-3-Clause, see LICENSE" > "$HM/VERSION"
