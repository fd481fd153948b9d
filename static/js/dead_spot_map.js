/* The dead spot map: points from the page's JSON block, over map tiles when a tile server is
   configured (SONGMAY_MAP_TILES), otherwise over a plain background with commune labels.
   Nothing is loaded from the internet unless the configuration says so. */
(function () {
  "use strict";
  var element = document.getElementById("dead-spot-map");
  var source = document.getElementById("dead-spot-data");
  if (!element || !source || typeof L === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var map = L.map(element, { attributionControl: Boolean(data.tiles), zoomSnap: 0.25 });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 18, attribution: data.attribution || "" }).addTo(map);
  } else {
    element.classList.add("no-tiles");
  }

  function colour(point) {
    if (point.status === "covered" || point.status === "verified") {
      return "#1b7f3b";
    }
    return point.overdue ? "#c0262d" : "#d98200";
  }

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.village + ", " + point.commune;
    box.appendChild(link);
    var lines = [
      point.status_label + (point.overdue ? " – quá hạn" : ""),
      point.operator ? "Doanh nghiệp: " + point.operator : "Chưa giao doanh nghiệp",
      "Số hộ: " + point.households,
    ];
    lines.forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  var bounds = [];
  var communes = {};
  data.points.forEach(function (point) {
    var latlng = [point.lat, point.lng];
    bounds.push(latlng);
    L.circleMarker(latlng, {
      radius: 8, color: "#222", weight: 1, fillColor: colour(point), fillOpacity: 0.9,
    })
      .bindPopup(popup(point))
      .bindTooltip(point.village, { direction: "top", offset: [0, -8] })
      .addTo(map);
    var commune = communes[point.commune] || (communes[point.commune] = { lat: 0, lng: 0, n: 0 });
    commune.lat += point.lat;
    commune.lng += point.lng;
    commune.n += 1;
  });
  if (!data.tiles) {
    // Without a base map the commune names say where the points are.
    Object.keys(communes).forEach(function (name) {
      var commune = communes[name];
      L.tooltip({ permanent: true, direction: "bottom", className: "commune-label", offset: [0, 10] })
        .setLatLng([commune.lat / commune.n, commune.lng / commune.n])
        .setContent(name)
        .addTo(map);
    });
  }
  if (bounds.length === 1) {
    map.setView(bounds[0], 12);
  } else if (bounds.length > 1) {
    map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 });
  } else {
    map.setView([16.0, 106.0], 5); // Việt Nam
  }
})();
