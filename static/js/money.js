// Amounts in charts as the rest of the UI writes them (crm/templatetags/humanize_cn.py `wan`): ¥5,704.2万 in
// Chinese, ¥57.0M / ¥12.3k in English; never a raw 57042112.
(function () {
  "use strict";
  function crmMoney(value) {
    const v = Number(value) || 0;
    const a = Math.abs(v);
    const zh = (document.documentElement.lang || "zh").toLowerCase().startsWith("zh");
    const one = {minimumFractionDigits: 1, maximumFractionDigits: 1};
    if (a >= 10000) {
      if (zh) return "¥" + (v / 10000).toLocaleString("en-US", one) + "万";
      return "¥" + (a >= 1e6 ? (v / 1e6).toLocaleString("en-US", one) + "M" : (v / 1e3).toLocaleString("en-US", one) + "k");
    }
    return "¥" + Math.round(v).toLocaleString("en-US");
  }
  window.crmMoney = crmMoney;
})();
