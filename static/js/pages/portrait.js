/* The portrait (accounts/retailer_detail.html). */
// The portrait's sections: open on a desk, closed on a phone (the summary and the action bar come first); the section
// a link points at (#sec-…) opens.
(function () {
  var wide = window.matchMedia("(min-width: 992px)").matches;
  var target = location.hash ? document.querySelector(location.hash) : null;
  document.querySelectorAll("details.portrait-section").forEach(function (d) {
    if (wide || d === target || (target && d.contains(target))) d.open = true;
  });
})();
