/* Convrelay first-party tag. No third-party code. See docs/tag.md. */
(function (w, d) {
  "use strict";
  var s = d.currentScript || d.querySelector("script[data-account]");
  if (!s || (w.convrelay && w.convrelay.ready)) return;
  var acct = s.getAttribute("data-account"),
    base = (s.getAttribute("data-endpoint") || new URL(s.src, location.href).origin).replace(/\/+$/, ""),
    page = s.getAttribute("data-page") || "",
    VID = "cr_vid", HIT = "cr_hit", hit = null;

  function ck(n) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + n + "=([^;]*)"));
    try { return m ? decodeURIComponent(m[1]) : ""; } catch (e) { return ""; }
  }
  function ls(k, v) {
    try {
      if (v === undefined) return w.localStorage.getItem(k) || "";
      w.localStorage.setItem(k, v);
    } catch (e) {}
    return "";
  }
  function keepVid(v) {
    if (!v) return;
    ls(VID, v);
    d.cookie = VID + "=" + encodeURIComponent(v) + "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }
  function consent() {
    var c = w.convrelayConsent;
    if (c === true || c === "granted") return "granted";
    if (c === false || c === "denied") return "denied";
    return s.getAttribute("data-consent") || "";
  }
  function post(path, body) {
    return fetch(base + "/" + encodeURIComponent(acct) + "/t/" + path, {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var e = new Error(j.error || "HTTP " + r.status);
          e.status = r.status; e.body = j;
          throw e;
        }
        return j;
      });
    });
  }

  // AutoTag: links to the account's offer domains get the click id in the
  // network's parameter; {sub1}-style placeholders are filled. Only the
  // query's own text is touched: other parameters stay byte for byte.
  var PH = /\{(sub1|click_?id|hit|vid|visitor_id)\}|%7B(sub1|click_?id|hit|vid|visitor_id)%7D|--CLICK-ID--/gi;
  function autotag() {
    if (!hit || !hit.autotag || !hit.autotag.length) return;
    var links = d.getElementsByTagName("a");
    for (var i = 0; i < links.length; i++) tagLink(links[i]);
  }
  function tagLink(a) {
    var u;
    try { u = new URL(a.href, location.href); } catch (e) { return; }
    var host = u.hostname.toLowerCase(), rules = hit.autotag;
    for (var i = 0; i < rules.length; i++) {
      var r = rules[i], dm = r.domain;
      if (host !== dm && host.slice(-dm.length - 1) !== "." + dm) continue;
      var href = a.href.replace(PH, function (m) {
        return encodeURIComponent(/vi/i.test(m) ? hit.vid : hit.hit);
      });
      if (r.param) {
        u = new URL(href);
        var q = u.search, name = r.param.replace(/[.\-]/g, "\\$&"),
          re = new RegExp("([?&]" + name + "=)([^&]*)"), m = re.exec(q);
        if (!m) u.search = (q && q !== "?" ? q + "&" : "?") + r.param + "=" + encodeURIComponent(hit.hit);
        else if (!m[2]) u.search = q.replace(re, "$1" + encodeURIComponent(hit.hit));
        href = u.href;
      }
      if (href !== a.href) a.href = href;
      return;
    }
  }

  var vid = ck(VID) || ls(VID);
  var ready = post("hit", {
    url: location.href, ref: d.referrer, vid: vid, p: page, consent: consent(),
    fbp: ck("_fbp"), fbc: ck("_fbc"), ga: ck("_ga"), ttp: ck("_ttp")
  }).then(function (j) {
    hit = j; vid = j.vid; keepVid(vid);
    if (j.landing) ls(HIT, j.hit);
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", autotag); else autotag();
    return j;
  });

  function track(type, o) {
    o = o || {};
    if (type !== "conversion") return Promise.reject(new Error("convrelay: unknown call " + type));
    return ready.catch(function () {}).then(function () {
      var forced = o.p || o.vid || o.hit;
      return post("conversion", {
        rev: o.rev, tx: o.tx, event: o.event, currency: o.currency, event_id: o.event_id, consent: consent(),
        p: o.p, vid: o.vid || vid, hit: o.hit || (forced ? "" : ls(HIT))
      });
    });
  }

  var q = w.convrelay && w.convrelay.q;
  w.convrelay = { ready: ready, track: track, autotag: autotag, vid: function () { return vid; } };
  if (q) for (var i = 0; i < q.length; i++) track.apply(null, q[i][0]).then(q[i][1], q[i][2]);
})(window, document);
