/* Maps stay usable when their tiles cannot load (offline, a blocked tile server).
 *
 * plotly.js rejects a map figure's drawing promise on any MapLibre error, a tile that failed to
 * load included, and dcc.Graph draws each new figure only after the previous promise resolved:
 * one unreachable tile would freeze the map on its first figure (no selected run, no new
 * dates). The routes are drawn before that rejection, so it is the rejection alone that is
 * dropped here, for map errors only; every other error still reaches Dash. */
(function () {
    "use strict";
    var MAP_ERROR = "Map error.";

    function tolerant(plotly) {
        if (!plotly || plotly.__pulseboardTiles) {
            return plotly;
        }
        ["react", "newPlot"].forEach(function (name) {
            var original = plotly[name];
            if (typeof original !== "function") {
                return;
            }
            plotly[name] = function (gd) {
                return original.apply(this, arguments).catch(function (error) {
                    if (error && error.message === MAP_ERROR) {
                        return gd;
                    }
                    throw error;
                });
            };
        });
        plotly.__pulseboardTiles = true;
        return plotly;
    }

    if (window.Plotly) {
        tolerant(window.Plotly);
        return;
    }
    // plotly.js is fetched when the first graph needs it: wrap it as it arrives.
    var held;
    Object.defineProperty(window, "Plotly", {
        configurable: true,
        get: function () { return held; },
        set: function (value) { held = tolerant(value); }
    });
})();
