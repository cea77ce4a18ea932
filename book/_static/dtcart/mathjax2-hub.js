// ipywidgets 8's page manager typesets widget labels with MathJax 2's API, MathJax.Hub.Queue(["Typeset", hub, el]);
// the book loads MathJax 3, which has no Hub, so every widget label threw "reading 'Queue'". This gives MathJax 3
// a Hub whose Queue typesets those elements. Deferred, it runs after MathJax 3 has replaced its config object
// (and again at DOMContentLoaded to be sure), and before the widgets render at window "load".
(function () {
  function install() {
    var mathjax = window.MathJax;
    if (mathjax === undefined || mathjax.Hub !== undefined) return;
    mathjax.Hub = {
      Queue: function () {
        var elements = [];
        for (var i = 0; i < arguments.length; i++) {
          var command = arguments[i];
          if (Array.isArray(command) && command[0] === "Typeset" && command[2]) elements.push(command[2]);
        }
        var current = window.MathJax;
        if (elements.length && current.startup && current.startup.promise && current.typesetPromise) {
          current.startup.promise.then(function () { return current.typesetPromise(elements); });
        }
      },
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
})();
