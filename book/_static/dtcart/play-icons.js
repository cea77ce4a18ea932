// ipywidgets 8's Play button finds its icon as the <i> inside it (getElementsByTagName("i")) and
// swaps its class between "fa fa-play" and "fa fa-pause". The theme's Font Awesome script replaces
// every <i> icon by an <svg>, so pressing play threw "Cannot set properties of undefined" and the
// animations never started. Here Font Awesome nests its <svg> inside the <i> instead (it reads this
// config when its deferred script runs, after this one), and once the Play button has set its own
// class on the <i>, the theme's Font Awesome webfont draws that icon and the stale <svg> is hidden.
window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {autoReplaceSvg: "nest"});
(function () {
  var style = document.createElement("style");
  style.textContent = '.widget-play i[class*="fa-"] > svg { display: none; }';
  (document.head || document.documentElement).appendChild(style);
})();
