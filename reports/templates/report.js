/* credaudit report: the findings and inventory tables, built on demand from the data islands
   (<script type="application/json">, see reports/html_island.py for the encoding). Only the
   rows on screen exist in the document; every cell is filled with textContent, never parsed
   as HTML. Every field is a code whose order is its text's order: filters compare codes,
   search scans each field's distinct texts once per term, sort orders packed numeric keys.
   Allowed by its CSP hash; no inline handler anywhere. */
(function () {
  "use strict";
  document.documentElement.className += " js";
  var PRINT_LIMIT = 5000;
  var SHIFT = 4194304; /* 2^22: row index packed under a sort key (up to 4M rows) */
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var D = null; /* dictionaries */
  var C = null; /* credentials */
  var grids = [];

  function island(id) { return JSON.parse(document.getElementById(id).textContent); }

  /* A code column: fixed-width base-64 digits, most significant first. */
  function column(col) {
    var value = new Int8Array(128);
    for (var k = 0; k < DIGITS.length; k++) { value[DIGITS.charCodeAt(k)] = k; }
    var n = col.d.length / col.w;
    var out = new Uint32Array(n);
    for (var i = 0, p = 0; i < n; i++) {
      var v = 0;
      for (var j = 0; j < col.w; j++) { v = v * 64 + value[col.d.charCodeAt(p++)]; }
      out[i] = v;
    }
    return out;
  }

  function columns(cols) {
    var out = {};
    Object.keys(cols).forEach(function (k) { out[k] = column(cols[k]); });
    return out;
  }

  function load() {
    if (D) { return; }
    D = island("data-dicts");
    C = island("data-credentials");
    C.col = columns(C.cols);
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

  function ownerText(o) { var e = D.owners[o]; return e[0] || e[3]; }

  /* A grid's model: n rows; code(field, i) an integer whose order is the field's text order;
     domain(field) how many codes; text(field, code) what a filter option or search sees. */
  function findingsModel() {
    var F = island("data-findings");
    var col = columns(F.cols);
    var n = F.count;
    var rem = new Uint32Array(n);
    var waiver = new Uint32Array(n);
    var fresh = new Uint8Array(n);
    for (var i = 0; i < n; i++) { rem[i] = D.rem[col.rule[i]] || 0; }
    F.extra.forEach(function (x) { rem[x[0]] = x[1]; waiver[x[0]] = x[2]; fresh[x[0]] = x[3]; });
    var get = {
      sev: function (i) { return col.p[i] % 5; },
      status: function (i) { return Math.floor(col.p[i] / 5) % 5; },
      action: function (i) { return Math.floor(col.p[i] / 25); },
      rule: function (i) { return col.rule[i]; },
      tenant: function (i) { return C.col.tenant[col.cred[i]]; },
      cred: function (i) { return col.cred[i]; },
      owner: function (i) { return C.col.owner[col.cred[i]]; },
      msg: function (i) { return col.msg[i]; },
      waiver: function (i) { return waiver[i]; },
      "new": function (i) { return fresh[i]; }
    };
    var texts = {
      sev: D.sev, status: D.status, action: D.actions, rule: D.rule, tenant: D.tenant,
      msg: D.message, waiver: D.waiver, "new": ["", "new"]
    };
    return {
      n: n,
      search: ["sev", "status", "rule", "tenant", "cred", "owner", "msg", "waiver"],
      code: function (f, i) { return get[f](i); },
      domain: function (f) { return f === "cred" ? C.name.length : f === "owner" ? D.owners.length : texts[f].length; },
      text: function (f, v) {
        if (f === "cred") { return C.name[v] + " " + C.id[v]; }
        if (f === "owner") { return D.owners[v].join(" "); }
        return texts[f][v];
      },
      build: function (i) {
        var c = col.cred[i];
        var sev = D.sev[get.sev(i)];
        var status = D.status_ids[get.status(i)];
        var tr = el("tr", "s-" + sev + (status === "fail" ? "" : " x-" + status));
        cell(tr, sev);
        cell(tr, D.status[get.status(i)]);
        cell(tr, D.rule[col.rule[i]]);
        cell(tr, D.tenant[C.col.tenant[c]]);
        var cred = cell(tr, "");
        if (fresh[i]) { cred.appendChild(el("b", "new", "new")); cred.appendChild(document.createTextNode(" ")); }
        cred.appendChild(document.createTextNode(C.name[c]));
        cred.appendChild(el("small", "", C.id[c]));
        cell(tr, ownerText(C.col.owner[c]));
        var msg = cell(tr, D.message[col.msg[i]]);
        if (waiver[i]) {
          var w = D.waiver[waiver[i]];
          msg.appendChild(el("small", w.indexOf("Waiver ") === 0 ? "waiver expired" : "waiver", w));
        }
        if (rem[i]) { msg.appendChild(el("small", "fix", D.remediation[rem[i]])); }
        return tr;
      }
    };
  }

  function inventoryModel() {
    var col = C.col;
    var dicts = {
      tenant: D.tenant, created: D.date, last_used: D.date, expires: D.date, access: D.access,
      scopes: D.scopes, networks: D.networks, notes: D.notes, open: D.open,
      worst: D.sev.concat(["none"])
    };
    return {
      n: C.count,
      search: ["tenant", "cred", "owner", "notes", "access", "scopes", "networks", "open"],
      code: function (f, i) { return f === "cred" ? i : col[f][i]; },
      domain: function (f) { return f === "cred" ? C.name.length : f === "owner" ? D.owners.length : dicts[f].length; },
      text: function (f, v) {
        if (f === "cred") { return C.name[v] + " " + C.id[v]; }
        if (f === "owner") { return D.owners[v].join(" "); }
        return dicts[f][v];
      },
      build: function (i) {
        var worst = D.sev[col.worst[i]];
        var tr = el("tr", "s-" + (worst || "none"));
        cell(tr, D.tenant[col.tenant[i]]);
        var name = cell(tr, C.name[i]);
        name.appendChild(el("small", "", C.id[i]));
        if (col.notes[i]) {
          D.notes[col.notes[i]].split("\n").forEach(function (n) { name.appendChild(el("small", "note", n)); });
        }
        var o = D.owners[col.owner[i]];
        var owner = cell(tr, o[0]);
        owner.appendChild(el("small", "", o[1]));
        if (o[2]) { owner.appendChild(el("small", "owner-" + o[2], o[2])); }
        cell(tr, D.date[col.created[i]]);
        var used = D.date[col.last_used[i]];
        if (used === "not reported") { cell(tr, "").appendChild(el("span", "muted", used)); } else { cell(tr, used); }
        cell(tr, D.date[col.expires[i]]);
        var access = cell(tr, D.access[col.access[i]]);
        if (col.scopes[i]) { access.appendChild(el("small", "", D.scopes[col.scopes[i]])); }
        var nets = D.networks[col.networks[i]];
        if (nets === "n/a") { cell(tr, "").appendChild(el("span", "muted", nets)); } else { cell(tr, nets); }
        var w = cell(tr, "");
        if (worst) { w.appendChild(el("span", "sev sev-" + worst, worst)); } else { w.textContent = "none"; }
        cell(tr, D.open[col.open[i]]);
        return tr;
      }
    };
  }

  /* codes[v] === 1 when the text of code v is one of `allowed` */
  function allowedCodes(model, field, allowed) {
    var codes = new Uint8Array(model.domain(field));
    for (var v = 0; v < codes.length; v++) { codes[v] = allowed.indexOf(model.text(field, v)) !== -1 ? 1 : 0; }
    return codes;
  }

  /* per search field, codes[v] === 1 when the text of code v contains `term`; the lower-cased
     texts are computed once per field */
  function termCodes(model, cache, term) {
    var out = {};
    model.search.forEach(function (field) {
      var lower = cache[field];
      if (!lower) {
        lower = cache[field] = [];
        for (var v = 0; v < model.domain(field); v++) { lower.push(String(model.text(field, v)).toLowerCase()); }
      }
      var codes = new Uint8Array(lower.length);
      for (var k = 0; k < lower.length; k++) { if (lower[k].indexOf(term) !== -1) { codes[k] = 1; } }
      out[field] = codes;
    });
    return out;
  }

  function Grid(root, model) {
    var self = this;
    self.root = root;
    self.model = model;
    self.lower = {};
    var n = model.n;
    self.order = new Uint32Array(n);
    for (var i = 0; i < n; i++) { self.order[i] = i; }
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
    var model = self.model;
    var tests = [];
    self.filters.forEach(function (s) {
      if (!s.value) { return; }
      var field = s.getAttribute("data-field");
      tests.push([field, allowedCodes(model, field, s.value.split("|"))]);
    });
    var terms = self.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var searches = terms.map(function (t) { return termCodes(model, self.lower, t); });
    var fields = model.search;
    var order = self.order;
    if (!tests.length && !searches.length) {
      self.matched = order;
    } else {
      var out = new Uint32Array(order.length);
      var n = 0;
      for (var p = 0; p < order.length; p++) {
        var i = order[p];
        var ok = true;
        for (var t = 0; ok && t < tests.length; t++) { ok = tests[t][1][model.code(tests[t][0], i)] === 1; }
        for (var q = 0; ok && q < searches.length; q++) {
          var hit = false;
          for (var f = 0; !hit && f < fields.length; f++) { hit = searches[q][fields[f]][model.code(fields[f], i)] === 1; }
          ok = hit;
        }
        if (ok) { out[n++] = i; }
      }
      self.matched = out.subarray(0, n);
    }
    self.draw();
  };

  Grid.prototype.fill = function (start, end) {
    var frag = document.createDocumentFragment();
    for (var p = start; p < end; p++) { frag.appendChild(this.model.build(this.matched[p])); }
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
    var all = this.model.n;
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
    var field = button.getAttribute("data-sort");
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
    var model = this.model;
    var n = model.n;
    var top = model.domain(field);
    var packed = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var code = model.code(field, i);
      packed[i] = (dir === 1 ? code : top - code) * SHIFT + i;
    }
    packed.sort();
    var order = new Uint32Array(n);
    for (var j = 0; j < n; j++) { order[j] = packed[j] % SHIFT; }
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
      s.value = field === "action" ? action : field === "status" ? "fail|manual review" : "";
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
      if (!document.getElementById("data-findings")) { return; }
      load();
      var name = root.getAttribute("data-grid");
      grids.push(new Grid(root, name === "findings" ? findingsModel() : inventoryModel()));
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
