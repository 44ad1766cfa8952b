/* credaudit report: the findings and inventory tables, built on demand from the data islands
   (<script type="application/json">, see reports/html_island.py for the encoding). Only the
   rows on screen exist in the document; every cell is filled with textContent, never parsed
   as HTML. Filters compare indices, search scans the table of distinct strings once per term,
   sort orders packed numeric keys. Allowed by its CSP hash; no inline handler anywhere. */
(function () {
  "use strict";
  document.documentElement.className += " js";
  var PRINT_LIMIT = 5000;
  var SHIFT = 4194304; /* 2^22: row index packed under a sort key (up to 4M rows) */
  var D = null;
  var grids = [];

  function strings() {
    if (!D) {
      D = JSON.parse(document.getElementById("data-strings").textContent);
      D.lower = null;
      D.index = null;
    }
    return D;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }

  function cell(tr, text, cls) {
    var td = el("td", cls, text);
    tr.appendChild(td);
    return td;
  }

  /* Per grid: how a field is read ("s": a string index; "sev", "status", "action": an index into
     the lists in the strings island; "flag": 0/1 shown as "new"; "worst": a severity or none),
     which fields search looks at, and how a row is built. */
  var SPECS = {
    findings: {
      kinds: ["sev", "status", "s", "s", "s", "s", "s", "s", "s", "s", "flag", "action"],
      search: [0, 1, 2, 3, 4, 5, 6, 7, 9],
      build: function (r) {
        var S = D.rows;
        var tr = el("tr", "s-" + D.sev[r[0]] + (D.status_ids[r[1]] === "fail" ? "" : " x-" + D.status_ids[r[1]]));
        cell(tr, D.sev[r[0]]);
        cell(tr, D.status[r[1]]);
        cell(tr, S[r[2]]);
        cell(tr, S[r[3]]);
        var cred = cell(tr, "");
        if (r[10]) { cred.appendChild(el("b", "new", "new")); cred.appendChild(document.createTextNode(" ")); }
        cred.appendChild(document.createTextNode(S[r[4]]));
        cred.appendChild(el("small", "", S[r[5]]));
        cell(tr, S[r[6]]);
        var msg = cell(tr, S[r[7]]);
        if (r[9]) {
          var waiver = S[r[9]];
          msg.appendChild(el("small", waiver.indexOf("Waiver ") === 0 ? "waiver expired" : "waiver", waiver));
        }
        if (r[8]) { msg.appendChild(el("small", "fix", S[r[8]])); }
        return tr;
      }
    },
    inventory: {
      kinds: ["s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "worst", "s"],
      search: [0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 14],
      build: function (r) {
        var S = D.rows;
        var worst = D.sev[r[13]];
        var tr = el("tr", "s-" + (worst || "none"));
        cell(tr, S[r[0]]);
        var name = cell(tr, S[r[1]]);
        name.appendChild(el("small", "", S[r[2]]));
        if (r[3]) {
          S[r[3]].split("\n").forEach(function (n) { name.appendChild(el("small", "note", n)); });
        }
        var owner = cell(tr, S[r[4]]);
        owner.appendChild(el("small", "", S[r[5]]));
        if (r[6]) { owner.appendChild(el("small", "owner-" + S[r[6]], S[r[6]])); }
        cell(tr, S[r[7]]);
        var used = S[r[8]];
        if (used === "not reported") { cell(tr, "").appendChild(el("span", "muted", used)); } else { cell(tr, used); }
        cell(tr, S[r[9]]);
        var access = cell(tr, S[r[10]]);
        if (r[11]) { access.appendChild(el("small", "", S[r[11]])); }
        var nets = S[r[12]];
        if (nets === "n/a") { cell(tr, "").appendChild(el("span", "muted", nets)); } else { cell(tr, nets); }
        var w = cell(tr, "");
        if (worst) { w.appendChild(el("span", "sev sev-" + worst, worst)); } else { w.textContent = "none"; }
        cell(tr, S[r[14]]);
        return tr;
      }
    }
  };

  function text(kind, v) {
    if (kind === "s") { return D.rows[v]; }
    if (kind === "sev") { return D.sev[v]; }
    if (kind === "worst") { return D.sev[v] || "none"; }
    if (kind === "status") { return D.status[v]; }
    if (kind === "action") { return D.actions[v]; }
    return v ? "new" : "";
  }

  function domain(kind) {
    return kind === "sev" ? D.sev.length : kind === "worst" ? D.sev.length + 1 :
      kind === "status" ? D.status.length : kind === "action" ? D.actions.length : 2;
  }

  /* codes[v] === 1 when field value v is one of the texts in `allowed` */
  function allowedCodes(kind, allowed) {
    var codes;
    if (kind === "s") {
      if (!D.index) {
        D.index = new Map();
        D.rows.forEach(function (s, i) { D.index.set(s, i); });
      }
      codes = new Uint8Array(D.rows.length);
      allowed.forEach(function (a) { var i = D.index.get(a); if (i !== undefined) { codes[i] = 1; } });
      return codes;
    }
    codes = new Uint8Array(domain(kind));
    for (var v = 0; v < codes.length; v++) { codes[v] = allowed.indexOf(text(kind, v)) !== -1 ? 1 : 0; }
    return codes;
  }

  /* per field kind, a Uint8Array over its values: 1 where the text contains `term` */
  function termCodes(term) {
    if (!D.lower) { D.lower = D.rows.map(function (s) { return s.toLowerCase(); }); }
    var out = { s: new Uint8Array(D.lower.length) };
    for (var i = 0; i < D.lower.length; i++) { if (D.lower[i].indexOf(term) !== -1) { out.s[i] = 1; } }
    ["sev", "worst", "status", "action", "flag"].forEach(function (kind) {
      var codes = new Uint8Array(domain(kind));
      for (var v = 0; v < codes.length; v++) { codes[v] = text(kind, v).toLowerCase().indexOf(term) !== -1 ? 1 : 0; }
      out[kind] = codes;
    });
    return out;
  }

  function Grid(root, spec, rows) {
    var self = this;
    self.root = root;
    self.spec = spec;
    self.rows = rows;
    self.order = new Uint32Array(rows.length);
    for (var i = 0; i < rows.length; i++) { self.order[i] = i; }
    self.matched = self.order;
    self.page = 0;
    self.table = root.querySelector("table.rows");
    self.tbody = self.table.tBodies[0];
    self.controls = root.querySelector(".controls");
    self.filters = Array.prototype.slice.call(self.controls.querySelectorAll("select[data-field]"));
    self.search = self.controls.querySelector("input[type=search]");
    self.size = self.controls.querySelector("select[data-page-size]");
    self.status = root.querySelector(".status-line");
    self.printNote = root.querySelector(".print-note");
    self.pager = root.querySelector(".pager");
    self.pageOf = self.pager.querySelector(".page-of");
    self.prev = self.pager.querySelector("[data-page=prev]");
    self.next = self.pager.querySelector("[data-page=next]");
    self.controls.hidden = false;
    self.status.hidden = false;
    self.pager.hidden = false;

    var reset = function () { self.page = 0; self.apply(); };
    self.filters.forEach(function (s) { s.addEventListener("change", reset); });
    self.size.addEventListener("change", reset);
    self.search.addEventListener("input", reset);
    self.prev.addEventListener("click", function () { self.page -= 1; self.draw(); });
    self.next.addEventListener("click", function () { self.page += 1; self.draw(); });
    Array.prototype.forEach.call(self.table.tHead.querySelectorAll("button[data-sort]"), function (b) {
      b.addEventListener("click", function () { self.sort(b); });
    });
    self.apply();
  }

  Grid.prototype.apply = function () {
    var self = this;
    var kinds = self.spec.kinds;
    var tests = [];
    self.filters.forEach(function (s) {
      if (!s.value) { return; }
      var field = +s.getAttribute("data-field");
      tests.push([field, allowedCodes(kinds[field], s.value.split("|"))]);
    });
    var terms = self.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var searches = terms.map(termCodes);
    var fields = self.spec.search;
    var rows = self.rows;
    var order = self.order;
    if (!tests.length && !searches.length) {
      self.matched = order;
    } else {
      var out = new Uint32Array(order.length);
      var n = 0;
      for (var p = 0; p < order.length; p++) {
        var r = rows[order[p]];
        var ok = true;
        for (var t = 0; ok && t < tests.length; t++) { ok = tests[t][1][r[tests[t][0]]] === 1; }
        for (var q = 0; ok && q < searches.length; q++) {
          var hit = false;
          for (var f = 0; !hit && f < fields.length; f++) { hit = searches[q][kinds[fields[f]]][r[fields[f]]] === 1; }
          ok = hit;
        }
        if (ok) { out[n++] = order[p]; }
      }
      self.matched = out.subarray(0, n);
    }
    self.draw();
  };

  Grid.prototype.fill = function (start, end) {
    var frag = document.createDocumentFragment();
    for (var p = start; p < end; p++) { frag.appendChild(this.spec.build(this.rows[this.matched[p]])); }
    this.tbody.textContent = "";
    this.tbody.appendChild(frag);
  };

  Grid.prototype.draw = function () {
    var size = +this.size.value || 100;
    var total = this.matched.length;
    var pages = Math.max(1, Math.ceil(total / size));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = this.page * size;
    var end = Math.min(total, start + size);
    this.fill(start, end);
    var all = this.rows.length;
    var of = total === all ? "" : " (" + all.toLocaleString() + " in the table)";
    this.status.textContent = total === 0
      ? "No rows match the filters" + of + "."
      : "Showing rows " + (start + 1).toLocaleString() + " to " + end.toLocaleString() + " of " +
        total.toLocaleString() + " matching" + of + ".";
    this.pageOf.textContent = "Page " + (this.page + 1).toLocaleString() + " of " + pages.toLocaleString();
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  };

  Grid.prototype.sort = function (button) {
    var th = button.parentNode;
    var field = +button.getAttribute("data-sort");
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
    var rows = this.rows;
    var top = this.spec.kinds[field] === "s" ? D.rows.length : domain(this.spec.kinds[field]);
    var packed = new Float64Array(rows.length);
    for (var i = 0; i < rows.length; i++) {
      packed[i] = (dir === 1 ? rows[i][field] : top - rows[i][field]) * SHIFT + i;
    }
    packed.sort();
    var order = new Uint32Array(rows.length);
    for (var j = 0; j < rows.length; j++) { order[j] = packed[j] % SHIFT; }
    this.order = order;
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    this.page = 0;
    this.apply();
  };

  Grid.prototype.filtersText = function () {
    var parts = this.filters.filter(function (s) { return s.value; }).map(function (s) {
      return s.parentNode.firstChild.textContent.trim() + ": " + s.options[s.selectedIndex].text;
    });
    if (this.search.value.trim()) { parts.push("search: " + this.search.value.trim()); }
    return parts.length ? " (" + parts.join("; ") + ")" : "";
  };

  Grid.prototype.printAll = function (printing) {
    if (!printing) { this.printNote.textContent = ""; this.draw(); return; }
    var total = this.matched.length;
    var end = Math.min(total, PRINT_LIMIT);
    this.fill(0, end);
    var where = this.root.id === "inventory" ? "inventory.csv" : "findings.csv";
    this.printNote.textContent = (end === total
      ? "Printed: all " + total.toLocaleString() + " rows matching the filters" + this.filtersText() + "."
      : "Printed: the first " + end.toLocaleString() + " of " + total.toLocaleString() +
        " rows matching the filters" + this.filtersText() + ".") +
      " Every row is in " + where + " and results.json.";
  };

  function showAction(action) {
    var grid = grids.filter(function (g) { return g.root.id === "findings"; })[0];
    if (!grid) { return; }
    grid.filters.forEach(function (s) {
      var field = s.getAttribute("data-field");
      s.value = field === "11" ? action : field === "1" ? "fail|manual review" : "";
    });
    grid.search.value = "";
    grid.page = 0;
    grid.apply();
    grid.root.scrollIntoView();
  }

  /* Called by a one-line script after each data island: the findings are interactive before
     the (larger) inventory island has been parsed. */
  window.credauditInit = function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grid]:not([data-live])"), function (root) {
      var name = root.getAttribute("data-grid");
      var island = document.getElementById("data-" + name);
      if (!island || !document.getElementById("data-strings")) { return; }
      strings();
      var rows = JSON.parse(island.textContent).rows;
      grids.push(new Grid(root, SPECS[name], rows));
      root.setAttribute("data-live", String(Math.round(performance.now())));
      if (name === "findings") {
        Array.prototype.forEach.call(document.querySelectorAll("button.show-action"), function (b) {
          b.hidden = false;
          b.addEventListener("click", function () { showAction(b.getAttribute("data-action")); });
        });
      }
    });
    if (!document.querySelector("[data-grid]:not([data-live])") && document.querySelector("footer")) {
      document.documentElement.setAttribute("data-ready", String(Math.round(performance.now())));
    }
  };
  window.addEventListener("beforeprint", function () {
    grids.forEach(function (g) { g.printAll(true); });
  });
  window.addEventListener("afterprint", function () {
    grids.forEach(function (g) { g.printAll(false); });
  });
})();
