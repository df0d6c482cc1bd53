/* The chosen import file's first rows, shown before anything is uploaded: a CSV is read here
   (FileReader; UTF-8, or GB18030 when UTF-8 does not fit); an .xlsx is shown after upload.
   Cells are set as text, never as markup. */
(function () {
  "use strict";
  var ROWS = 10;

  function parseCsv(text, limit) {
    var rows = [], row = [], cell = "", quoted = false, i = 0;
    if (text.charCodeAt(0) === 0xfeff) { i = 1; }
    for (; i < text.length && rows.length <= limit; i++) {
      var c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
        else if (c === '"') { quoted = false; }
        else { cell += c; }
      } else if (c === '"') { quoted = true; }
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") { i++; }
        row.push(cell); rows.push(row); row = []; cell = "";
      } else { cell += c; }
    }
    if ((cell || row.length) && rows.length <= limit) { row.push(cell); rows.push(row); }
    return rows.filter(function (r) { return r.length > 1 || r[0] !== ""; });
  }

  function table(rows) {
    var t = document.createElement("table");
    var caption = document.createElement("caption");
    caption.className = "sr-only";
    caption.textContent = "文件的前 " + Math.max(rows.length - 1, 0) + " 行";
    t.appendChild(caption);
    var head = t.createTHead().insertRow();
    (rows[0] || []).forEach(function (h) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    });
    var body = t.createTBody();
    rows.slice(1, ROWS + 1).forEach(function (r, n) {
      var tr = body.insertRow();
      tr.dataset.line = String(n + 2);
      r.forEach(function (v) { tr.insertCell().textContent = v; });
    });
    return t;
  }

  function read(file, encoding, done) {
    var reader = new FileReader();
    reader.onload = function () { done(String(reader.result)); };
    reader.onerror = function () { done(null); };
    // The first 256 KiB is far more than ten rows.
    reader.readAsText(file.slice(0, 256 * 1024), encoding);
  }

  function show(box, note, rows) {
    var holder = box.querySelector("[data-preview-table]");
    holder.replaceChildren();
    if (rows) { holder.appendChild(table(rows)); }
    box.querySelector("[data-preview-note]").textContent = note;
    box.hidden = false;
  }

  function preview(input, box) {
    var file = input.files && input.files[0];
    if (!file) { box.hidden = true; return; }
    if (/\.xlsx$/i.test(file.name)) {
      show(box, "Excel 工作簿（.xlsx）的内容在上传后显示（导入页列出读取的行数和错误）。", null);
      return;
    }
    read(file, "utf-8", function (text) {
      if (text === null) { show(box, "无法读取该文件。", null); return; }
      if (text.indexOf("\ufffd") === -1) { done(text, "UTF-8"); return; }
      read(file, "gb18030", function (gbk) { done(gbk || text, "GB18030"); });
    });
    function done(text, encoding) {
      var rows = parseCsv(text, ROWS);
      var shown = Math.max(Math.min(rows.length - 1, ROWS), 0);
      show(box, file.name + "（" + encoding + "）：表头和前 " + shown + " 行。上传后将检查每一行。", rows);
    }
  }

  document.querySelectorAll("[data-preview-for]").forEach(function (box) {
    var input = document.getElementById(box.getAttribute("data-preview-for"));
    if (!input) { return; }
    input.addEventListener("change", function () { preview(input, box); });
    if (input.files && input.files.length) { preview(input, box); }
  });
})();
