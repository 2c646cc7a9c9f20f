// The route page's one button: plan from the phone's position (the page is server-rendered from ?lat=&lon=).
(function () {
  var btn = document.getElementById("plan-from-here");
  if (!btn || !navigator.geolocation) return;
  btn.addEventListener("click", function () {
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var q = new URLSearchParams({ manager: btn.dataset.manager, lat: pos.coords.latitude.toFixed(6), lon: pos.coords.longitude.toFixed(6) });
      if (btn.dataset.skip) q.set("skip", btn.dataset.skip);
      location.search = q.toString();
    }, function () { btn.disabled = false; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
