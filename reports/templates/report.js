/* credaudit report: paging, filters, search and sorting over rows already in the document.
   Every row is in the HTML (readable and printable without JavaScript); this script only hides
   and reorders them. It reads cell text, never parses HTML, and is allowed by its CSP hash. */
(function () {
  "use strict";
  document.documentElement.className += " js";
  var SEV = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
  var grids = [];

  function Grid(root) {
    var self = this;
    self.table = root.querySelector("table.rows");
    self.tbody = self.table.tBodies[0];
    self.rows = Array.prototype.slice.call(self.tbody.rows);
    self.order = self.rows.map(function (_, i) { return i; });
    self.matched = self.order;
    self.shown = [];
    self.page = 0;
    self.columns = {};
    self.haystack = null;
    self.controls = root.querySelector(".controls");
    self.filters = Array.prototype.slice.call(self.controls.querySelectorAll("select[data-col]"));
    self.search = self.controls.querySelector("input[type=search]");
    self.size = self.controls.querySelector("select[data-page-size]");
    self.status = root.querySelector(".status-line");
    self.pager = root.querySelector(".pager");
    self.pageOf = self.pager.querySelector(".page-of");
    self.prev = self.pager.querySelector("[data-page=prev]");
    self.next = self.pager.querySelector("[data-page=next]");
    self.controls.hidden = false;
    self.status.hidden = false;
    self.pager.hidden = false;

    var reset = function () { self.page = 0; self.apply(); };
    var timer = null;
    self.filters.forEach(function (s) { s.addEventListener("change", reset); });
    self.size.addEventListener("change", reset);
    self.search.addEventListener("input", function () {
      if (self.rows.length < 20000) { reset(); return; }
      clearTimeout(timer);
      timer = setTimeout(reset, 200);
    });
    self.prev.addEventListener("click", function () { self.page -= 1; self.draw(); });
    self.next.addEventListener("click", function () { self.page += 1; self.draw(); });
    Array.prototype.forEach.call(self.table.tHead.querySelectorAll("button[data-sort]"), function (b) {
      b.addEventListener("click", function () { self.sort(b); });
    });
    self.apply();
  }

  Grid.prototype.column = function (col) {
    var cached = this.columns[col];
    if (!cached) {
      cached = this.rows.map(function (r) { return r.cells[col] ? r.cells[col].textContent : ""; });
      this.columns[col] = cached;
    }
    return cached;
  };

  Grid.prototype.apply = function () {
    var self = this;
    var tests = [];
    self.filters.forEach(function (s) {
      if (!s.value) { return; }
      var col = +s.getAttribute("data-col");
      var has = s.getAttribute("data-has");
      if (has) {
        tests.push(function (i) { return self.rows[i].cells[col].querySelector(has) !== null; });
        return;
      }
      var values = self.column(col);
      var allowed = s.value.split("|");
      tests.push(function (i) { return allowed.indexOf(values[i]) !== -1; });
    });
    var terms = self.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length) {
      if (!self.haystack) {
        self.haystack = self.rows.map(function (r) { return r.textContent.toLowerCase(); });
      }
      var hay = self.haystack;
      tests.push(function (i) {
        for (var t = 0; t < terms.length; t++) {
          if (hay[i].indexOf(terms[t]) === -1) { return false; }
        }
        return true;
      });
    }
    self.matched = tests.length ? self.order.filter(function (i) {
      for (var t = 0; t < tests.length; t++) {
        if (!tests[t](i)) { return false; }
      }
      return true;
    }) : self.order;
    self.draw();
  };

  Grid.prototype.draw = function () {
    var size = +this.size.value;
    var total = this.matched.length;
    var pages = size ? Math.max(1, Math.ceil(total / size)) : 1;
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = size ? this.page * size : 0;
    var end = size ? Math.min(total, start + size) : total;
    var rows = this.rows;
    this.shown.forEach(function (i) { rows[i].classList.remove("on"); });
    this.shown = this.matched.slice(start, end);
    var frag = document.createDocumentFragment();
    this.shown.forEach(function (i) { rows[i].classList.add("on"); frag.appendChild(rows[i]); });
    this.tbody.appendChild(frag);
    var of = total === rows.length ? "" : " (" + rows.length.toLocaleString() + " in the table)";
    this.status.textContent = total === 0
      ? "No rows match the filters" + of + "."
      : "Showing rows " + (start + 1).toLocaleString() + " to " + end.toLocaleString() + " of " +
        total.toLocaleString() + " matching" + of + ".";
    this.pageOf.textContent = "Page " + (this.page + 1) + " of " + pages;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  };

  Grid.prototype.sort = function (button) {
    var th = button.parentNode;
    var col = th.cellIndex;
    var bySeverity = button.getAttribute("data-sort") === "sev";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
    var keys = this.column(col).map(function (v) {
      return bySeverity ? -(SEV[v] || 0) : v.toLowerCase();
    });
    this.order = this.order.slice().sort(function (a, b) {
      var x = keys[a];
      var y = keys[b];
      var c = x < y ? -1 : x > y ? 1 : 0;
      return c * dir || a - b;
    });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    this.page = 0;
    this.apply();
  };

  Grid.prototype.printAll = function (printing) {
    if (printing) {
      var frag = document.createDocumentFragment();
      var rows = this.rows;
      this.order.forEach(function (i) { frag.appendChild(rows[i]); });
      this.tbody.appendChild(frag);
      this.table.classList.add("all");
    } else {
      this.table.classList.remove("all");
      this.draw();
    }
  };

  /* Each grid is initialised by a one-line script right after its table, so the findings are
     interactive before the (larger) inventory has finished parsing. */
  window.credauditInit = function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grid]:not([data-live])"), function (root) {
      root.setAttribute("data-live", String(Math.round(performance.now())));
      grids.push(new Grid(root));
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
