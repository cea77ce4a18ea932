// ipywidgets 8's Play button finds its icon as the <i> inside it (getElementsByTagName("i")) and
// swaps its class between "fa fa-play" and "fa fa-pause"; the theme's Font Awesome script replaces
// every <i> icon by an <svg>, so pressing play threw "Cannot set properties of undefined" and the
// animations never started. Nesting the <svg> inside the <i> keeps both working. Loaded before
// the widget manager and before the theme's deferred Font Awesome script, which reads this config.
window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {autoReplaceSvg: "nest"});
