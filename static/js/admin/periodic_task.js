/* django-celery-beat's periodic task form (templates/admin/djcelery/change_periodictask_form.html): the chosen
   crontab in words under the field. Its inline script, moved here. */
(function ($) {
  "use strict";
  const script = document.getElementById("periodic-task-overrides");
  const readableCrontabs = JSON.parse($("#readable-crontabs").text());
  const originalCrontabHelp = script.dataset.crontabHelp;
  const updateCrontabHelp = function (additional) {
    const help = $(".field-crontab .help");
    help.text(originalCrontabHelp);
    help.append("<br>", document.createTextNode("Translation: " + additional));
  };
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
