/* PolicyLens pages: the write token, and each page's behaviour (body[data-page]).
   Every text from the server is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  const TOKEN_KEY = "policylens_token";
  const ui = JSON.parse(document.getElementById("ui-strings").textContent);

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

  // --- the write token: kept in this browser, sent as a header (never a cookie the server reads) ---
  function token() { return window.localStorage.getItem(TOKEN_KEY) || ""; }

  function authHeaders(extra) {
    const headers = Object.assign({}, extra || {});
    if (token()) headers.Authorization = "Bearer " + token();
    return headers;
  }

  function initToken() {
    const input = $("#token");
    if (!input) return;
    input.value = token();
    $("#token-save").addEventListener("click", function () {
      const value = input.value.trim();
      if (value) window.localStorage.setItem(TOKEN_KEY, value);
      else window.localStorage.removeItem(TOKEN_KEY);
      $("#token-state").textContent = value ? ui.saved : ui.cleared;
    });
  }

  async function send(method, url, body) {
    const options = { method: method, headers: authHeaders() };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    return { ok: response.ok, status: response.status, body: payload };
  }

  function problemOf(result) {
    return (result.body && result.body.error) || (ui.failed + " (" + result.status + ")");
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // --- home: delete a document ---
  function initHome() {
    $all("[data-delete]").forEach(function (button) {
      button.addEventListener("click", async function () {
        if (!window.confirm(ui.confirm_delete)) return;
        const id = button.dataset.delete;
        const state = $("#delete-state");
        button.disabled = true;
        state.textContent = ui.deleting;
        const result = await send("DELETE", "/api/documents/" + encodeURIComponent(id));
        if (result.ok) {
          button.closest("tr").remove();
          state.textContent = "";
        } else {
          state.textContent = problemOf(result);
          button.disabled = false;
        }
      });
    });
  }

  // --- ingest: one request per file or URL, one result row each ---
  function resultRow(result) {
    const row = document.createElement("tr");
    row.className = "s-" + result.status;
    cell(row, result.source, "src");
    cell(row, ui[result.status] || result.status);
    cell(row, result.items, "num");
    cell(row, result.facts, "num");
    const detail = cell(row, result.problem || "");
    if (result.document_id) {
      const link = document.createElement("a");
      link.href = "/documents/" + encodeURIComponent(result.document_id);
      link.textContent = ui.open + " #" + result.document_id;
      detail.appendChild(link);
    }
    $("#ingest-results tbody").appendChild(row);
  }

  function failedRow(source, result) {
    resultRow({ source: source, status: "error", items: 0, facts: 0, problem: problemOf(result) });
  }

  async function ingestOne(source, body) {
    const result = await send("POST", "/api/documents", body);
    const results = result.body && result.body.results;
    if (results && results.length) results.forEach(resultRow);
    else failedRow(source, result);
  }

  function initIngest() {
    const drop = $("#drop");
    const files = $("#files");
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      files.files = event.dataTransfer.files;
    });
    $("#upload-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = $("button", event.target);
      button.disabled = true;
      for (const file of Array.from(files.files)) {
        const form = new FormData();
        form.append("file", file, file.name);
        await ingestOne(file.name, form);
      }
      button.disabled = false;
    });
    $("#url-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = $("button", event.target);
      button.disabled = true;
      const urls = $("#urls").value.split(/\s+/).filter(Boolean);
      for (const url of urls) await ingestOne(url, { url: url });
      button.disabled = false;
    });
  }

  // --- document: a fact highlights its quote, in the clean or the raw text ---
  function visiblePane() {
    return $("#raw-pane").hidden ? $("#clean-pane") : $("#raw-pane");
  }

  function selectFact(id, scroll) {
    $all(".fx.hl").forEach(function (el) { el.classList.remove("hl"); });
    $all("button.fact[aria-pressed='true']").forEach(function (el) { el.setAttribute("aria-pressed", "false"); });
    if (!id) return;
    const marks = $all(".fx").filter(function (el) { return el.dataset.f.split(" ").indexOf(id) >= 0; });
    marks.forEach(function (el) { el.classList.add("hl"); });
    const button = $("button.fact[data-f='" + CSS.escape(id) + "']");
    if (button) button.setAttribute("aria-pressed", "true");
    document.body.dataset.selected = id;
    if (scroll) {
      const first = marks.find(function (el) { return visiblePane().contains(el); });
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    }
    return button;
  }

  function showPane(raw) {
    $("#raw-pane").hidden = !raw;
    $("#clean-pane").hidden = raw;
    $("#show-raw").setAttribute("aria-selected", String(raw));
    $("#show-clean").setAttribute("aria-selected", String(!raw));
    if (document.body.dataset.selected) selectFact(document.body.dataset.selected, true);
  }

  function initDocument() {
    $all("button.fact").forEach(function (button) {
      button.addEventListener("click", function () { selectFact(button.dataset.f, true); });
    });
    $all(".fx").forEach(function (mark) {
      mark.addEventListener("click", function () {
        const button = selectFact(mark.dataset.f.split(" ")[0], false);
        if (button) button.scrollIntoView({ block: "nearest" });
      });
    });
    $("#show-raw").addEventListener("click", function () { showPane(true); });
    $("#show-clean").addEventListener("click", function () { showPane(false); });
    $all("[data-kind-toggle]").forEach(function (box) {
      box.addEventListener("change", function () {
        $all("#facts li[data-kind='" + box.dataset.kindToggle + "']").forEach(function (li) {
          li.hidden = !box.checked;
        });
      });
    });
  }

  // --- policy: merge with others, split selected mentions ---
  function initPolicy() {
    const id = Number($("#policy").dataset.policy);
    const state = $("#policy-state");
    async function done(result) {
      if (result.ok && result.body && result.body.policy) {
        window.location.href = "/policies/" + result.body.policy.id;
      } else {
        state.textContent = problemOf(result);
      }
    }
    $("#merge-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const others = $("#merge-ids").value.split(/[\s,，]+/).filter(Boolean).map(Number);
      state.textContent = ui.working;
      await done(await send("POST", "/api/policies/merge", { ids: [id].concat(others) }));
    });
    $("#split").addEventListener("click", async function () {
      const ids = $all("#mentions input[name='mention']:checked").map(function (box) { return Number(box.value); });
      if (!ids.length) return;
      state.textContent = ui.working;
      await done(await send("POST", "/api/policies/" + id + "/split", { fact_ids: ids }));
    });
  }

  // --- compare: sortable table, bar chart and map (ECharts, served from /static/vendor) ---
  function initSorting(table) {
    $all("th[data-sort]", table).forEach(function (th, column) {
      th.addEventListener("click", function () {
        const descending = th.getAttribute("aria-sort") !== "descending";
        $all("th", table).forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        const numeric = th.dataset.sort === "num";
        const rows = $all("tbody tr", table);
        rows.sort(function (a, b) {
          const x = a.children[column], y = b.children[column];
          const order = numeric
            ? Number(x.dataset.value) - Number(y.dataset.value)
            : x.textContent.localeCompare(y.textContent, "zh");
          return descending ? -order : order;
        });
        rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
      });
    });
  }

  function barOption(data) {
    const bars = data.bars.slice().reverse();
    return {
      animation: false,
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) {
        const bar = bars[p.dataIndex];
        return [bar.region, bar.label, bar.sector || "", bar.year || ""].filter(Boolean).join("<br>");
      } },
      xAxis: { type: "value", name: data.unit, splitNumber: 3, axisLabel: { hideOverlap: true } },
      yAxis: { type: "category", data: bars.map(function (b) { return b.region + (b.year ? " " + b.year : ""); }) },
      series: [{
        type: "bar",
        barMaxWidth: 28,
        data: bars.map(function (b) {
          return { value: b.value, itemStyle: { color: b.conflict ? "#b3261e" : "#1f5fa8" } };
        }),
        label: { show: true, position: "right", formatter: function (p) { return bars[p.dataIndex].label; } },
      }],
    };
  }

  function mapOption(data) {
    const values = data.map.map(function (m) { return m.value; });
    return {
      animation: false,
      tooltip: { trigger: "item", formatter: function (p) {
        const found = data.map.find(function (m) { return m.name === p.name; });
        if (!found) return p.name + "<br>" + ui.no_data;
        return found.regions.join("、") + "<br>" + found.value + " " + data.unit;
      } },
      visualMap: {
        min: 0, max: Math.max.apply(null, values.concat([1])), left: 8, bottom: 8,
        text: ["", data.unit], calculable: true, inRange: { color: ["#dbe9f6", "#08306b"] },
      },
      series: [{
        type: "map", map: "china", roam: false, layoutCenter: ["50%", "55%"], layoutSize: "95%",
        itemStyle: { areaColor: "#f2f2f2", borderColor: "#999" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffcf70" } },
        data: data.map.map(function (m) { return { name: m.name, value: m.value }; }),
      }],
    };
  }

  function initCompare() {
    const table = $("#compare-table");
    if (table) initSorting(table);
    const data = JSON.parse($("#compare-data").textContent);
    if (!window.echarts || !data.bars.length) return;
    const charts = [];
    const bar = $("#bar-chart");
    bar.style.height = Math.max(240, 40 + 28 * data.bars.length) + "px";
    charts.push(window.echarts.init(bar, null, { renderer: "canvas" }));
    charts[0].setOption(barOption(data));
    charts.push(window.echarts.init($("#map-chart"), null, { renderer: "canvas" }));
    charts[1].setOption(mapOption(data));
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.dataset.chartsReady = "yes";
  }

  const pages = {
    home: initHome, ingest: initIngest, document: initDocument, policy: initPolicy,
    compare: initCompare,
  };
  initToken();
  const init = pages[document.body.dataset.page];
  if (init) init();
})();
