// A searchable multi-picker over a native <select multiple data-picker>: a search box, the matching options as
// checkboxes and the chosen ones as removable chips. The select stays in the form (hidden) and keeps the values,
// so the page works without this script. No library, no CDN.
(function () {
  "use strict";
  function enhance(select) {
    const wrap = document.createElement("div");
    wrap.className = "picker";
    const chips = document.createElement("div");
    chips.className = "picker-chips";
    const search = document.createElement("input");
    search.type = "search";
    search.className = "form-control form-control-sm picker-search";
    search.placeholder = select.dataset.pickerPlaceholder || "";
    search.setAttribute("aria-label", select.dataset.pickerPlaceholder || select.name);
    const list = document.createElement("div");
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    const options = Array.from(select.options);
    const rows = options.map(function (option, i) {
      const label = document.createElement("label");
      label.className = "picker-option";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input me-2";
      box.checked = option.selected;
      box.id = select.id + "-pick-" + i;
      box.addEventListener("change", function () { option.selected = box.checked; render(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(option.text));
      list.appendChild(label);
      return {option: option, label: label, box: box, text: option.text.toLowerCase()};
    });
    function render() {
      const q = search.value.trim().toLowerCase();
      rows.forEach(function (r) {
        r.label.hidden = q !== "" && r.text.indexOf(q) === -1;
        r.box.checked = r.option.selected;
      });
      chips.textContent = "";
      rows.filter(function (r) { return r.option.selected; }).forEach(function (r) {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "btn btn-sm btn-outline-secondary picker-chip";
        chip.textContent = r.option.text + " ×";
        chip.addEventListener("click", function () { r.option.selected = false; render(); });
        chips.appendChild(chip);
      });
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }
    search.addEventListener("input", render);
    wrap.appendChild(chips);
    wrap.appendChild(search);
    wrap.appendChild(list);
    select.hidden = true;
    select.parentNode.insertBefore(wrap, select.nextSibling);
    render();
  }
  document.querySelectorAll("select[multiple][data-picker]").forEach(enhance);
})();
